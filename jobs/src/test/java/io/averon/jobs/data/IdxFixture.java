package io.averon.jobs.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.averon.driver.HadoopSettings;
import io.averon.worker.Examples;
import io.averon.worker.InputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Builds small IDX datasets byte by byte for tests, independently of the reader under test, and compares decoded
 * examples. Pixels are random, so gzip cannot shrink them and a cut in the compressed file is a cut in the data.
 */
final class IdxFixture {
    final byte[] pixels;
    final byte[] labels;
    final int count;
    final int rows;
    final int columns;

    IdxFixture(int count, int rows, int columns, int numClasses, long seed) {
        Random random = new Random(seed);
        this.count = count;
        this.rows = rows;
        this.columns = columns;
        this.pixels = new byte[count * rows * columns];
        random.nextBytes(pixels);
        this.labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) random.nextInt(numClasses);
        }
    }

    byte[] imagesFile() {
        return idx(0x00000803, pixels, count, rows, columns);
    }

    byte[] labelsFile() {
        return idx(0x00000801, labels, count);
    }

    static byte[] idx(int magic, byte[] payload, int... dims) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        buffer.putInt(magic);
        for (int dim : dims) {
            buffer.putInt(dim);
        }
        buffer.put(payload);
        return buffer.array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String write(Path file, byte[] content) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file.toString();
    }

    void assertMatches(Examples examples) {
        assertEquals(count, examples.size());
        assertEquals(1, examples.channels());
        assertEquals(rows, examples.height());
        assertEquals(columns, examples.width());
        int length = rows * columns;
        for (int i = 0; i < count; i++) {
            assertEquals(labels[i] & 0xFF, examples.label(i), "label " + i);
            for (int j = 0; j < length; j++) {
                if (examples.pixel(i, j) != (pixels[i * length + j] & 0xFF)) {
                    fail("pixel " + j + " of example " + i + " differs");
                }
            }
        }
    }

    static void assertSameExamples(Examples expected, Examples actual) {
        assertEquals(expected.size(), actual.size());
        assertEquals(expected.exampleLength(), actual.exampleLength());
        assertEquals(expected.numClasses(), actual.numClasses());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.label(i), actual.label(i), "label " + i);
            for (int j = 0; j < expected.exampleLength(); j++) {
                if (expected.pixel(i, j) != actual.pixel(i, j)) {
                    fail("pixel " + j + " of example " + i + " differs");
                }
            }
        }
    }

    /** The real dataset, or a failure that tells how to install it: these tests never skip silently. */
    static FashionMnist realFashionMnist() {
        try {
            return FashionMnist.locate(null, HadoopSettings.none());
        } catch (InputException e) {
            return fail("the real Fashion-MNIST is required: install it with `apt-get install -y "
                    + "dataset-fashion-mnist` (or run deploy/fetch-fashion-mnist.sh). " + e.getMessage());
        }
    }
}
