package io.averon.driver.checkpoint;

import io.averon.worker.FaultMatrixFigures;
import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Behaviour every filesystem must give the checkpoint store; subclasses bind it to the local filesystem and to a real
 * HDFS. Damage is done through the Hadoop API, as a faulty writer or a careless operator would do it.
 */
abstract class CheckpointStoreContract {
    private static final AtomicInteger DIRS = new AtomicInteger();

    /** Base URI under which each test gets its own fresh directory. */
    abstract String baseUri();

    abstract Configuration conf();

    String freshDirectory() {
        return baseUri() + "/run-" + DIRS.incrementAndGet();
    }

    FileSystem fs(String uri) throws IOException {
        return new Path(uri).getFileSystem(conf());
    }

    static CheckpointState state(long step) {
        return new CheckpointState(step / 100, step, step % 100, 0x5eedL, 2, "431080 params, sha256:1a2b3c4d5e6f",
                "job {\n  model = lenet\n  batch = 64\n}\n");
    }

    static float[] floats(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    static void assertSameBits(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError("element " + i + ": expected " + expected[i] + " got " + actual[i]);
            }
        }
    }

    String write(CheckpointStore store, long step) throws IOException {
        return store.write(state(step), floats(1000, step), floats(2000, -step));
    }

    byte[] readBytes(Path path) throws IOException {
        try (FSDataInputStream in = fs(path.toString()).open(path)) {
            return in.readAllBytes();
        }
    }

    void replace(Path path, byte[] content) throws IOException {
        FileSystem fs = fs(path.toString());
        fs.delete(path, false);
        try (FSDataOutputStream out = fs.create(path, false)) {
            out.write(content);
        }
    }

    /** Every file under a directory with its bytes and modification time. */
    Map<String, String> snapshot(String location) throws IOException {
        FileSystem fs = fs(location);
        Map<String, String> files = new TreeMap<>();
        for (FileStatus s : fs.listStatus(new Path(location))) {
            files.put(s.getPath().getName(), s.getModificationTime() + ":" + s.getLen() + ":"
                    + Arrays.hashCode(readBytes(s.getPath())));
        }
        files.put(".", Long.toString(fs.getFileStatus(new Path(location)).getModificationTime()));
        return files;
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 3, conf());
        float[] parameters = floats(100_003, 7);
        parameters[0] = Float.intBitsToFloat(0x7fc01234); // a NaN with a payload
        parameters[1] = -0.0f;
        parameters[2] = Float.MIN_VALUE;
        parameters[3] = Float.NEGATIVE_INFINITY;
        parameters[4] = Float.MAX_VALUE;
        float[] updater = new float[0];
        CheckpointState state = new CheckpointState(3, 2812, 0, Long.MIN_VALUE, 4,
                " fingerprint with = : # \\ and ü\tand\nnewline", "a = 1\nb = \"ü\"\r\n# end\n");

        String location = store.write(state, parameters, updater);

        assertTrue(location.startsWith(store.directory() + "/ckpt-000000002812"), location);
        assertEquals(List.of(location), store.list());
        Checkpoint loaded = store.loadNewestValid().orElseThrow();
        assertEquals(location, loaded.location());
        assertEquals(state, loaded.state());
        assertSameBits(parameters, loaded.parameters());
        assertSameBits(updater, loaded.updaterState());
        assertEquals(location, store.requireNewestValid().location());
    }

    @Test
    void theMissedBatchesOfTheEpochInProgressAndEarlyStoppingsMemorySurviveTheRoundTrip() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 3, conf());
        CheckpointState state = new CheckpointState(2, 1234, 34, 7, 3, "fp", "a = 1\n", 0.8125, 2,
                io.averon.worker.MissedBatches.parse("0:3,2:10-14"));
        store.write(state, floats(10, 1), new float[0]);
        CheckpointState loaded = store.requireNewestValid().state();
        assertEquals(state, loaded);
        assertEquals("0:3,2:10-14", loaded.missed().render());
    }

    @Test
    void anEmptyOrMissingDirectoryHasNoCheckpoint() throws IOException {
        String dir = freshDirectory();
        CheckpointStore missing = new CheckpointStore(dir, 2, conf());
        assertEquals(Optional.empty(), missing.loadNewestValid());
        assertEquals(List.of(), missing.list());
        InputException noDir = assertThrows(InputException.class, missing::requireNewestValid);
        assertTrue(noDir.getMessage().contains(missing.directory()) && noDir.getMessage().contains("does not exist"),
                noDir.getMessage());

        fs(dir).mkdirs(new Path(dir));
        assertEquals(Optional.empty(), missing.loadNewestValid());
        InputException empty = assertThrows(InputException.class, missing::requireNewestValid);
        assertTrue(empty.getMessage().contains("holds no checkpoint"), empty.getMessage());
    }

    @Test
    void keepsOnlyTheNewestK() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 2, conf());
        List<String> written = new ArrayList<>();
        for (long step = 100; step <= 400; step += 100) {
            written.add(write(store, step));
        }
        assertEquals(written.subList(2, 4), store.list());
        assertFalse(fs(written.get(0)).exists(new Path(written.get(0))));
        assertEquals(400, store.loadNewestValid().orElseThrow().state().step());
    }

    @Test
    void aTruncatedParameterFileFallsBackToThePreviousCheckpoint() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, conf());
        String previous = write(store, 10);
        String newest = write(store, 20);
        Path parameters = new Path(newest, CheckpointLayout.PARAMETERS);
        byte[] bytes = readBytes(parameters);
        replace(parameters, Arrays.copyOf(bytes, bytes.length - 4));

        assertEquals(previous, store.loadNewestValid().orElseThrow().location());
    }

    @Test
    void aFlippedByteFallsBackToThePreviousCheckpoint() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, conf());
        String previous = write(store, 10);
        String newest = write(store, 20);
        Path parameters = new Path(newest, CheckpointLayout.PARAMETERS);
        byte[] bytes = readBytes(parameters);
        bytes[bytes.length / 2] ^= 0x10;
        replace(parameters, bytes);

        Checkpoint loaded = store.loadNewestValid().orElseThrow();
        assertEquals(previous, loaded.location());
        assertSameBits(floats(1000, 10), loaded.parameters());
        FaultMatrixFigures.record("corrupt-checkpoint-" + new Path(newest).toUri().getScheme(), "one byte flipped in "
                + "the newest checkpoint's parameters (of step 20): step 10's loaded, bit-exact");
    }

    @Test
    void aMissingManifestFallsBackToThePreviousCheckpoint() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, conf());
        String previous = write(store, 10);
        String newest = write(store, 20);
        fs(newest).delete(new Path(newest, CheckpointLayout.MANIFEST), false);

        assertEquals(previous, store.loadNewestValid().orElseThrow().location());
        assertEquals(List.of(previous), store.list(), "without a manifest a checkpoint is not complete");
    }

    @Test
    void aLeftoverTempDirectoryIsIgnored() throws IOException {
        String dir = freshDirectory();
        CheckpointStore store = new CheckpointStore(dir, 5, conf());
        String valid = write(store, 10);
        // A complete-looking copy under a temp name: a writer that died just before its rename.
        String other = freshDirectory();
        String orphan = new CheckpointStore(other, 5, conf()).write(state(30), floats(1000, 30), floats(10, 30));
        FileSystem fs = fs(dir);
        assertTrue(fs.rename(new Path(orphan), new Path(dir, "_tmp-ckpt-000000000030-deadbeef")));

        assertEquals(valid, store.loadNewestValid().orElseThrow().location());
        assertEquals(List.of(valid), store.list());
    }

    @Test
    void writingNeverModifiesExistingCheckpoints() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 10, conf());
        String first = write(store, 10);
        String second = write(store, 20);
        Map<String, String> firstBefore = snapshot(first);
        Map<String, String> secondBefore = snapshot(second);

        write(store, 30);
        write(store, 40);

        assertEquals(firstBefore, snapshot(first));
        assertEquals(secondBefore, snapshot(second));
    }

    @Test
    void aValidCheckpointOfTheSameStepIsNeverOverwritten() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, conf());
        String existing = write(store, 10);
        Map<String, String> before = snapshot(existing);

        assertThrows(FileAlreadyExistsException.class,
                () -> store.write(state(10), floats(1000, 99), floats(10, 99)));

        assertEquals(before, snapshot(existing));
        assertEquals(List.of(existing), store.list());
    }

    @Test
    void aCorruptCheckpointOfTheSameStepIsMovedAsideAndRewritten() throws IOException {
        String dir = freshDirectory();
        CheckpointStore store = new CheckpointStore(dir, 5, conf());
        String damaged = write(store, 10);
        fs(dir).delete(new Path(damaged, CheckpointLayout.UPDATER_STATE), false);

        String rewritten = store.write(state(10), floats(1000, 99), floats(10, 99));

        assertEquals(damaged, rewritten);
        assertSameBits(floats(1000, 99), store.loadNewestValid().orElseThrow().parameters());
        FileStatus[] aside = fs(dir).globStatus(new Path(dir, "_corrupt-ckpt-000000000010-*"));
        assertEquals(1, aside.length, "the damaged checkpoint is kept for inspection under a hidden name");
    }

    @Test
    void anExplicitDirectoryWithOnlyDamagedCheckpointsNamesEachProblem() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, conf());
        String a = write(store, 10);
        String b = write(store, 20);
        fs(a).delete(new Path(a, CheckpointLayout.MANIFEST), false);
        replace(new Path(b, CheckpointLayout.STATE), "format=1\n".getBytes());

        assertEquals(Optional.empty(), store.loadNewestValid());
        InputException e = assertThrows(InputException.class, store::requireNewestValid);
        String message = e.getMessage();
        assertTrue(message.contains(store.directory()), message);
        assertTrue(message.contains("ckpt-000000000010: missing MANIFEST"), message);
        assertTrue(message.contains("ckpt-000000000020: state.properties has"), message);
    }

    @Test
    void theJustWrittenCheckpointSurvivesPruningNextToAStaleLaterOne() throws IOException {
        // A run resumed from step 10 because step 20 was damaged writes step 15 while ckpt-20 still exists.
        CheckpointStore store = new CheckpointStore(freshDirectory(), 1, conf());
        write(store, 10);
        String stale = write(store, 20);
        replace(new Path(stale, CheckpointLayout.JOB_CONFIG), "tampered".getBytes());

        String resumed = write(store, 15);

        assertTrue(store.list().contains(resumed), store.list().toString());
        assertEquals(resumed, store.loadNewestValid().orElseThrow().location());
    }

    @Test
    void tempDirectoriesOfDeadWritersAreRemovedAfterAnHour() throws IOException {
        String dir = freshDirectory();
        CheckpointStore store = new CheckpointStore(dir, 5, conf());
        write(store, 10);
        FileSystem fs = fs(dir);
        Path dead = new Path(dir, "_tmp-ckpt-000000000011-0000dead");
        Path live = new Path(dir, "_tmp-ckpt-000000000012-0000beef");
        for (Path temp : List.of(dead, live)) {
            try (FSDataOutputStream out = fs.create(new Path(temp, CheckpointLayout.PARAMETERS), false)) {
                out.write(new byte[100]);
            }
        }
        long twoHoursAgo = fs.getFileStatus(live).getModificationTime() - 2 * 3600_000L;
        fs.setTimes(dead, twoHoursAgo, -1);

        write(store, 20);

        assertFalse(fs.exists(dead), "a temp directory untouched for two hours belongs to a dead writer");
        assertTrue(fs.exists(live), "a recent temp directory may belong to a live writer");
    }
}
