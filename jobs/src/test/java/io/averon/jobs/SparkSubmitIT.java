package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.worker.FaultMatrixFigures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Averon submitted the way users submit it: a real {@code spark-submit} process (deploy/spark-submit over the
 * project's Spark runtime) with the fat jar and the shipped spark-defaults.conf, against a multi-process standalone
 * cluster, in client and in cluster deploy mode, with a good and a bad job. One cluster serves every scenario.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class SparkSubmitIT {
    @TempDir
    static Path tmp;
    static StandaloneCluster cluster;
    static Path root;

    @BeforeAll
    static void startCluster() throws Exception {
        root = Path.of("..").toAbsolutePath().normalize();
        // Three slots: a cluster-mode driver takes one core, its two workers one each.
        cluster = new StandaloneCluster(tmp, 3, "6g");
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> submit(String deployMode, String... extra) {
        List<String> command = new ArrayList<>(List.of(root.resolve("deploy/spark-submit").toString(),
                "--master", cluster.masterUrl, "--deploy-mode", deployMode,
                "--properties-file", root.resolve("jobs/target/spark-defaults.conf").toString(),
                "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
                "--conf", "spark.executor.memory=1g", "--conf", "spark.driver.memory=1g",
                "--conf", "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=1g "
                        + "-Dorg.bytedeco.javacpp.maxphysicalbytes=3g",
                "--conf", "spark.driver.host=127.0.0.1"));
        command.addAll(List.of(extra));
        return command;
    }

    private static List<String> averonArgs(String job, Path runDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("--class", "io.averon.jobs.Averon",
                root.resolve("jobs/target/averon.jar").toString(), "train", job, "--workers", "2",
                "--run-dir", runDir.toString(), "--set", "train.epochs=1", "--set", "train.batch-size=32"));
        args.addAll(List.of(extra));
        return args;
    }

    private static SparkSubmitProcess.Finished run(List<String> command, Path log) throws Exception {
        return SparkSubmitProcess.run(command, log, java.util.Map.of());
    }

    private static JsonNode lastEpoch(Path runDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode epoch = null;
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode node = json.readTree(line);
            if (node.path("event").asText().equals("epoch")) {
                epoch = node;
            }
        }
        assertTrue(epoch != null, "no epoch line in " + runDir.resolve("metrics.jsonl"));
        return epoch;
    }

    private static double lastAccuracy(Path runDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        double accuracy = Double.NaN;
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            JsonNode node = json.readTree(line);
            if (node.path("event").asText().equals("epoch")) {
                accuracy = node.path("test_accuracy").asDouble();
                assertEquals(2, node.path("workers").size(), line);
                assertTrue(node.path("gradients_accepted").asLong() > 0, line);
                for (JsonNode w : node.path("workers")) {
                    assertTrue(w.path("host").asText().startsWith("127.0.0.1/pid"), "executor address: " + w);
                }
            }
        }
        return accuracy;
    }

    @Test
    void clientModeTrainsAndExitsZero() throws Exception {
        Path runDir = tmp.resolve("client-run");
        List<String> command = submit("client");
        command.addAll(averonArgs("fashion-mnist-lenet", runDir, "--set", "dataset.train-limit=3000",
                "--set", "dataset.test-limit=1000"));
        SparkSubmitProcess.Finished result = run(command, tmp.resolve("client.log"));
        assertEquals(0, result.status(), result.output());
        assertTrue(result.output().contains("model saved to"), result.output());
        double accuracy = lastAccuracy(runDir);
        assertTrue(accuracy >= 0.6, "1 epoch on 3000 examples: " + accuracy);
        assertTrue(Files.isRegularFile(runDir.resolve("model.zip")));
    }

    @Test
    void clientModeUserErrorExitsTwoWithOneLineAndNoStackTrace() throws Exception {
        List<String> command = submit("client");
        command.addAll(averonArgs("fashion-mnist-lenet", tmp.resolve("bad-run"), "--set", "train.epoch=2"));
        SparkSubmitProcess.Finished result = run(command, tmp.resolve("client-bad.log"));
        assertEquals(2, result.status(), result.output());
        assertTrue(result.output().contains("averon: error: --set train.epoch=2: unknown config key 'train.epoch'"),
                result.output());
        assertFalse(result.output().contains("SparkUserAppException"), result.output());
        assertFalse(Files.exists(tmp.resolve("bad-run/metrics.jsonl")), "nothing written for a bad config");
    }

    @Test
    void clusterModeRunsTheDriverOnTheClusterWithAJobShippedByFiles() throws Exception {
        Path jobFile = tmp.resolve("small-lenet.conf");
        Files.writeString(jobFile, Files.readString(root.resolve("conf/jobs/fashion-mnist-lenet.conf"))
                + "\njob.name = small-lenet\ndataset.train-limit = 3000\ndataset.test-limit = 1000\n");
        Path runDir = tmp.resolve("cluster-run");
        List<String> command = submit("cluster", "--conf", "spark.standalone.submit.waitAppCompletion=true",
                "--files", jobFile.toString());
        command.addAll(averonArgs("small-lenet.conf", runDir));
        SparkSubmitProcess.Finished result = run(command, tmp.resolve("cluster.log"));
        assertEquals(0, result.status(), result.output());
        String driverLog = driverOutput();
        assertTrue(driverLog.contains("model saved to " + runDir), driverLog);
        double accuracy = lastAccuracy(runDir);
        assertTrue(accuracy >= 0.6, "1 epoch on 3000 examples: " + accuracy);
    }

    @Test
    void clusterModeFailureEndsFailedWithTheErrorInTheDriverLog() throws Exception {
        List<String> command = submit("cluster", "--conf", "spark.standalone.submit.waitAppCompletion=true");
        command.addAll(averonArgs("fashion-mnist-lenet", tmp.resolve("cluster-bad"), "--set", "ps.port=70000"));
        SparkSubmitProcess.Finished result = run(command, tmp.resolve("cluster-bad.log"));
        // A standalone cluster's spark-submit exits 0 whatever the driver's end: the Master has the verdict.
        var matcher = java.util.regex.Pattern.compile("State of driver (driver-[0-9-]+) is FAILED")
                .matcher(result.output());
        assertTrue(matcher.find(), result.output());
        JsonNode master = new ObjectMapper().readTree(cluster.masterJson());
        String state = "";
        for (JsonNode driver : master.path("completeddrivers")) {
            if (driver.path("id").asText().equals(matcher.group(1))) {
                state = driver.path("state").asText();
            }
        }
        assertEquals("FAILED", state, master.toString());
        String driverLog = driverOutput();
        assertTrue(driverLog.contains("averon: error: ps.port must be a UDP port"), driverLog);
        // Spark's DriverWrapper prints the exception main threw (its frame is Averon.main); nothing deeper is Averon's.
        assertFalse(driverLog.lines().anyMatch(l -> l.strip().startsWith("at io.averon.")
                && !l.contains("io.averon.jobs.Averon.main(")), "no stack trace of Averon's for a user error: "
                + driverLog);
    }

    /**
     * The fault matrix's driver row: a client-mode driver killed with SIGKILL mid-epoch (after a mid-epoch checkpoint
     * was committed), then submitted again with {@code --resume}, ends with parameters bit-identical to a run that
     * was never killed. The dead driver's run.lock goes stale and is taken over; its /dev/shm directory is reclaimed.
     */
    private static final String[] FAULT_RUN = { "--set", "dataset.train-limit=3000", "--set", "dataset.test-limit=200",
            "--set", "checkpoint.every-steps=5", "--set", "run.lock-refresh=1s", "--set", "run.lock-stale=3s" };
    private static byte[] uninterrupted;
    private static double uninterruptedSeconds;

    /** The parameters of the fault runs' job trained without a fault, once for every test that compares with it. */
    private static synchronized byte[] uninterruptedCoefficients() throws Exception {
        if (uninterrupted == null) {
            Path straight = tmp.resolve("straight-run");
            List<String> command = submit("client");
            command.addAll(averonArgs("fashion-mnist-lenet", straight, FAULT_RUN));
            long t0 = System.nanoTime();
            SparkSubmitProcess.Finished clean = run(command, tmp.resolve("straight.log"));
            assertEquals(0, clean.status(), clean.output());
            uninterruptedSeconds = (System.nanoTime() - t0) / 1e9;
            uninterrupted = coefficients(straight);
        }
        return uninterrupted;
    }

    @Test
    void aDriverKilledMidEpochAndResubmittedWithResumeEndsBitIdentical() throws Exception {
        String[] common = FAULT_RUN;
        byte[] straight = uninterruptedCoefficients();

        Path killed = tmp.resolve("killed-run");
        long t0 = System.nanoTime();
        List<String> killedCommand = submit("client");
        killedCommand.addAll(averonArgs("fashion-mnist-lenet", killed, common));
        Process driver = new ProcessBuilder(killedCommand).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile()).start();
        long checkpointStep;
        try {
            checkpointStep = awaitMidEpochCheckpoint(killed.resolve("checkpoints"), driver.toHandle());
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
            driver.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(killed.resolve("model.zip")), "killed before the end");

        List<String> resumeCommand = submit("client");
        resumeCommand.addAll(List.of("--class", "io.averon.jobs.Averon", root.resolve("jobs/target/averon.jar")
                .toString(), "train", "fashion-mnist-lenet", "--workers", "2", "--resume", killed.toString(),
                "--set", "train.epochs=1", "--set", "train.batch-size=32"));
        resumeCommand.addAll(List.of(common));
        SparkSubmitProcess.Finished resumed = run(resumeCommand, tmp.resolve("resumed.log"));
        assertEquals(0, resumed.status(), resumed.output());
        var resumedAt = java.util.regex.Pattern.compile("resuming from \\S+: 0 epoch\\(s\\) completed, step (\\d+)")
                .matcher(resumed.output());
        assertTrue(resumedAt.find(), resumed.output());
        assertTrue(Long.parseLong(resumedAt.group(1)) >= checkpointStep, "resumed from step " + resumedAt.group(1)
                + ", a checkpoint of step " + checkpointStep + " was committed before the kill");
        assertTrue(resumed.output().contains("taking over"), "the dead driver's lock: " + resumed.output());
        assertArrayEquals(straight, coefficients(killed), "final parameters, bit for bit");
        FaultMatrixFigures.record("driver-kill-resume", "3,000 examples, 47 steps, a checkpoint every 5 steps: killed "
                + "after the checkpoint of step %d was committed, resumed from step %s; killed + resumed runs %.0f s "
                + "together (%.0f s uninterrupted)", checkpointStep, resumedAt.group(1),
                (System.nanoTime() - t0) / 1e9, uninterruptedSeconds);
    }

    /**
     * The Kubernetes row, as far as it can run without a cluster: the Spark operator restarts a failed driver by
     * running spark-submit again with the SparkApplication's own arguments. The manifest's arguments (its fixed
     * --run-dir pointed at a local directory, the fault run's size settings added) are submitted, the driver is killed
     * with SIGKILL after a mid-epoch checkpoint, and the identical command is run again: it must resume by itself and
     * end bit-identical to the uninterrupted run.
     */
    @Test
    void aDriverRestartedAsTheKubernetesOperatorDoesResumesByItselfBitIdentical() throws Exception {
        byte[] straight = uninterruptedCoefficients();
        Path runDir = tmp.resolve("operator-run");
        List<String> manifest = SparkApplicationSchema.read(root.resolve("deploy/k8s/spark-application.yaml"))
                .spec().arguments();
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < manifest.size(); i++) {
            String a = manifest.get(i);
            if (a.equals("--run-dir")) {
                arguments.addAll(List.of(a, runDir.toString()));
                i++;
            } else if (a.startsWith("dataset.dir=")) {
                arguments.remove(arguments.size() - 1); // its --set: the test reads the default dataset
            } else {
                arguments.add(a);
            }
        }
        assertTrue(arguments.contains("run.auto-resume=true") && arguments.contains(runDir.toString()),
                "the manifest restarts into a fixed run directory with run.auto-resume: " + manifest);
        List<String> command = submit("client");
        command.addAll(List.of("--class", "io.averon.jobs.Averon", root.resolve("jobs/target/averon.jar").toString()));
        command.addAll(arguments);
        command.addAll(List.of("--set", "train.epochs=1", "--set", "train.batch-size=32"));
        command.addAll(List.of(FAULT_RUN));

        Process first = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("operator-first.log").toFile()).start();
        long killedAfter;
        try {
            killedAfter = awaitMidEpochCheckpoint(runDir.resolve("checkpoints"), first.toHandle());
        } finally {
            first.descendants().forEach(ProcessHandle::destroyForcibly);
            first.destroyForcibly();
            first.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(Files.exists(runDir.resolve("model.zip")), "killed before the end");

        long restartedAt = System.nanoTime();
        SparkSubmitProcess.Finished restarted = run(command, tmp.resolve("operator-restart.log"));
        assertEquals(0, restarted.status(), restarted.output());
        assertTrue(restarted.output().contains("restarted driver: "), restarted.output());
        var resumedAt = java.util.regex.Pattern.compile("resuming from \\S+: 0 epoch\\(s\\) completed, step (\\d+)")
                .matcher(restarted.output());
        assertTrue(resumedAt.find(), restarted.output());
        assertArrayEquals(straight, coefficients(runDir), "final parameters, bit for bit");
        FaultMatrixFigures.record("driver-operator", "killed after the checkpoint of step %d; the manifest's command "
                + "run again resumed from step %s by itself and finished in %.0f s (%.0f s uninterrupted)",
                killedAfter, resumedAt.group(1), (System.nanoTime() - restartedAt) / 1e9, uninterruptedSeconds);
    }

    /**
     * The fault matrix's supervised row: a cluster-mode driver submitted with {@code --supervise} and killed with
     * SIGKILL mid-epoch is started again by the Worker, finds its predecessor's lock in the run directory, resumes by
     * itself, and ends bit-identical to the uninterrupted run.
     */
    @Test
    void aSupervisedDriverKilledMidEpochResumesByItselfBitIdentical() throws Exception {
        byte[] straight = uninterruptedCoefficients();
        Path runDir = tmp.resolve("supervised-run");
        List<String> command = submit("cluster", "--supervise",
                "--conf", "spark.standalone.submit.waitAppCompletion=false");
        command.addAll(averonArgs("fashion-mnist-lenet", runDir, FAULT_RUN));
        SparkSubmitProcess.Finished submitted = run(command, tmp.resolve("supervised-submit.log"));
        assertEquals(0, submitted.status(), submitted.output());
        var id = java.util.regex.Pattern.compile("(driver-[0-9-]+)").matcher(submitted.output());
        assertTrue(id.find(), submitted.output());
        String driverId = id.group(1);

        ProcessHandle driver = awaitDriverProcess(runDir);
        long killedAfter = awaitMidEpochCheckpoint(runDir.resolve("checkpoints"), driver);
        driver.destroyForcibly();
        long killedAt = System.nanoTime();

        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
        String state = "";
        while (!state.equals("FINISHED") && System.nanoTime() < deadline) {
            Thread.sleep(1_000);
            for (JsonNode d : new ObjectMapper().readTree(cluster.masterJson()).path("completeddrivers")) {
                if (d.path("id").asText().equals(driverId)) {
                    state = d.path("state").asText();
                }
            }
            assertTrue(!state.equals("FAILED") && !state.equals("ERROR"), "driver " + driverId + " " + state + ": "
                    + driverOutput());
        }
        assertEquals("FINISHED", state, "the supervised driver did not finish: " + driverOutput());
        String output = driverOutput();
        assertTrue(output.contains("restarted driver: " + runDir) || output.contains("restarted driver: file:" + runDir),
                "the relaunched driver resumed by itself: " + output);
        assertArrayEquals(straight, coefficients(runDir), "final parameters, bit for bit");
        FaultMatrixFigures.record("driver-supervise", "killed after the checkpoint of step %d (of 47); the Worker's "
                + "relaunched driver resumed and the run finished within %.0f s of the kill (%.0f s uninterrupted)",
                killedAfter, (System.nanoTime() - killedAt) / 1e9, uninterruptedSeconds);
    }

    /**
     * The fault matrix's stalled-worker row: an executor stopped with SIGSTOP for about four step deadlines is
     * dropped from steps and evicted while the other worker trains on; after SIGCONT its worker registers again and
     * realigns to the server's step instead of lagging it, and the batches of the steps it missed are trained in a
     * catch-up round: the server applied every one of the 3,000 examples exactly once.
     */
    @Test
    void aWorkerStoppedForSeveralDeadlinesIsEvictedRejoinsAndRealigns() throws Exception {
        Path runDir = tmp.resolve("stalled-run");
        List<String> command = submit("client");
        command.addAll(averonArgs("fashion-mnist-lenet", runDir, "--set", "dataset.train-limit=3000",
                "--set", "dataset.test-limit=200", "--set", "checkpoint.every-steps=5", "--set", "ps.step-deadline=2s",
                "--set", "ps.evict-after-missed-steps=2"));
        Process driver = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("stalled.log").toFile()).start();
        try {
            awaitMidEpochCheckpoint(runDir.resolve("checkpoints"), driver.toHandle());
            ProcessHandle executor = SparkSubmitProcess.processes("CoarseGrainedExecutorBackend").stream().findFirst()
                    .orElseThrow(() -> new AssertionError("no executor process"));
            signal("STOP", executor);
            Thread.sleep(8_000);
            signal("CONT", executor);
            assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "the run did not end");
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
        String output = Files.readString(tmp.resolve("stalled.log"));
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.contains("evicted worker"), "the stopped worker was evicted: " + output);
        // From metrics.jsonl: the console interleaves the driver's lines with Spark's log.
        JsonNode epoch = lastEpoch(runDir);
        assertEquals(3000, epoch.path("examples").asLong(), "every example exactly once: " + epoch);
        assertTrue(output.contains("catch-up round 1"), "the missed batches were trained again: " + output);
        long steps = epoch.path("steps").asLong();
        // 47 planned; the catch-up round adds a step for each two missed batches, nothing more: no lagging.
        assertTrue(steps > 47 && steps < 47 + 47, "3000 examples, 2 workers x 32: " + epoch);
        assertTrue(epoch.path("dropped_from_step").asLong() >= 2, "dropped from steps while stopped: " + epoch);
        var caughtUp = java.util.regex.Pattern.compile("(\\d+) example\\(s\\) in (\\d+) minibatch\\(es\\)")
                .matcher(output);
        FaultMatrixFigures.record("worker-sigstop", "3,000 examples, `ps.step-deadline=2s`, stopped 8 s: %s; %d steps "
                + "= 47 planned + %d catch-up; %d examples applied", caughtUp.find() ? caughtUp.group(1)
                + " examples in " + caughtUp.group(2) + " minibatches missed and caught up" : "caught up", steps,
                steps - 47, epoch.path("examples").asLong());
    }

    /**
     * The fault matrix's row of two executors lost in one epoch (both of this run's): Spark starts new executors, the
     * epoch's barrier stage runs again from the server's current step, and the run completes.
     */
    @Test
    void bothExecutorsKilledInOneEpochTheRunCompletes() throws Exception {
        Path runDir = tmp.resolve("both-lost-run");
        List<String> command = submit("client");
        command.addAll(averonArgs("fashion-mnist-lenet", runDir, "--set", "dataset.train-limit=3000",
                "--set", "dataset.test-limit=200", "--set", "checkpoint.every-steps=5"));
        long t0 = System.nanoTime();
        Process driver = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("both-lost.log").toFile()).start();
        long killedAt;
        try {
            killedAt = awaitMidEpochCheckpoint(runDir.resolve("checkpoints"), driver.toHandle());
            List<ProcessHandle> executors = SparkSubmitProcess.processes("CoarseGrainedExecutorBackend");
            assertEquals(2, executors.size(), "the run's two executors");
            executors.forEach(ProcessHandle::destroyForcibly);
            assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "the run did not end");
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
        String output = Files.readString(tmp.resolve("both-lost.log"));
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.contains("model saved to"), output);
        assertEquals(3000, lastEpoch(runDir).path("examples").asLong(), "every example exactly once");
        assertTrue(lastAccuracy(runDir) >= 0.6, "after losing both executors at step " + killedAt + ": "
                + lastAccuracy(runDir));
        FaultMatrixFigures.record("two-executors", "both killed after the checkpoint of step %d: 3,000 of 3,000 "
                + "examples applied, accuracy %.4f, %.0f s for the whole run including the recovery", killedAt,
                lastAccuracy(runDir), (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The fault matrix's row of an executor lost during the test-set evaluation: the epoch's checkpoint is committed
     * before the evaluation ends (it is handed to the background writer before the evaluation starts), Spark retries
     * the lost evaluation task elsewhere, and the run completes with the whole epoch's accounting.
     */
    @Test
    void anExecutorLostDuringTheEvaluationTheRunCompletesWithTheEpochCheckpointed() throws Exception {
        Path runDir = tmp.resolve("eval-lost-run");
        List<String> command = submit("client");
        // The whole test set (10,000 images) keeps the evaluation going for seconds after the epoch's last step.
        command.addAll(averonArgs("fashion-mnist-lenet", runDir, "--set", "dataset.train-limit=3000"));
        Path log = tmp.resolve("eval-lost.log");
        long t0 = System.nanoTime();
        Process driver = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path epochCheckpoint = runDir.resolve("checkpoints/ckpt-000000000047");
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (!Files.isDirectory(epochCheckpoint)) {
                assertTrue(driver.isAlive() && System.nanoTime() < deadline,
                        "no checkpoint of the epoch's last step: " + Files.readString(log));
                Thread.sleep(20);
            }
            List<ProcessHandle> executors = SparkSubmitProcess.processes("CoarseGrainedExecutorBackend");
            assertEquals(2, executors.size(), "the run's two executors");
            executors.get(0).destroyForcibly();
            assertFalse(Files.readString(log).contains("epoch 1/1: "),
                    "the executor was killed before the evaluation had ended");
            assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "the run did not end");
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
        String output = Files.readString(log);
        assertEquals(0, driver.exitValue(), output);
        assertTrue(output.contains("model saved to"), output);
        assertTrue(output.contains("Lost executor") || output.contains("ExecutorLostFailure"),
                "Spark saw the executor go during the evaluation: " + output);
        assertEquals(3000, lastEpoch(runDir).path("examples").asLong());
        assertTrue(lastAccuracy(runDir) >= 0.6, "accuracy " + lastAccuracy(runDir));
        FaultMatrixFigures.record("eval-loss", "3,000 training examples, the whole 10,000-image test set: an executor "
                + "killed as soon as the checkpoint of step 47 was committed, before the epoch line; 3,000 applied, "
                + "accuracy %.4f, %.0f s for the run", lastAccuracy(runDir), (System.nanoTime() - t0) / 1e9);
    }

    private static void signal(String name, ProcessHandle process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + name + " " + process.pid());
    }

    /** The cluster-mode driver JVM (Spark's DriverWrapper) training into the given run directory. */
    private static ProcessHandle awaitDriverProcess(Path runDir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> found = SparkSubmitProcess.processes("org.apache.spark.deploy.worker.DriverWrapper",
                    runDir.toString());
            if (!found.isEmpty()) {
                return found.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no driver process for " + runDir);
    }

    private static long awaitMidEpochCheckpoint(Path checkpoints, ProcessHandle driver) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (!driver.isAlive()) {
                throw new AssertionError("the driver ended before a mid-epoch checkpoint of " + checkpoints);
            }
            if (Files.isDirectory(checkpoints)) {
                try (var listing = Files.list(checkpoints)) {
                    var committed = listing.map(p -> p.getFileName().toString())
                            .filter(n -> n.matches("ckpt-\\d+")).sorted().toList();
                    if (!committed.isEmpty()) {
                        return Long.parseLong(committed.get(committed.size() - 1).substring(5));
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no mid-epoch checkpoint within 5 minutes");
    }

    private static byte[] coefficients(Path runDir) throws IOException {
        try (var zip = new java.util.zip.ZipFile(runDir.resolve("model.zip").toFile())) {
            return zip.getInputStream(zip.getEntry("coefficients.bin")).readAllBytes();
        }
    }

    /** The stderr of the newest cluster-mode driver, from the Worker's work directory. */
    private static String driverOutput() throws IOException {
        File[] drivers = tmp.resolve("worker").toFile().listFiles((d, name) -> name.startsWith("driver-"));
        assertTrue(drivers != null && drivers.length > 0, "no driver directory under the Worker's work dir");
        File newest = drivers[0];
        for (File d : drivers) {
            if (d.getName().compareTo(newest.getName()) > 0) {
                newest = d;
            }
        }
        String output = Files.readString(newest.toPath().resolve("stderr")) + Files.readString(
                newest.toPath().resolve("stdout"));
        // Kept beside the test reports: the temporary directory is gone when a failure is read.
        Path kept = Path.of("target/failsafe-reports", "SparkSubmitIT-" + newest.getName() + ".log");
        Files.createDirectories(kept.getParent());
        Files.writeString(kept, output);
        return output;
    }
}
