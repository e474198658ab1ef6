package io.averon.dl4j.spark;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST's IDX files as a DL4J program reads them into memory: flat 784-pixel rows scaled to [0, 1] and one-hot
 * labels, in DataSets of a fixed number of examples (the last one shorter).
 */
final class FashionMnistFiles {
    static final Path DIR = Path.of("/usr/share/datasets/fashion-mnist");

    private FashionMnistFiles() {
    }

    static List<DataSet> train(int examples, int perDataSet) throws IOException {
        return read("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", examples, perDataSet);
    }

    static List<DataSet> test(int examples, int perDataSet) throws IOException {
        return read("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", examples, perDataSet);
    }

    private static List<DataSet> read(String images, String labels, int examples, int perDataSet) throws IOException {
        byte[] pixels;
        byte[] classes;
        try (DataInputStream in = open(images)) {
            in.readInt();
            int count = in.readInt();
            int size = in.readInt() * in.readInt();
            if (size != 784 || count < examples) {
                throw new IOException(images + ": " + count + " images of " + size + " pixels");
            }
            pixels = new byte[examples * size];
            in.readFully(pixels);
        }
        try (DataInputStream in = open(labels)) {
            in.readInt();
            in.readInt();
            classes = new byte[examples];
            in.readFully(classes);
        }
        List<DataSet> out = new ArrayList<>();
        for (int from = 0; from < examples; from += perDataSet) {
            int n = Math.min(perDataSet, examples - from);
            float[] f = new float[n * 784];
            float[] l = new float[n * 10];
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < 784; p++) {
                    f[i * 784 + p] = (pixels[(from + i) * 784 + p] & 0xff) / 255f;
                }
                l[i * 10 + classes[from + i]] = 1f;
            }
            out.add(new DataSet(Nd4j.create(f, new long[] {n, 784}, 'c'), Nd4j.create(l, new long[] {n, 10}, 'c')));
        }
        return out;
    }

    private static DataInputStream open(String name) throws IOException {
        return new DataInputStream(new BufferedInputStream(new GZIPInputStream(
                new FileInputStream(DIR.resolve(name).toFile()), 1 << 16)));
    }
}
