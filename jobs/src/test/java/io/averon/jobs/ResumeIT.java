package io.averon.jobs;

import io.averon.driver.RunResult;
import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.checkpoint.CheckpointStore;
import io.averon.worker.FaultMatrixFigures;
import io.averon.worker.MissedBatches;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.averon.worker.ParameterAssertions.assertClose;
import static io.averon.worker.ParameterAssertions.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two epochs straight equal one epoch, then {@code --resume} for the second, on real Fashion-MNIST data. */
class ResumeIT {
    @TempDir
    Path tmp;

    private RunResult train(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "fashion-mnist-lenet", "--master", "local[2]",
                "--workers", "2", "--set", "dataset.train-limit=640", "--set", "dataset.test-limit=200",
                "--set", "train.batch-size=32"));
        args.addAll(List.of(extra));
        return Averon.train(CommandLine.parse(args.toArray(String[]::new)), System.out);
    }

    @Test
    void twoEpochsStraightEqualOneEpochPlusResume() throws Exception {
        RunResult straight = train("--run-dir", tmp.resolve("straight").toString(), "--set", "train.epochs=2");
        RunResult first = train("--run-dir", tmp.resolve("split").toString(), "--set", "train.epochs=1");
        assertEquals(1, first.epochs().size());
        assertEquals(10, first.finalStep(), "640 examples / 2 workers / 32 per batch");
        RunResult resumed = train("--resume", tmp.resolve("split").toString(), "--set", "train.epochs=2");

        assertEquals(1, resumed.epochs().size(), "the resumed run trains only the second epoch");
        assertEquals(2, resumed.epochs().get(0).epoch());
        assertEquals(straight.finalStep(), resumed.finalStep());
        assertClose(straight.parameters(), resumed.parameters(), 1e-5);
        assertTrue(maxAbsDiff(first.parameters(), resumed.parameters()) > 1e-4, "the second epoch changed the model");
        assertTrue(Files.exists(tmp.resolve("split/model.zip")));
        List<String> metrics = Files.readAllLines(tmp.resolve("split/metrics.jsonl"));
        assertEquals(2, metrics.stream().filter(l -> l.contains("\"event\":\"epoch\"")).count(),
                "metrics of both invocations are kept: " + metrics);
        assertEquals(straight.last().testAccuracy(), resumed.last().testAccuracy(), 1e-9);
    }

    /**
     * A driver lost mid-epoch resumes from the newest mid-epoch checkpoint (written in the background): the epoch's
     * own checkpoint is removed to stand for a driver that died before it, and the resumed run ends bit-identical.
     */
    @Test
    void aResumeFromAMidEpochCheckpointEndsBitIdentical() throws Exception {
        long resumedFrom;
        RunResult straight = train("--run-dir", tmp.resolve("straight").toString(), "--set", "train.epochs=2");
        train("--run-dir", tmp.resolve("mid").toString(), "--set", "train.epochs=1",
                "--set", "checkpoint.every-steps=3", "--set", "checkpoint.keep=10");
        Path checkpoints = tmp.resolve("mid/checkpoints");
        try (var listing = Files.list(checkpoints)) {
            List<String> names = listing.map(p -> p.getFileName().toString()).sorted().toList();
            // The driver looks at the step four times a second, so a mid-epoch checkpoint lands at the first step
            // it sees at least 3 steps after the previous one.
            assertTrue(names.size() >= 3 && names.get(names.size() - 1).equals("ckpt-000000000010"),
                    "mid-epoch checkpoints, then the epoch's: " + names);
            resumedFrom = Long.parseLong(names.get(names.size() - 2).substring(5));
        }
        deleteTree(checkpoints.resolve("ckpt-000000000010"));

        RunResult resumed = train("--resume", tmp.resolve("mid").toString(), "--set", "train.epochs=2");
        assertEquals(straight.finalStep(), resumed.finalStep());
        assertArrayEquals(straight.parameters(), resumed.parameters(), "bit for bit");
        FaultMatrixFigures.record("resume-mid-epoch", "640 examples, 10 steps an epoch, 2 epochs: resumed from the "
                + "checkpoint of step %d, %d steps trained after it, bit-identical", resumedFrom,
                resumed.finalStep() - resumedFrom);
    }

    /**
     * A mid-epoch checkpoint carries the minibatches of its epoch that no step trained (here: as if worker 1 had been
     * stalled for the epoch's first two steps); the resumed run trains the rest of the epoch and then those two in a
     * catch-up round, so the server applies every remaining example once and the two batches once more.
     */
    @Test
    void aResumedEpochStillTrainsTheBatchesItsCheckpointRecordsAsMissed() throws Exception {
        train("--run-dir", tmp.resolve("missed").toString(), "--set", "train.epochs=1",
                "--set", "checkpoint.every-steps=3", "--set", "checkpoint.keep=10");
        Path checkpoints = tmp.resolve("missed/checkpoints");
        deleteTree(checkpoints.resolve("ckpt-000000000010"));
        CheckpointStore store = new CheckpointStore(checkpoints.toUri().toString(), 10,
                new org.apache.hadoop.conf.Configuration());
        Checkpoint mid = store.requireNewestValid();
        CheckpointState s = mid.state();
        assertTrue(s.stepInEpoch() >= 2 && s.stepInEpoch() < 10, "a mid-epoch checkpoint: " + s);
        deleteTree(Path.of(java.net.URI.create(mid.location())));
        store.write(new CheckpointState(s.epoch(), s.step(), s.stepInEpoch(), s.seed(), s.workers(),
                s.modelFingerprint(), s.jobConfig(), s.bestScore(), s.epochsSinceBest(), MissedBatches.parse("1:0-1")),
                mid.parameters(), mid.updaterState());

        RunResult resumed = train("--resume", tmp.resolve("missed").toString(), "--set", "train.epochs=1");
        long remaining = (10 - s.stepInEpoch()) * 2 * 32;
        assertEquals(remaining + 2 * 32, resumed.epochs().get(0).examples(),
                "the steps after the checkpoint, then worker 1's two missed batches");
        assertEquals(s.step() + (10 - s.stepInEpoch()) + 1, resumed.finalStep(),
                "the two missed batches make one step of a catch-up round on two workers");
        List<String> catchUps = Files.readAllLines(tmp.resolve("missed/metrics.jsonl")).stream()
                .filter(l -> l.contains("\"event\":\"catch_up\"")).toList();
        assertEquals(1, catchUps.size(), "one catch-up round: " + catchUps);
        assertTrue(catchUps.get(0).contains("\"examples\":64"), catchUps.get(0));
        FaultMatrixFigures.record("exactly-once", "a resumed epoch whose checkpoint (step %d of 10) records 2 missed "
                + "batches applied %d examples: the remaining steps' %d plus exactly those 64, in one catch-up step",
                s.stepInEpoch(), resumed.epochs().get(0).examples(), remaining);
    }

    /**
     * A resume with another batch size cannot continue the interrupted epoch (its remaining minibatches exist only
     * under the old slicing): the epoch restarts from its first step under the new batch, every example once, and
     * the global step goes on from the checkpoint's.
     */
    @Test
    void aResumeWithAnotherBatchSizeRestartsTheInterruptedEpoch() throws Exception {
        train("--run-dir", tmp.resolve("rebatch").toString(), "--set", "train.epochs=1",
                "--set", "checkpoint.every-steps=3", "--set", "checkpoint.keep=10");
        Path checkpoints = tmp.resolve("rebatch/checkpoints");
        deleteTree(checkpoints.resolve("ckpt-000000000010"));
        CheckpointState mid = new CheckpointStore(checkpoints.toUri().toString(), 10,
                new org.apache.hadoop.conf.Configuration()).requireNewestValid().state();
        assertTrue(mid.stepInEpoch() > 0, "a mid-epoch checkpoint: " + mid);

        RunResult resumed = train("--resume", tmp.resolve("rebatch").toString(), "--set", "train.epochs=1",
                "--set", "train.batch-size=16");
        assertEquals(640, resumed.epochs().get(0).examples(), "the whole epoch again, each example once");
        assertEquals(20, resumed.epochs().get(0).steps(), "640 examples / 2 workers / 16 per batch");
        assertEquals(mid.step() + 20, resumed.finalStep());
        FaultMatrixFigures.record("batch-change", "checkpoint of step %d (%d into the epoch, batch 32) resumed with "
                + "batch 16: the epoch restarted, %d steps, %d examples applied", mid.step(), mid.stepInEpoch(),
                resumed.epochs().get(0).steps(), resumed.epochs().get(0).examples());
    }

    /**
     * Early stopping's memory travels in the checkpoint: a min-delta no epoch can reach stops a 3-epoch run after its
     * second epoch, and so it does when the first epoch ran in an earlier invocation.
     */
    @Test
    void earlyStoppingResumesWhereItWas() throws Exception {
        String[] stopping = { "--set", "train.early-stopping-patience=1", "--set", "train.early-stopping-min-delta=1" };
        RunResult straight = train(concat(new String[] { "--run-dir", tmp.resolve("es-straight").toString(),
                "--set", "train.epochs=3" }, stopping));
        assertEquals(2, straight.epochs().size(), "stopped after epoch 2");
        train(concat(new String[] { "--run-dir", tmp.resolve("es-split").toString(), "--set", "train.epochs=1" },
                stopping));
        RunResult resumed = train(concat(new String[] { "--resume", tmp.resolve("es-split").toString(),
                "--set", "train.epochs=3" }, stopping));
        assertEquals(1, resumed.epochs().size(), "only epoch 2 trained, then it stopped as the straight run did");
        assertEquals(straight.finalStep(), resumed.finalStep());
        FaultMatrixFigures.record("early-stopping", "patience 1, an unreachable min-delta, 3 epochs: the straight run "
                + "and the resumed one both stopped after epoch %d, at step %d", straight.last().epoch(),
                resumed.finalStep());
    }

    @Test
    void aSecondRunIntoADirectoryInUseStopsBeforeWritingAnything() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(dir.resolve("run.lock"), "application=app-20261202-0001\nhost=elsewhere\nprocess=7@x\n");
        Invocation result = Invocation.of("train", "fashion-mnist-lenet", "--master", "local[2]",
                "--workers", "2", "--run-dir", dir.toString(), "--set", "dataset.train-limit=640");
        assertEquals(2, result.status(), result.err());
        assertTrue(result.err().contains("averon: error: run directory") && result.err().contains(
                "is in use by application app-20261202-0001"), result.err());
        try (var listing = Files.list(dir)) {
            assertEquals(List.of("run.lock"), listing.map(p -> p.getFileName().toString()).toList());
        }
        FaultMatrixFigures.record("second-run", "refused with exit 2 naming application app-20261202-0001; the "
                + "directory still holds only the first run's lock");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
