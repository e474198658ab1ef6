package io.averon.jobs.data;

import static io.averon.jobs.data.IdxFixture.gzip;
import static io.averon.jobs.data.IdxFixture.idx;
import static io.averon.jobs.data.IdxFixture.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.averon.driver.HadoopSettings;
import io.averon.worker.Examples;
import io.averon.worker.InputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxExampleSourceTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    private static final int CLASSES = 10;

    @TempDir
    Path dir;

    private final IdxFixture fixture = new IdxFixture(50, 7, 5, CLASSES, 42);

    @Test
    void gzippedAndRawFilesReadAlikeWhateverTheirNames() throws IOException {
        // Names deliberately lie about compression: detection goes by content.
        String gzImages = write(dir.resolve("images.raw"), gzip(fixture.imagesFile()));
        String gzLabels = write(dir.resolve("labels"), gzip(fixture.labelsFile()));
        String rawImages = write(dir.resolve("images.gz"), fixture.imagesFile());
        String rawLabels = write(dir.resolve("labels.idx"), fixture.labelsFile());

        fixture.assertMatches(new IdxExampleSource(gzImages, gzLabels, CLASSES, HADOOP).load());
        fixture.assertMatches(new IdxExampleSource(rawImages, rawLabels, CLASSES, HADOOP).load());
        fixture.assertMatches(new IdxExampleSource("file://" + rawImages, "file://" + gzLabels, CLASSES,
                HADOOP).load());
    }

    @Test
    void rawCopyOfRealFashionMnistReadsIdenticallyToThePublishedGzip() throws IOException {
        IdxExampleSource published = IdxFixture.realFashionMnist().test();
        String images = gunzipTo(published.imagesUri(), dir.resolve("t10k-images-idx3-ubyte"));
        String labels = gunzipTo(published.labelsUri(), dir.resolve("t10k-labels-idx1-ubyte"));
        IdxExampleSource raw = new IdxExampleSource(images, labels, CLASSES, HADOOP);

        IdxFixture.assertSameExamples(published.load(), raw.load());
        assertEquals(10_000, raw.size());
    }

    @Test
    void sizeReadsTheLabelHeaderAndMatchesLoad() throws IOException {
        IdxExampleSource source = new IdxExampleSource(write(dir.resolve("i.gz"), gzip(fixture.imagesFile())),
                write(dir.resolve("l.gz"), gzip(fixture.labelsFile())), CLASSES, HADOOP);
        assertEquals(source.load().size(), source.size());
        assertEquals(50, source.size());
    }

    @Test
    void serializesAsASmallDescription() throws Exception {
        IdxExampleSource source = new IdxExampleSource("hdfs://namenode:8020/data/train-images-idx3-ubyte.gz",
                "hdfs://namenode:8020/data/train-labels-idx1-ubyte.gz", CLASSES, HADOOP);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(source);
        }
        // About 400 bytes of locations plus ~100 for the (here empty) Hadoop settings; Spark's own defaults add ~250.
        assertTrue(bytes.size() < 1024, "serialized form is " + bytes.size() + " bytes");
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            IdxExampleSource copy = (IdxExampleSource) in.readObject();
            assertEquals(source.imagesUri(), copy.imagesUri());
            assertEquals(source.labelsUri(), copy.labelsUri());
            assertEquals(CLASSES, copy.numClasses());
        }
    }

    @Test
    void missingFiles() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        String missing = dir.resolve("no-such-images.gz").toString();
        assertProblem(missing, "file not found", new IdxExampleSource(missing, labels, CLASSES, HADOOP));
        assertProblem(missing, "file not found", new IdxExampleSource(labels, missing, CLASSES, HADOOP));
        assertSizeProblem(missing, "file not found", new IdxExampleSource(labels, missing, CLASSES, HADOOP));
    }

    @Test
    void directoryInsteadOfFile() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        assertProblem(dir.toString(), "is a directory", new IdxExampleSource(dir.toString(), labels, CLASSES, HADOOP));
    }

    @Test
    void emptyFiles() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        String empty = write(dir.resolve("empty"), new byte[0]);
        String emptyGzip = write(dir.resolve("empty.gz"), gzip(new byte[0]));
        assertProblem(empty, "file is empty (0 bytes)", new IdxExampleSource(empty, labels, CLASSES, HADOOP));
        assertProblem(emptyGzip, "file is empty once gunzipped", new IdxExampleSource(emptyGzip, labels, CLASSES,
                HADOOP));
    }

    @Test
    void notAnIdxFileSaysWhatMagicWasFoundAndExpected() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        String text = write(dir.resolve("notes.txt"), "hello, this is not IDX".getBytes());
        assertProblem(text, "not an IDX images file: magic number is 0x68656C6C, expected 0x00000803",
                new IdxExampleSource(text, labels, CLASSES, HADOOP));

        String images = write(dir.resolve("images"), fixture.imagesFile());
        assertProblem(text, "not an IDX labels file: magic number is 0x68656C6C, expected 0x00000801",
                new IdxExampleSource(images, text, CLASSES, HADOOP));
        assertSizeProblem(text, "expected 0x00000801", new IdxExampleSource(images, text, CLASSES, HADOOP));

        String floats = write(dir.resolve("floats"), idx(0x00000D03, new byte[16], 1, 2, 2));
        assertProblem(floats, "magic number is 0x00000D03, expected 0x00000803",
                new IdxExampleSource(floats, labels, CLASSES, HADOOP));

        String tiny = write(dir.resolve("tiny"), new byte[] {0, 0});
        assertProblem(tiny, "only 2 byte(s), too short for the magic number 0x00000803",
                new IdxExampleSource(tiny, labels, CLASSES, HADOOP));

        String brokenGzip = write(dir.resolve("broken.gz"), new byte[] {0x1f, (byte) 0x8b, 7, 0, 0, 0});
        assertProblem(brokenGzip, "starts like gzip but its gzip header is damaged",
                new IdxExampleSource(brokenGzip, labels, CLASSES, HADOOP));
    }

    @Test
    void swappedImagesAndLabelsAreNamedAsSuch() {
        String images = write(dir.resolve("images"), fixture.imagesFile());
        String labels = write(dir.resolve("labels"), gzip(fixture.labelsFile()));
        // Labels are read first, so the images file in the labels position is the one reported.
        assertProblem(images, "not an IDX labels file: magic number is 0x00000803, expected 0x00000801 "
                + "(this is an IDX images file)", new IdxExampleSource(labels, images, CLASSES, HADOOP));
        String otherLabels = write(dir.resolve("more-labels"), fixture.labelsFile());
        assertProblem(labels, "not an IDX images file: magic number is 0x00000801, expected 0x00000803 "
                + "(this is an IDX labels file)", new IdxExampleSource(labels, otherLabels, CLASSES, HADOOP));
    }

    @Test
    void truncatedHeader() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        String images = write(dir.resolve("images"), Arrays.copyOf(fixture.imagesFile(), 10));
        assertProblem(images, "truncated IDX header: 12 bytes of dimension sizes should follow the magic number, "
                + "found 6", new IdxExampleSource(images, labels, CLASSES, HADOOP));
    }

    @Test
    void truncatedRawAndGzippedPayloads() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        byte[] cut = Arrays.copyOf(fixture.imagesFile(), 16 + 100);
        String raw = write(dir.resolve("raw"), cut);
        String gz = write(dir.resolve("gz"), gzip(cut));
        String promise = "truncated: header promises 50 images of 7 x 5 (1750 bytes) but only 100 bytes follow";
        assertProblem(raw, promise, new IdxExampleSource(raw, labels, CLASSES, HADOOP));
        assertProblem(gz, promise, new IdxExampleSource(gz, labels, CLASSES, HADOOP));

        String rawLabels = write(dir.resolve("raw-labels"), Arrays.copyOf(fixture.labelsFile(), 8 + 20));
        String images = write(dir.resolve("images"), fixture.imagesFile());
        assertProblem(rawLabels, "header promises 50 labels (50 bytes) but only 20 bytes follow",
                new IdxExampleSource(images, rawLabels, CLASSES, HADOOP));
    }

    @Test
    void gzipFileCutShort() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        byte[] whole = gzip(fixture.imagesFile());
        String cutInData = write(dir.resolve("cut-data.gz"), Arrays.copyOf(whole, whole.length / 2));
        assertProblem(cutInData, "truncated: header promises 50 images of 7 x 5 (1750 bytes) but only",
                new IdxExampleSource(cutInData, labels, CLASSES, HADOOP));
        assertProblem(cutInData, "before the gzip stream breaks off", new IdxExampleSource(cutInData, labels, CLASSES,
                HADOOP));

        String cutInTrailer = write(dir.resolve("cut-trailer.gz"), Arrays.copyOf(whole, whole.length - 3));
        assertProblem(cutInTrailer, "truncated gzip stream: the data ends before its gzip trailer",
                new IdxExampleSource(cutInTrailer, labels, CLASSES, HADOOP));
    }

    @Test
    void corruptGzipChecksum() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        byte[] gz = gzip(fixture.imagesFile());
        gz[gz.length - 8] ^= 0x55; // first byte of the CRC-32 trailer
        String corrupt = write(dir.resolve("corrupt.gz"), gz);
        assertProblem(corrupt, "corrupt gzip data", new IdxExampleSource(corrupt, labels, CLASSES, HADOOP));
    }

    @Test
    void extraBytesAfterThePayload() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        byte[] longer = Arrays.copyOf(fixture.imagesFile(), fixture.imagesFile().length + 9);
        String raw = write(dir.resolve("raw"), longer);
        String gz = write(dir.resolve("gz"), gzip(longer));
        String message = "9 unexpected byte(s) after the 50 images of 7 x 5 (1750 bytes) the header promises";
        assertProblem(raw, message, new IdxExampleSource(raw, labels, CLASSES, HADOOP));
        assertProblem(gz, message, new IdxExampleSource(gz, labels, CLASSES, HADOOP));
    }

    @Test
    void imageAndLabelCountsDiffer() {
        IdxFixture other = new IdxFixture(40, 7, 5, CLASSES, 7);
        String images = write(dir.resolve("images"), gzip(fixture.imagesFile()));
        String labels = write(dir.resolve("labels"), gzip(other.labelsFile()));
        InputException e = assertProblem(images, "holds 50 images but " + labels + " holds 40 labels",
                new IdxExampleSource(images, labels, CLASSES, HADOOP));
        assertTrue(e.getMessage().contains(labels));
    }

    @Test
    void labelOutOfRange() {
        byte[] bad = fixture.labels.clone();
        bad[3] = 10;
        String images = write(dir.resolve("images"), fixture.imagesFile());
        String labels = write(dir.resolve("labels"), idx(0x00000801, bad, bad.length));
        assertProblem(labels, "label 10 of example 3 is out of range for 10 classes (expected 0..9)",
                new IdxExampleSource(images, labels, CLASSES, HADOOP));
    }

    @Test
    void implausibleHeadersFailBeforeAllocating() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        String zero = write(dir.resolve("zero"), idx(0x00000803, new byte[0], 0, 28, 28));
        assertProblem(zero, "IDX header declares 0 images", new IdxExampleSource(zero, labels, CLASSES, HADOOP));

        String negative = write(dir.resolve("negative"), idx(0x00000803, new byte[0], -1, 28, 28));
        assertProblem(negative, "negative size", new IdxExampleSource(negative, labels, CLASSES, HADOOP));

        String huge = write(dir.resolve("huge"), idx(0x00000803, new byte[10], 1_000_000, 1000, 1000));
        assertProblem(huge, "more than one worker can hold in memory", new IdxExampleSource(huge, labels, CLASSES,
                HADOOP));

        String liar = write(dir.resolve("liar.gz"), gzip(idx(0x00000803, new byte[10], 100_000, 100, 100)));
        assertProblem(liar, "cannot hold that much", new IdxExampleSource(liar, labels, CLASSES, HADOOP));
    }

    @Test
    void unusableLocations() {
        String labels = write(dir.resolve("labels"), fixture.labelsFile());
        assertProblem("nosuchfs://host/x", "No FileSystem for scheme",
                new IdxExampleSource("nosuchfs://host/x", labels, CLASSES, HADOOP));
        InputException e = assertThrows(InputException.class, () -> new IdxExampleSource(labels, labels, 300, HADOOP));
        assertTrue(e.getMessage().contains("between 1 and 256"), e.getMessage());
    }

    private static InputException assertProblem(String file, String problem, IdxExampleSource source) {
        InputException e = assertThrows(InputException.class, source::load);
        assertMessage(file, problem, e);
        return e;
    }

    private static void assertSizeProblem(String file, String problem, IdxExampleSource source) {
        assertMessage(file, problem, assertThrows(InputException.class, source::size));
    }

    private static void assertMessage(String file, String problem, InputException e) {
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), "message should start with the file: " + message);
        assertTrue(message.contains(problem), "message should say '" + problem + "': " + message);
        assertTrue(!message.contains("\n"), "message should be one line: " + message);
    }

    private static String gunzipTo(String uri, Path target) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(java.net.URI.create(uri))))) {
            Files.copy(in, target);
        }
        return target.toString();
    }
}
