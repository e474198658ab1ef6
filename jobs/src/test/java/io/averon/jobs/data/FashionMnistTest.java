package io.averon.jobs.data;

import static io.averon.jobs.data.IdxFixture.gzip;
import static io.averon.jobs.data.IdxFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.averon.driver.HadoopSettings;
import io.averon.worker.Examples;
import io.averon.worker.InputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    @TempDir
    Path dir;

    @Test
    void realTrainingSetDecodesCompletely() throws IOException {
        IdxExampleSource train = IdxFixture.realFashionMnist().train();
        assertEquals(60_000, train.size());
        Examples examples = train.load();

        assertShape(60_000, examples);
        assertArrayEquals(new int[] {6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000},
                histogram(examples));
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, firstLabels(examples));
        // CRC-32 of the decompressed pixel payload, computed independently with Python's gzip and zlib.
        assertEquals(0xae65dccdL, pixelCrc(examples));
    }

    @Test
    void realTestSetDecodesCompletely() throws IOException {
        IdxExampleSource test = IdxFixture.realFashionMnist().test();
        assertEquals(10_000, test.size());
        Examples examples = test.load();

        assertShape(10_000, examples);
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000},
                histogram(examples));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, firstLabels(examples));
        assertEquals(0x12728439L, pixelCrc(examples));
    }

    @Test
    void defaultsToTheDebianPackageDirectory() {
        assertEquals("file:" + FashionMnist.DEFAULT_DIRECTORY, IdxFixture.realFashionMnist().directory());
        assertEquals("file:" + FashionMnist.DEFAULT_DIRECTORY, FashionMnist.locate(" ", HADOOP).directory());
    }

    @Test
    void fallsBackToTheCacheDirectory() throws IOException {
        Path cache = dir.resolve("cache/fashion-mnist");
        IdxFixture data = fakeDataset(cache, true);
        FashionMnist found = FashionMnist.locate(dir.resolve("missing").toString(), cache.toString(), HADOOP);

        assertEquals("file:" + cache, found.directory());
        data.assertMatches(found.train().load());
        assertEquals(data.count, found.test().size());
    }

    @Test
    void acceptsUnpackedFiles() throws IOException {
        Path configured = dir.resolve("unpacked");
        IdxFixture data = fakeDataset(configured, false);
        FashionMnist found = FashionMnist.locate(configured.toString(), dir.resolve("cache").toString(), HADOOP);

        assertEquals("file:" + configured, found.directory());
        data.assertMatches(found.test().load());
    }

    @Test
    void saysWhereItLookedAndHowToGetTheData() {
        Path configured = dir.resolve("configured");
        Path cache = dir.resolve("cache/fashion-mnist");
        fakeDataset(cache, true);
        write(cache.resolve("t10k-labels-idx1-ubyte.gz"), new byte[0]);

        InputException e = assertThrows(InputException.class,
                () -> FashionMnist.locate(configured.toString(), cache.toString(), HADOOP));
        String message = e.getMessage();
        assertTrue(message.startsWith("Fashion-MNIST not found: looked in " + configured + " (no such directory) and "
                + cache + " (missing t10k-labels-idx1-ubyte.gz)"), message);
        assertTrue(message.contains("run deploy/fetch-fashion-mnist.sh or `apt-get install dataset-fashion-mnist`"),
                message);
    }

    @Test
    void cacheDirectoryIsUnderTheUserCacheByDefault() {
        String root = System.getenv("AVERON_CACHE");
        String expected = root == null || root.isBlank()
                ? Path.of(System.getProperty("user.home"), ".cache", "averon", "fashion-mnist").toString()
                : Path.of(root, "fashion-mnist").toAbsolutePath().toString();
        assertEquals(expected, FashionMnist.cacheDirectory());
    }

    /** Writes four small files under Fashion-MNIST's names, the same examples for train and test. */
    static IdxFixture fakeDataset(Path directory, boolean gzipped) {
        IdxFixture data = new IdxFixture(30, 28, 28, FashionMnist.CLASSES, 3);
        String suffix = gzipped ? ".gz" : "";
        byte[] images = gzipped ? gzip(data.imagesFile()) : data.imagesFile();
        byte[] labels = gzipped ? gzip(data.labelsFile()) : data.labelsFile();
        write(directory.resolve(FashionMnist.TRAIN_IMAGES + suffix), images);
        write(directory.resolve(FashionMnist.TRAIN_LABELS + suffix), labels);
        write(directory.resolve(FashionMnist.TEST_IMAGES + suffix), images);
        write(directory.resolve(FashionMnist.TEST_LABELS + suffix), labels);
        return data;
    }


    private static void assertShape(int size, Examples examples) {
        assertEquals(size, examples.size());
        assertEquals(1, examples.channels());
        assertEquals(28, examples.height());
        assertEquals(28, examples.width());
        assertEquals(10, examples.numClasses());
    }

    private static int[] histogram(Examples examples) {
        int[] counts = new int[examples.numClasses()];
        for (int i = 0; i < examples.size(); i++) {
            counts[examples.label(i)]++;
        }
        return counts;
    }

    private static int[] firstLabels(Examples examples) {
        int[] first = new int[10];
        for (int i = 0; i < first.length; i++) {
            first[i] = examples.label(i);
        }
        return first;
    }

    private static long pixelCrc(Examples examples) {
        CRC32 crc = new CRC32();
        byte[] example = new byte[examples.exampleLength()];
        for (int i = 0; i < examples.size(); i++) {
            for (int j = 0; j < example.length; j++) {
                example[j] = (byte) examples.pixel(i, j);
            }
            crc.update(example);
        }
        return crc.getValue();
    }
}
