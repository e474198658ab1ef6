package io.averon.jobs;

import io.averon.ps.LogBufferSpace;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Each cluster setup under which training cannot work, run through the real command line (Spark local mode, a small
 * slice of Fashion-MNIST): the run stops with one line that names the setting and what to change, a non-zero exit
 * status, no stack trace on the user's stderr, and no run directory content when it stops before training.
 */
// Generous: each case starts and stops a Spark context; the slowest waits out a 5 s connect timeout.
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BadClusterSetupIT {
    @TempDir
    Path tmp;

    /**
     * One training invocation with the given extra arguments (later ones win). The server and reply ports default to
     * ephemeral here so the cases neither collide with other Averon runs on this machine (the default ranges
     * 40000-40199) nor trip the check that ps.port and ps.worker-ports do not overlap. Workers use UDP as on a
     * cluster: in local mode they would otherwise talk to the server over IPC, where addresses and ports play no part.
     */
    private Invocation train(String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "fashion-mnist-lenet", "--master", "local[2]",
                "--workers", "2", "--run-dir", run().toString(),
                "--set", "dataset.train-limit=256", "--set", "dataset.test-limit=64", "--set", "train.epochs=1",
                "--set", "ps.port=0", "--set", "ps.worker-ports=0", "--set", "ps.transport=udp"));
        a.addAll(Arrays.asList(extra));
        return Invocation.of(a.toArray(String[]::new));
    }

    private Path run() {
        return tmp.resolve("run");
    }

    /** Runs with a system property set, as spark-submit --conf would (SparkConf reads spark.* properties). */
    private static Invocation withProperty(String key, String value, Supplier<Invocation> invocation) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return invocation.get();
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }

    /**
     * Runs with {@link WorkerFailures} listening, and checks that only the epoch stage's first attempt had workers
     * fail: a failure that a retry cannot cure must not be retried, each attempt waiting out ps.connect-timeout
     * again. (Spark may already have resubmitted the stage when the driver stops it; that attempt is cancelled, so
     * its tasks end killed, not failed.)
     */
    private static Invocation attemptedOnce(Supplier<Invocation> invocation) {
        WorkerFailures.SEEN.clear();
        Invocation result = withProperty("spark.extraListeners", WorkerFailures.class.getName(), invocation);
        List<String> failed = new ArrayList<>(WorkerFailures.SEEN);
        assertFalse(failed.isEmpty(), "a worker failed");
        assertTrue(failed.stream().allMatch(f -> f.startsWith("stage 0 attempt 0:")),
                "only the first attempt of the epoch stage failed: " + failed);
        return result;
    }

    /** Records the stage attempt of every task that failed with an exception; registered by spark.extraListeners. */
    public static final class WorkerFailures extends SparkListener {
        static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.reason() instanceof ExceptionFailure failure) {
                SEEN.add("stage " + end.stageId() + " attempt " + end.stageAttemptId() + ": " + failure.className());
            }
        }
    }

    /** Checks the one-line report on stderr and returns it. */
    private static String oneLine(Invocation result, int status, String prefix) {
        assertEquals(status, result.status(), "exit status; stderr: " + result.err());
        String err = result.err().strip();
        assertFalse(err.contains("\n"), "one line on stderr, got: " + err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace: " + err);
        assertTrue(err.startsWith(prefix), "expected '" + prefix + "...', got: " + err);
        return err;
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "expected '" + part + "' in: " + text);
        }
    }

    /** The run stopped before anything was written: not even the run directory (job.conf) exists. */
    private void assertNothingWritten() throws IOException {
        if (Files.exists(run())) {
            try (Stream<Path> files = Files.walk(run())) {
                fail("nothing written before training, found " + files.toList());
            }
        }
    }

    /** The run stopped in its first epoch: the server had started (metrics.jsonl), but nothing was trained or saved. */
    private void assertNothingTrained() throws IOException {
        assertFalse(Files.exists(run().resolve("checkpoints")) && hasFiles(run().resolve("checkpoints")),
                "no checkpoint of an epoch that never ran");
        assertFalse(Files.exists(run().resolve("model.zip")), "no model");
        Path metrics = run().resolve("metrics.jsonl");
        if (Files.exists(metrics)) {
            String events = Files.readString(metrics);
            assertFalse(events.contains("\"event\":\"epoch\""), "no epoch recorded: " + events);
            assertFalse(events.contains("\"event\":\"end\""), "no end recorded: " + events);
        }
    }

    private static boolean hasFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.anyMatch(Files::isRegularFile);
        }
    }

    /**
     * A UDP port held by someone else. Bound to the wildcard address, it blocks the port on every local address:
     * PortRange probes with a plain socket bound to the configured host (0.0.0.0 for the server by default, the
     * executor's host as Spark registered it for a worker: localhost here) without SO_REUSEADDR, and Linux refuses a
     * bind to any address of a port that a wildcard socket holds.
     */
    private static DatagramSocket occupiedPort() throws IOException {
        DatagramSocket socket = new DatagramSocket(null);
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress("0.0.0.0", 0));
        return socket;
    }

    @Test
    void unreachableAdvertisedHost() throws IOException {
        // The server listens on 127.0.0.1 only and tells workers to send to 127.0.0.2: still loopback, so nothing
        // leaves the machine, but no socket receives what the workers send.
        Invocation result = attemptedOnce(() -> train("--set", "ps.bind-host=127.0.0.1",
                "--set", "ps.advertised-host=127.0.0.2", "--set", "ps.connect-timeout=5s"));
        // Exit 1, not 2: the setting may be right and a firewall or a stopped driver the cause, so this is reported
        // as a failure, with the worker's diagnosis of what to check.
        String line = oneLine(result, 1, "averon: failed: ");
        Matcher m = Pattern.compile("cannot reach the parameter server at 127\\.0\\.0\\.2:(\\d+), UDP port (\\d+): "
                + "no Aeron status message came back within (\\d+) ms").matcher(line);
        assertTrue(m.find(), "the worker's own diagnosis reaches the user: " + line);
        String port = m.group(1);
        assertEquals(port, m.group(2));
        // The worker gave up after ps.connect-timeout, not the 60 s default (less the time it took to open channels).
        long waitedMs = Long.parseLong(m.group(3));
        assertTrue(waitedMs > 0 && waitedMs <= 5_000, "worker waited " + waitedMs + " ms");
        assertContains(line, "ps.advertised-host");
        // The port the worker names is the one the run header announced for the server.
        assertContains(result.out(), "parameter server 127.0.0.2:" + port + " over UDP (bound 127.0.0.1");
        assertNothingTrained();
    }

    @Test
    void serverPortRangeExhausted() throws IOException {
        try (DatagramSocket holder = occupiedPort()) {
            int port = holder.getLocalPort();
            // A user or environment error the user fixes by changing ps.port: exit 2, like any other bad setting.
            String line = oneLine(train("--set", "ps.port=" + port + "-" + port), 2, "averon: error: ");
            assertContains(line, "no free UDP port for the parameter server on 0.0.0.0",
                    "all 1 ports of " + port + " are in use", "widen ps.port");
        }
        assertNothingWritten();
    }

    @Test
    void dynamicAllocation() throws IOException {
        String line = oneLine(withProperty("spark.dynamicAllocation.enabled", "true", () -> train()), 2,
                "averon: error: ");
        assertContains(line, "spark.dynamicAllocation.enabled=true", "barrier stage",
                "--conf spark.dynamicAllocation.enabled=false");
        assertNothingWritten();
    }

    @Test
    void moreWorkersThanTaskSlots() throws IOException {
        String line = oneLine(train("--master", "local[1]", "--workers", "2"), 2, "averon: error: ");
        assertContains(line, "train.workers = 2 needs that many task slots", "(local[1]) offers 1", "lower --workers");
        // Local mode has all its slots from the start, so TaskSlots reports at once instead of waiting out
        // train.wait-for-slots (3 minutes); the message names that wait only when it happened.
        assertFalse(line.contains("train.wait-for-slots"), line);
        assertNothingWritten();
    }

    @Test
    void sharedMemoryTooSmallForTermLength() throws IOException {
        int workers = 8;
        int term = 1 << 30;
        // In local mode the workers share the driver's media driver, so the driver needs the server's log buffers
        // (8 MiB overhead + 8 workers x 2 logs x 3 terms x 1 GiB = 48 GiB + 8 MiB) plus each worker's
        // (8 x (8 MiB + 2 logs x 3 terms x 1 GiB) = 48 GiB + 64 MiB): 96 GiB + 72 MiB = 98,376 MiB, four times the
        // 24 GiB /dev/shm of these machines.
        long needed = LogBufferSpace.serverBytes(workers, term) + workers * LogBufferSpace.workerBytes(term);
        long neededMib = (needed + (1 << 20) - 1) >> 20;
        assertEquals(98_376, neededMib);
        Path shm = LogBufferSpace.defaultDirectory().toPath();
        assumeTrue(Files.getFileStore(shm).getUsableSpace() < needed,
                shm + " has room for " + neededMib + " MiB; this case needs a machine where it has not");
        // local[8]: enough task slots, and 256 examples split across 8 workers; only the shared memory is short.
        String line = oneLine(train("--master", "local[" + workers + "]", "--workers", Integer.toString(workers),
                "--set", "ps.term-length=1g"), 2, "averon: error: ");
        assertContains(line, "the driver (parameter server and 8 local workers) needs " + neededMib + " MiB of " + shm,
                "lower ps.term-length");
        assertNothingWritten();
    }

    @Test
    void workerReplyPortRangeExhausted() throws IOException {
        try (DatagramSocket holder = occupiedPort()) {
            int port = holder.getLocalPort();
            // Found by the workers on their executors, after the server started: the same kind of error as a full
            // ps.port, so the same exit status.
            String line = oneLine(attemptedOnce(() -> train("--set", "ps.worker-ports=" + port + "-" + port)), 2,
                    "averon: error: ");
            assertContains(line, "no free UDP port for the worker", "reply channel on ",
                    "all 1 ports of " + port + " are in use", "widen ps.worker-ports");
        }
        assertNothingTrained();
    }
}
