package io.averon.jobs;

import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.checkpoint.CheckpointStore;
import io.averon.worker.FaultMatrixFigures;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input of the foundation issue gets one clear line naming the input and the problem, exit status 2, no
 * stack trace, and leaves an existing run's checkpoints exactly as they were.
 */
class BadInputIT {
    private static final String FASHION = "/usr/share/datasets/fashion-mnist";

    @TempDir
    static Path tmp;
    static Path run;

    @BeforeAll
    static void trainOneEpoch() {
        run = tmp.resolve("run");
        Invocation ok = Invocation.of(args("--run-dir", run.toString()));
        assertEquals(0, ok.status(), ok.err());
        assertTrue(Files.isDirectory(run.resolve("checkpoints")));
    }

    private static String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "fashion-mnist-lenet", "--master", "local[2]",
                "--workers", "2", "--set", "dataset.train-limit=256", "--set", "dataset.test-limit=64",
                "--set", "train.epochs=1"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(String[]::new);
    }

    /** Runs a bad invocation that resumes the good run, and checks the error and the untouched checkpoints. */
    private static void assertRejected(String expectedInMessage, String... extra) throws IOException {
        Map<String, byte[]> before = snapshot(run.resolve("checkpoints"));
        Invocation bad = Invocation.of(args(extra));
        assertEquals(2, bad.status(), "exit status; stderr: " + bad.err());
        String line = bad.err().strip();
        assertTrue(line.startsWith("averon: error: "), line);
        assertTrue(line.contains(expectedInMessage), "expected '" + expectedInMessage + "' in: " + line);
        assertFalse(line.contains("\tat "), "no stack trace: " + line);
        Map<String, byte[]> after = snapshot(run.resolve("checkpoints"));
        assertEquals(before.keySet(), after.keySet(), "checkpoint files unchanged");
        before.forEach((k, v) -> assertTrue(Arrays.equals(v, after.get(k)), "checkpoint file changed: " + k));
    }

    private static Path datasetCopy(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(Path.of(FASHION))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }

    @Test
    void missingDatasetFile() throws IOException {
        Path dir = datasetCopy("missing");
        Files.delete(dir.resolve("train-labels-idx1-ubyte.gz"));
        assertRejected(dir.resolve("train-labels-idx1-ubyte.gz") + ": file not found",
                "--resume", run.toString(), "--set", "train.epochs=2", "--set", "dataset.dir=" + dir);
    }

    @Test
    void truncatedDatasetFile() throws IOException {
        Path dir = datasetCopy("truncated");
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        try (RandomAccessFile f = new RandomAccessFile(images.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        assertRejected(images + ": truncated",
                "--resume", run.toString(), "--set", "train.epochs=2", "--set", "dataset.dir=" + dir);
    }

    @Test
    void fileThatIsNotIdx() throws IOException {
        Path dir = datasetCopy("notidx");
        Files.writeString(dir.resolve("train-labels-idx1-ubyte.gz"), "label,image\n1,shoe.png\n");
        assertRejected(dir.resolve("train-labels-idx1-ubyte.gz") + ": not an IDX",
                "--resume", run.toString(), "--set", "train.epochs=2", "--set", "dataset.dir=" + dir);
    }

    @Test
    void aNewRunIntoADirectoryHoldingAnEarlierRunsCheckpoints() throws IOException {
        // Without --resume, its checkpoints would mix with the earlier run's and a later resume could pick either.
        assertRejected("checkpoints of an earlier run (newest file:" + run.resolve("checkpoints"),
                "--run-dir", run.toString(), "--set", "train.epochs=2");
        FaultMatrixFigures.record("new-run-into-old", "refused with exit 2 naming the newest checkpoint and "
                + "`--resume`; every checkpoint file unchanged");
    }

    @Test
    void unknownConfigKey() throws IOException {
        assertRejected("unknown config key 'train.epoch' (did you mean 'train.epochs'?)",
                "--resume", run.toString(), "--set", "train.epoch=2");
    }

    @Test
    void wrongConfigType() throws IOException {
        assertRejected("config key 'train.batch-size' expects a number",
                "--resume", run.toString(), "--set", "train.batch-size=sixty-four");
    }

    @Test
    void moreWorkersThanTrainingExamples() throws IOException {
        assertRejected("cannot split 1 training examples across 2 workers",
                "--resume", run.toString(), "--set", "train.epochs=2", "--set", "dataset.train-limit=1");
    }

    @Test
    void checkpointFromAnotherModel() throws IOException {
        Path other = tmp.resolve("other");
        CheckpointStore store = new CheckpointStore(other.resolve("checkpoints").toString(), 3, new Configuration());
        store.write(new CheckpointState(1, 8, 0, 42, 2, "1234 params, sha256:000000000000", "job.name = other"),
                new float[1234], new float[0]);
        Map<String, byte[]> before = snapshot(other.resolve("checkpoints"));
        assertRejected("is from another model (1234 params, sha256:000000000000)",
                "--resume", other.toString(), "--set", "train.epochs=2");
        Map<String, byte[]> after = snapshot(other.resolve("checkpoints"));
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertTrue(Arrays.equals(v, after.get(k)), "changed: " + k));
    }

    @Test
    void unknownJobAndOption() {
        Invocation job = Invocation.of("train", "no-such-job");
        assertEquals(2, job.status());
        assertTrue(job.err().contains("unknown job 'no-such-job'"), job.err());
        Invocation option = Invocation.of("train", "fashion-mnist-lenet", "--epochs", "3");
        assertEquals(2, option.status());
        assertTrue(option.err().contains("unknown option --epochs"), option.err());
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
                }
            }
        }
        assertFalse(files.isEmpty(), "no checkpoint under " + dir);
        return files;
    }
}
