package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.driver.RunResult;
import io.averon.worker.FaultMatrixFigures;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Losing an executor in the middle of an epoch does not lose the run. Two workers train on a real Spark standalone
 * cluster (one executor JVM each); once epoch 1 is well under way the test kills one executor with SIGKILL. Spark
 * fails the barrier stage, the Worker launches a replacement executor, Spark runs the stage again, the new attempt's
 * workers register with the driver's parameter server again and skip the steps it already applied, and the run
 * finishes every epoch with a model that learned. The evidence is taken from Spark (a task lost with its executor, a
 * stage that succeeded on a later attempt), from the run's metrics (epoch 1 reported by a JVM that did not exist
 * when training started) and from the workers' own logs.
 */
class ExecutorLossIT {
    private static final Pattern EPOCH_1_PROGRESS = Pattern.compile("epoch 1/2 \\[[#.]+\\]\\s+(\\d+)%");

    @TempDir
    Path tmp;

    @Test
    void trainingSurvivesAnExecutorKilledMidEpoch() throws Exception {
        Path jar = Path.of("target/averon.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the fat jar is built in the package phase: " + jar);
        // The same run without the fault, in local mode: synchronous training is bit-reproducible across cluster
        // kinds, so this is the clean run's accuracy the faulted one is held to.
        RunResult clean = Averon.train(CommandLine.parse(new String[] {
            "train", "fashion-mnist-lenet", "--master", "local[2]", "--workers", "2",
            "--run-dir", tmp.resolve("clean").toString(), "--set", "dataset.train-limit=6000",
            "--set", "dataset.test-limit=1000", "--set", "train.epochs=2", "--set", "train.batch-size=32"}), System.out);
        SparkEvents.clear();
        Set<Path> leftBehind = new HashSet<>();
        // Two cores for two one-core executors; the core the killed executor frees is what its replacement gets.
        try (StandaloneCluster cluster = new StandaloneCluster(tmp, 2, "6g")) {
            cluster.configureDriver(jar, java.util.Map.of("spark.extraListeners", SparkEvents.class.getName()));
            Console console = new Console(System.out);
            FutureTask<RunResult> training = new FutureTask<>(() -> Averon.train(CommandLine.parse(new String[] {
                "train", "fashion-mnist-lenet", "--master", cluster.masterUrl, "--workers", "2",
                "--run-dir", tmp.resolve("run").toString(),
                "--set", "dataset.train-limit=6000", "--set", "dataset.test-limit=1000",
                "--set", "train.epochs=2", "--set", "train.batch-size=32", "--set", "spark.executor-memory=1g",
                // The survivor waits for its dead partner at every step until the server evicts it: keep that short.
                "--set", "ps.step-deadline=5s", "--set", "ps.evict-after-missed-steps=2"}),
                    new PrintStream(console, true, StandardCharsets.UTF_8)));
            Thread thread = new Thread(training, "averon-train");
            // A hung run must not keep the forked test JVM alive after the test gave up on it.
            thread.setDaemon(true);
            try {
                thread.start();
                List<ProcessHandle> before = awaitProgress(cluster, console, training, 20, 150);
                ProcessHandle victim = before.get(0);
                leftBehind.addAll(sharedMemoryDirectories(victim));
                System.out.printf("killing executor pid %d (of %s); its Aeron directories: %s%n", victim.pid(),
                        pids(before), leftBehind);
                victim.destroyForcibly();
                victim.onExit().get(30, TimeUnit.SECONDS);

                RunResult result = training.get(180, TimeUnit.SECONDS);

                assertEquals(2, result.epochs().size(), "summaries of both epochs: " + result.epochs());
                for (var epoch : result.epochs()) {
                    // The server's count of examples whose gradient it applied: the lost worker's batches of the
                    // steps taken without it were trained in a catch-up round, none twice.
                    assertEquals(6000, epoch.examples(), "every example exactly once: " + epoch);
                }
                double accuracy = result.last().testAccuracy();
                assertEquals(clean.last().testAccuracy(), accuracy, 0.01,
                        "test accuracy after 2 epochs on 6000 examples, within a point of the run without the fault");

                assertTrue(SparkEvents.events().stream().anyMatch(e -> e.startsWith("task lost with executor")),
                        "Spark saw a task fail with its executor: " + SparkEvents.events());
                assertTrue(SparkEvents.events().stream().anyMatch(e -> e.matches("stage \\d+ attempt [1-9]\\d* ok")),
                        "a stage succeeded on a retry: " + SparkEvents.events());

                List<Set<Long>> epochPids = epochWorkerPids(tmp.resolve("run/metrics.jsonl"));
                assertEquals(2, epochPids.size(), "two epoch lines in metrics.jsonl");
                Set<Long> original = before.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
                assertFalse(epochPids.get(0).contains(victim.pid()),
                        "epoch 1 was finished by live executors, not the killed " + victim.pid() + ": " + epochPids);
                assertTrue(epochPids.get(0).stream().anyMatch(pid -> !original.contains(pid)),
                        "epoch 1 was finished with a replacement executor (before the kill: " + original + "): "
                                + epochPids);
                List<String> resumed = executorLogLines("resumed epoch");
                assertFalse(resumed.isEmpty(),
                        "the retried stage's workers skipped the steps the server had applied (TrainingWorker log)");
                var e1 = result.epochs().get(0);
                FaultMatrixFigures.record("executor-kill", "6,000 examples, 2 epochs, batch 32: %,d and %,d examples "
                        + "applied; epoch 1 had %d steps (94 planned + %d catch-up); accuracy %.4f against %.4f clean; "
                        + "epoch 1 took %.1f s against %.1f s clean (the survivor waits `ps.step-deadline` 5 s twice "
                        + "before the dead worker is evicted, then Spark restarts the barrier stage on a new executor)",
                        e1.examples(), result.epochs().get(1).examples(), e1.steps(), e1.steps() - 94, accuracy,
                        clean.last().testAccuracy(), e1.seconds(), clean.epochs().get(0).seconds());
                System.out.println("executor pids before the kill " + original + ", per epoch " + epochPids);
                SparkEvents.events().forEach(System.out::println);
                resumed.forEach(System.out::println);
            } finally {
                if (!training.isDone()) {
                    training.cancel(true);
                    thread.join(TimeUnit.SECONDS.toMillis(30));
                }
                // Executors still inside a task when the cluster stops them leave their media driver's files too.
                for (ProcessHandle executor : executors(cluster)) {
                    try {
                        leftBehind.addAll(sharedMemoryDirectories(executor));
                    } catch (IOException exited) {
                        // it exited meanwhile; whatever it left is no longer attributable to it
                    }
                }
            }
        } finally {
            // A SIGKILLed executor cannot delete its media driver's log buffers; nobody else will.
            for (Path dir : leftBehind) {
                deleteTree(dir);
            }
        }
    }

    /**
     * Waits until both executors run and epoch 1 is at least {@code percent} done according to the driver's progress
     * lines, and returns the executors.
     */
    private static List<ProcessHandle> awaitProgress(StandaloneCluster cluster, Console console,
                                                     FutureTask<RunResult> training, int percent, int seconds)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (training.isDone()) {
                training.get();
                fail("training ended before an executor could be killed");
            }
            List<ProcessHandle> executors = executors(cluster);
            Matcher m = EPOCH_1_PROGRESS.matcher(console.text());
            int done = 0;
            while (m.find()) {
                done = Math.max(done, Integer.parseInt(m.group(1)));
            }
            if (executors.size() == 2 && done >= percent) {
                return executors;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("epoch 1 did not reach " + percent + "% on two executors in " + seconds + " s; "
                + "executors " + pids(executors(cluster)) + ", console:\n" + console.text());
    }

    private static List<ProcessHandle> executors(StandaloneCluster cluster) {
        return cluster.worker().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains("CoarseGrainedExecutorBackend")).orElse(false))
                .collect(Collectors.toList());
    }

    private static Set<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The Aeron directories a process has mapped, read from /proc before it dies. */
    private static Set<Path> sharedMemoryDirectories(ProcessHandle process) throws IOException {
        Set<Path> dirs = new HashSet<>();
        Path shm = Path.of("/dev/shm");
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "maps"))) {
            int at = line.indexOf("/dev/shm/averon-");
            if (at >= 0) {
                dirs.add(shm.resolve(shm.relativize(Path.of(line.substring(at).trim())).getName(0)));
            }
        }
        return dirs;
    }

    /** The executor pids named in each epoch line of metrics.jsonl (hosts look like {@code name/pid123}). */
    private static List<Set<Long>> epochWorkerPids(Path metrics) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Set<Long>> epochs = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode node = json.readTree(line);
            if (!node.path("event").asText().equals("epoch")) {
                continue;
            }
            Set<Long> pids = new TreeSet<>();
            for (JsonNode w : node.path("workers")) {
                // One worker may have run in several places: its first round, then a catch-up round.
                for (String host : w.path("host").asText().split(", ")) {
                    pids.add(Long.parseLong(host.substring(host.lastIndexOf("/pid") + 4)));
                }
            }
            epochs.add(pids);
        }
        return epochs;
    }

    /** Lines of every executor's stderr (work/worker/app-*&#47;N/stderr) that contain {@code text}. */
    private List<String> executorLogLines(String text) throws IOException {
        try (Stream<Path> files = Files.walk(tmp.resolve("worker"))) {
            return files.filter(f -> f.getFileName().toString().equals("stderr"))
                    .flatMap(f -> {
                        try {
                            return Files.readAllLines(f).stream().map(l -> f.getParent().getFileName() + ": " + l);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .filter(l -> l.contains(text))
                    .collect(Collectors.toList());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The run's console output, passed through to stdout and kept so the test can follow the progress lines. */
    private static final class Console extends OutputStream {
        private final PrintStream through;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

        Console(PrintStream through) {
            this.through = through;
        }

        @Override
        public synchronized void write(int b) {
            through.write(b);
            kept.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            through.write(b, off, len);
            kept.write(b, off, len);
        }

        @Override
        public void flush() {
            through.flush();
        }

        synchronized String text() {
            return kept.toString(StandardCharsets.UTF_8);
        }
    }

    /**
     * Registered through spark.extraListeners, so Spark creates it inside the run's context; hence the static queue.
     * Public because Spark instantiates it by reflection.
     */
    public static final class SparkEvents extends SparkListener {
        private static final Queue<String> EVENTS = new ConcurrentLinkedQueue<>();

        static void clear() {
            EVENTS.clear();
        }

        static List<String> events() {
            return new ArrayList<>(EVENTS);
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
            if (taskEnd.reason() instanceof ExecutorLostFailure lost) {
                EVENTS.add("task lost with executor " + lost.execId() + " in stage " + taskEnd.stageId() + " attempt "
                        + taskEnd.stageAttemptId() + ": " + lost.toErrorString());
            }
        }

        @Override
        public void onStageCompleted(SparkListenerStageCompleted completed) {
            var info = completed.stageInfo();
            EVENTS.add("stage " + info.stageId() + " attempt " + info.attemptNumber()
                    + (info.failureReason().isDefined() ? " failed: " + info.failureReason().get() : " ok"));
        }
    }
}
