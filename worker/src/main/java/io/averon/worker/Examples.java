package io.averon.worker;

import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import java.io.Serializable;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decoded examples held in memory as unsigned 8-bit pixels (channels x height x width per example, row-major) and
 * integer class labels. Pixels stay bytes until a minibatch is assembled, which keeps a Fashion-MNIST training set at
 * 47 MB per worker instead of 188 MB of floats.
 */
public final class Examples implements ExampleReader, Serializable {
    private static final long serialVersionUID = 1L;
    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final int numClasses;

    public Examples(byte[] pixels, int[] labels, int channels, int height, int width, int numClasses) {
        int exampleLength = channels * height * width;
        if ((long) labels.length * exampleLength != pixels.length) {
            throw new IllegalArgumentException("pixels hold " + pixels.length + " bytes, expected " + labels.length
                    + " examples x " + exampleLength);
        }
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.numClasses = numClasses;
    }

    public int size() {
        return labels.length;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int numClasses() {
        return numClasses;
    }

    public int label(int index) {
        return labels[index];
    }

    /** Length of one flattened example. */
    public int exampleLength() {
        return channels * height * width;
    }

    /** Raw unsigned pixel of example {@code index} at flat position {@code offset}. */
    public int pixel(int index, int offset) {
        return pixels[index * exampleLength() + offset] & 0xFF;
    }

    /**
     * Builds a minibatch of the examples {@code order[from..to)} without preprocessing: features [n, c, h, w] scaled
     * to [0, 1], labels one-hot [n, numClasses]. For the single-JVM baseline and tests; training goes through
     * {@link io.averon.worker.data.BatchPipeline}.
     */
    public DataSet batch(int[] order, int from, int to) {
        int n = to - from;
        int len = exampleLength();
        float[] features = new float[n * len];
        float[] oneHot = new float[n * numClasses];
        for (int i = 0; i < n; i++) {
            int example = order[from + i];
            int src = example * len;
            int dst = i * len;
            for (int j = 0; j < len; j++) {
                features[dst + j] = (pixels[src + j] & 0xFF) / 255f;
            }
            oneHot[i * numClasses + labels[example]] = 1f;
        }
        INDArray f = Nd4j.create(features, new long[] {n, channels, height, width}, 'c');
        INDArray l = Nd4j.create(oneHot, new long[] {n, numClasses}, 'c');
        return new DataSet(f, l);
    }

    /** The first {@code n} examples (or all, if fewer), for subset runs and tests. */
    public Examples head(int n) {
        if (n >= size()) {
            return this;
        }
        int len = exampleLength();
        byte[] p = java.util.Arrays.copyOf(pixels, n * len);
        int[] l = java.util.Arrays.copyOf(labels, n);
        return new Examples(p, l, channels, height, width, numClasses);
    }

    @Override
    public LabelledImage read(int example) {
        int len = exampleLength();
        byte[] copy = java.util.Arrays.copyOfRange(pixels, example * len, (example + 1) * len);
        return new LabelledImage(new PixelImage(channels, height, width, copy), null, labels[example]);
    }

    /** These examples as a planned dataset (held in memory; for tests and small in-memory data). */
    public SourceIndex asIndex(String name) {
        Examples self = this;
        DataShape shape = new DataShape(channels, height, width, DataShape.numbered(numClasses), false);
        return new SourceIndex() {
            private static final long serialVersionUID = 1L;

            @Override
            public String name() {
                return name;
            }

            @Override
            public DataShape shape() {
                return shape;
            }

            @Override
            public int size() {
                return self.size();
            }

            @Override
            public int label(int example) {
                return self.label(example);
            }

            @Override
            public String describe(int example) {
                return name + "#" + example;
            }

            @Override
            public ExampleReader open() {
                return self;
            }
        };
    }
}
