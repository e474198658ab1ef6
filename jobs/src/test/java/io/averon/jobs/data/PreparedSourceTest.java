package io.averon.jobs.data;

import static io.averon.jobs.data.ImageFixture.assertProblem;
import static io.averon.jobs.data.ImageFixture.assertSameExample;
import static io.averon.jobs.data.ImageFixture.labelled;
import static io.averon.jobs.data.ImageFixture.segmented;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreparedSourceTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    private static final DataShape GRAY = new DataShape(1, 5, 7, List.of("a", "b", "c"), false);
    private static final DataShape RGB = new DataShape(3, 4, 6, DataShape.numbered(10), false);
    private static final DataShape SEGMENTED = new DataShape(3, 6, 5, List.of("bg", "cat", "dog", "car"), true);

    @TempDir
    java.nio.file.Path temp;

    private FileSystem fs;
    private String dirUri;
    private Path dir;

    @BeforeEach
    void localFileSystem() throws Exception {
        dirUri = temp.resolve("prepared").toString();
        dir = new Path(dirUri);
        fs = dir.getFileSystem(new Configuration());
    }

    @Test
    void grayShardsReadBackExactlyWithTheirStatistics() throws Exception {
        List<LabelledImage> first = labelled(1, 4, 1, 5, 7, 3);
        List<LabelledImage> second = labelled(2, 3, 1, 5, 7, 3);
        // Written and listed out of order: the shard index, not arrival, numbers the examples.
        PreparedShard s1 = write(fs, dir, 1, GRAY, second);
        PreparedShard s0 = write(fs, dir, 0, GRAY, first);
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, GRAY, "/data/gray", List.of(s1, s0));

        List<LabelledImage> all = concat(first, second);
        SourceIndex index = new PreparedSource(dirUri, HADOOP).index();
        assertEquals(GRAY, index.shape());
        assertEquals(dirUri, index.name());
        assertExactly(all, index);
        assertEquals(dirUri + "/shard-00000.bin#3", index.describe(3));
        assertEquals(dirUri + "/shard-00001.bin#0", index.describe(4));

        assertEquals(7, manifest.count());
        assertEquals(List.of(new PreparedManifest.Shard("shard-00000.bin", 4),
                new PreparedManifest.Shard("shard-00001.bin", 3)), manifest.shards());
        assertEquals(classCounts(all, 3), manifest.classCounts());
        assertMoments(all, manifest);
        assertEquals("/data/gray", manifest.source());
        assertEquals(0, manifest.badImagesSkipped());
        assertEquals(List.of("labels.bin", "manifest.json", "shard-00000.bin", "shard-00001.bin"), files(dir));
    }

    @Test
    void rgbShardsReadBackExactlyWhateverTheCacheBudget() throws Exception {
        List<LabelledImage> first = labelled(3, 5, 3, 4, 6, 10);
        List<LabelledImage> second = labelled(4, 6, 3, 4, 6, 10);
        PreparedShard s0;
        try (ShardWriter writer = new ShardWriter(fs, dir, 0, RGB)) {
            for (LabelledImage image : first) {
                writer.append(image);
            }
            writer.skipped("/data/rgb/broken.jpg: not an image");
            s0 = writer.finish();
        }
        PreparedShard s1 = write(fs, dir, 1, RGB, second);
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, RGB, "/data/rgb", List.of(s0, s1));
        assertEquals(1, manifest.badImagesSkipped());
        assertEquals(List.of("/data/rgb/broken.jpg: not an image"), manifest.badImageExamples());
        assertMoments(concat(first, second), manifest);

        int recordBytes = 4 + 3 * 4 * 6;
        assertEquals(recordBytes, manifest.recordBytes());
        List<LabelledImage> all = concat(first, second);
        assertExactly(all, new PreparedSource(dirUri, HADOOP).index());
        assertExactly(all, new PreparedSource(dirUri, 0, HADOOP).index()); // every record by positional read
        assertExactly(all, new PreparedSource(dirUri, 6L * recordBytes, HADOOP).index()); // one shard cached, one not
    }

    @Test
    void shardRecordsAreBigEndianLabelThenPlanarPixels() throws Exception {
        byte[] samples = new byte[3 * 4 * 6];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (byte) (i * 3);
        }
        PixelImage image = new PixelImage(3, 4, 6, samples);
        PreparedShard shard;
        try (ShardWriter writer = new ShardWriter(fs, dir, 3, RGB)) {
            writer.append(image, 9);
            writer.append(image, 258 % 10);
            shard = writer.finish();
        }
        assertEquals("shard-00003.bin", shard.file());
        assertEquals(3, shard.index());
        assertEquals(2, shard.records());
        byte[] bytes = Files.readAllBytes(temp.resolve("prepared/shard-00003.bin"));
        ByteBuffer buffer = ByteBuffer.wrap(bytes); // big-endian, independently of the reader
        assertEquals(2 * (4 + samples.length), bytes.length);
        assertEquals(9, buffer.getInt(0));
        assertEquals(8, buffer.getInt(4 + samples.length));
        assertEquals(Arrays.toString(samples), Arrays.toString(Arrays.copyOfRange(bytes, 4, 4 + samples.length)));
    }

    @Test
    void segmentationShardsKeepMasksAndCountPixelsPerClass() throws Exception {
        List<LabelledImage> first = segmented(5, 3, 3, 6, 5, 4);
        List<LabelledImage> second = segmented(6, 4, 3, 6, 5, 4);
        PreparedShard s0 = write(fs, dir, 0, SEGMENTED, first);
        PreparedShard s1 = write(fs, dir, 1, SEGMENTED, second);
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, SEGMENTED, "voc", List.of(s0, s1));
        assertEquals(4 + 90 + 30, manifest.recordBytes());

        List<LabelledImage> all = concat(first, second);
        long[] pixels = new long[4];
        for (LabelledImage example : all) {
            for (byte id : example.mask().samples()) {
                if ((id & 0xFF) != 255) {
                    pixels[id & 0xFF]++;
                }
            }
        }
        assertEquals(Arrays.stream(pixels).boxed().toList(), manifest.classCounts());
        assertMoments(all, manifest);

        SourceIndex index = new PreparedSource(dirUri, HADOOP).index();
        assertTrue(index.shape().segmentation());
        assertExactly(all, index);
        assertExactly(all, new PreparedSource(dirUri, 0, HADOOP).index());
        for (int i = 0; i < index.size(); i++) {
            assertEquals(-1, index.label(i));
        }
    }

    @Test
    void manifestRoundTripsThroughJsonAndTheFileSystem() throws Exception {
        PreparedShard s0 = write(fs, dir, 0, RGB, labelled(7, 3, 3, 4, 6, 10));
        PreparedShard s1 = write(fs, dir, 1, RGB, labelled(8, 2, 3, 4, 6, 10));
        PreparedManifest written = PreparedManifest.commit(fs, dir, RGB, "hdfs://nn/raw", List.of(s0, s1));

        assertEquals(written, PreparedManifest.parse(written.toJson(), "test"));
        assertEquals(written, PreparedManifest.read(fs, dir, dirUri));
        assertEquals(written, PreparedManifest.merge(RGB, "hdfs://nn/raw", List.of(s1, s0)));

        JsonNode json = new ObjectMapper().readTree(written.toJson());
        assertEquals("averon-prepared", json.get("format").asText());
        assertEquals(1, json.get("version").asInt());
        assertEquals("big-endian", json.get("byteOrder").asText());
        assertEquals(76, json.get("recordBytes").asInt());
        assertEquals(3, json.get("shape").get("channels").asInt());
        assertEquals(4, json.get("shape").get("height").asInt());
        assertEquals(6, json.get("shape").get("width").asInt());
        assertEquals(5, json.get("count").asInt());
        assertEquals(10, json.get("classNames").size());
        assertEquals("shard-00001.bin", json.get("shards").get(1).get("file").asText());
        assertEquals(2, json.get("shards").get(1).get("records").asInt());
        assertEquals(written.mean().get(2), json.get("mean").get(2).floatValue());
    }

    @Test
    void truncatedLongerAndMissingShardsAreNamed() throws Exception {
        PreparedShard s0 = write(fs, dir, 0, GRAY, labelled(9, 2, 1, 5, 7, 3));
        PreparedShard s1 = write(fs, dir, 1, GRAY, labelled(10, 3, 1, 5, 7, 3));
        PreparedManifest.commit(fs, dir, GRAY, "src", List.of(s0, s1));
        java.nio.file.Path shard = temp.resolve("prepared/shard-00001.bin");
        try (FileChannel channel = FileChannel.open(shard, StandardOpenOption.WRITE)) {
            channel.truncate(3 * 39 - 10);
        }
        PreparedSource source = new PreparedSource(dirUri, HADOOP);
        assertProblem(dirUri + "/shard-00001.bin: truncated: manifest.json says 3 records of 39 bytes (117 bytes) but"
                + " the file has 107 bytes", source::index);

        Files.write(shard, new byte[3 * 39 + 1]);
        assertProblem(dirUri + "/shard-00001.bin: has 118 bytes, more than the 3 records of 39 bytes (117 bytes)"
                + " manifest.json lists", source::index);

        Files.delete(shard);
        assertProblem(dirUri + "/shard-00001.bin: missing; manifest.json lists it with 3 records", source::index);
    }

    @Test
    void missingManifestOrDirectory() throws Exception {
        write(fs, dir, 0, GRAY, labelled(11, 2, 1, 5, 7, 3));
        assertProblem(dirUri + "/manifest.json: not found; " + dirUri + " is not a finished `averon prepare` output"
                + " (the manifest is written last)", () -> new PreparedSource(dirUri, HADOOP).index());
        String absent = temp.resolve("absent").toString();
        assertProblem(absent + ": prepared dataset directory not found", () -> new PreparedSource(absent,
                HADOOP).index());
    }

    @Test
    void malformedManifests() throws Exception {
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, GRAY, "src",
                List.of(write(fs, dir, 0, GRAY, labelled(12, 2, 1, 5, 7, 3))));
        String name = dirUri + "/manifest.json";
        PreparedSource source = new PreparedSource(dirUri, HADOOP);

        putManifest("{\"format\": \"averon-prepared\",");
        InputException notJson = assertThrows(InputException.class, source::index);
        assertTrue(notJson.getMessage().startsWith(name + ": malformed manifest, not valid JSON at line 1, column "),
                notJson.getMessage());

        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(manifest.toJson());
        json.remove("shards");
        putManifest(json.toString());
        assertProblem(name + ": malformed manifest: field 'shards' is missing", source::index);

        json = (ObjectNode) new ObjectMapper().readTree(manifest.toJson());
        json.put("version", 2);
        putManifest(json.toString());
        assertProblem(name + ": prepared format version 2, this Averon reads version 1; prepare the dataset again",
                source::index);

        json = (ObjectNode) new ObjectMapper().readTree(manifest.toJson());
        json.put("count", 3);
        putManifest(json.toString());
        assertProblem(name + ": malformed manifest: shards hold 2 records but count is 3", source::index);

        json = (ObjectNode) new ObjectMapper().readTree(manifest.toJson());
        ((ObjectNode) json.get("shape")).put("channels", "three");
        putManifest(json.toString());
        assertProblem(name + ": malformed manifest: field 'shape.channels' must be an integer, was \"three\"",
                source::index);

        putManifest("[]");
        assertProblem(name + ": malformed manifest: expected a JSON object", source::index);
    }

    @Test
    void labelsFileIsCheckedAgainstTheManifestAndTheShards() throws Exception {
        PreparedManifest.commit(fs, dir, GRAY, "src", List.of(write(fs, dir, 0, GRAY, labelled(13, 3, 1, 5, 7, 3))));
        String labels = dirUri + "/labels.bin";

        putLabels(1, 2);
        assertProblem(labels + ": has 8 bytes, expected 12 (an int32 label for each of the 3 examples manifest.json"
                + " lists)", () -> new PreparedSource(dirUri, HADOOP).index());

        putLabels(0, 7, 1);
        assertProblem(labels + ": label 7 of example 1 is invalid for 3 classes (expected 0..2)",
                () -> new PreparedSource(dirUri, HADOOP).index());

        int[] actual = new int[3];
        for (int i = 0; i < 3; i++) {
            actual[i] = labelled(13, 3, 1, 5, 7, 3).get(i).label();
        }
        int[] swapped = actual.clone();
        swapped[2] = (actual[2] + 1) % 3;
        putLabels(swapped);
        SourceIndex index = new PreparedSource(dirUri, HADOOP).index();
        try (ExampleReader reader = index.open()) {
            assertProblem(dirUri + "/shard-00000.bin#2: record has label " + actual[2] + " but labels.bin says "
                    + swapped[2] + "; the prepared dataset was changed after it was written", () -> reader.read(2));
        }

        fs.delete(new Path(dir, "labels.bin"), false);
        assertProblem(labels + ": missing; a prepared dataset keeps its labels there",
                () -> new PreparedSource(dirUri, HADOOP).index());
    }

    @Test
    void anAbandonedShardLeavesNothingBehind() throws Exception {
        try (ShardWriter writer = new ShardWriter(fs, dir, 0, GRAY)) {
            writer.append(labelled(14, 1, 1, 5, 7, 3).get(0));
            assertEquals(1, writer.records());
        }
        assertEquals(List.of(), files(dir));
    }

    @Test
    void writerRejectsExamplesThatDoNotFitTheShape() throws Exception {
        try (ShardWriter writer = new ShardWriter(fs, dir, 0, GRAY)) {
            PixelImage wrong = ImageFixture.image(new java.util.Random(1), 1, 7, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.append(wrong, 0));
            assertEquals(new Path(dir, "shard-00000.bin") + ": image of record 0 is 1x7x5, the dataset stores 1x5x7",
                    e.getMessage());
            PixelImage right = ImageFixture.image(new java.util.Random(1), 1, 5, 7);
            e = assertThrows(IllegalArgumentException.class, () -> writer.append(right, 3));
            assertEquals(new Path(dir, "shard-00000.bin") + ": label 3 of record 0 is out of range for 3 classes",
                    e.getMessage());
            assertEquals(0, writer.records());
        }
        try (ShardWriter writer = new ShardWriter(fs, dir, 1, SEGMENTED)) {
            java.util.Random random = new java.util.Random(2);
            PixelImage image = ImageFixture.image(random, 3, 6, 5);
            byte[] ids = new byte[30];
            ids[17] = 4;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> writer.append(image, new PixelImage(1, 6, 5, ids)));
            assertEquals(new Path(dir, "shard-00001.bin") + ": mask of record 0 has class id 4, out of range for 4"
                    + " classes (255 = ignore)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> writer.append(new LabelledImage(image, null, 1)));
        }
    }

    @Test
    void readerIsSharedSafelyByThreadsAcrossCachedAndUncachedShards() throws Exception {
        List<LabelledImage> first = labelled(15, 50, 3, 4, 6, 10);
        List<LabelledImage> second = labelled(16, 40, 3, 4, 6, 10);
        PreparedManifest.commit(fs, dir, RGB, "src",
                List.of(write(fs, dir, 0, RGB, first), write(fs, dir, 1, RGB, second)));
        List<LabelledImage> all = concat(first, second);
        SourceIndex index = new PreparedSource(dirUri, 50L * 76, HADOOP).index();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try (ExampleReader reader = index.open()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                done.add(threads.submit(() -> {
                    for (int k = 0; k < all.size(); k++) {
                        int i = (k * 11 + offset * 17) % all.size();
                        assertSameExample(all.get(i), reader.read(i), "example " + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void sourceAndIndexSerialize() throws Exception {
        PreparedManifest.commit(fs, dir, GRAY, "src", List.of(write(fs, dir, 0, GRAY, labelled(17, 20, 1, 5, 7, 3))));
        SourceIndex index = new PreparedSource(dirUri, HADOOP).index();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(index);
        }
        SourceIndex copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (SourceIndex) in.readObject();
        }
        try (ExampleReader a = index.open(); ExampleReader b = copy.open()) {
            for (int i = 0; i < index.size(); i++) {
                assertEquals(index.label(i), copy.label(i));
                assertSameExample(a.read(i), b.read(i), "example " + i);
            }
        }
    }

    static PreparedShard write(FileSystem fs, Path dir, int shard, DataShape shape, List<LabelledImage> images)
            throws Exception {
        try (ShardWriter writer = new ShardWriter(fs, dir, shard, shape)) {
            for (LabelledImage image : images) {
                writer.append(image);
            }
            return writer.finish();
        }
    }

    static void assertExactly(List<LabelledImage> expected, SourceIndex index) throws Exception {
        assertEquals(expected.size(), index.size());
        try (ExampleReader reader = index.open()) {
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).label(), index.label(i), "label of example " + i);
                assertSameExample(expected.get(i), reader.read(i), "example " + i);
            }
        }
    }

    /** Mean and population deviation per channel over [0, 1] samples, computed plainly in doubles. */
    static void assertMoments(List<LabelledImage> images, PreparedManifest manifest) {
        int channels = images.get(0).image().channels();
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            long n = 0;
            for (LabelledImage image : images) {
                PixelImage p = image.image();
                for (int y = 0; y < p.height(); y++) {
                    for (int x = 0; x < p.width(); x++) {
                        sum += p.sample(c, y, x) / 255.0;
                        n++;
                    }
                }
            }
            double mean = sum / n;
            double squares = 0;
            for (LabelledImage image : images) {
                PixelImage p = image.image();
                for (int y = 0; y < p.height(); y++) {
                    for (int x = 0; x < p.width(); x++) {
                        double d = p.sample(c, y, x) / 255.0 - mean;
                        squares += d * d;
                    }
                }
            }
            assertEquals(mean, manifest.mean().get(c), 1e-6, "mean of channel " + c);
            assertEquals(Math.sqrt(squares / n), manifest.std().get(c), 1e-6, "std of channel " + c);
        }
    }

    private static List<Long> classCounts(List<LabelledImage> images, int classes) {
        long[] counts = new long[classes];
        for (LabelledImage image : images) {
            counts[image.label()]++;
        }
        return Arrays.stream(counts).boxed().toList();
    }

    private static List<LabelledImage> concat(List<LabelledImage> a, List<LabelledImage> b) {
        List<LabelledImage> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private List<String> files(Path directory) throws Exception {
        List<String> names = new ArrayList<>();
        if (!fs.exists(directory)) {
            return names;
        }
        for (FileStatus status : fs.listStatus(directory)) {
            names.add(status.getPath().getName());
        }
        names.sort(null);
        return names;
    }

    private void putManifest(String text) throws Exception {
        try (OutputStream out = fs.create(new Path(dir, "manifest.json"), true)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void putLabels(int... labels) throws Exception {
        try (DataOutputStream out = new DataOutputStream(fs.create(new Path(dir, "labels.bin"), true))) {
            for (int label : labels) {
                out.writeInt(label);
            }
        }
    }
}
