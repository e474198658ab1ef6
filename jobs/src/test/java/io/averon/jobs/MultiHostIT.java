package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Training across emulated hosts: three network namespaces on a bridge (a driver host with the Spark Master, two
 * Worker hosts), a real {@code deploy/spark-submit} in client mode on the driver host, and LeNet on a Fashion-MNIST
 * subset. Asserts that it learned, that the two workers ran on the two worker hosts (not the driver's), and that the
 * gradients crossed the bridge: the parameter server counted them and each worker host's veth carried at least its
 * gradients' bytes. Needs root, so it runs only in the {@code netns} Maven profile, and fails (never skips) without it.
 */
class MultiHostIT {
    /** LeNet's parameters (model.architecture = lenet), 4 bytes each on the wire. */
    private static final long LENET_PARAMS = 431_080;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void trainsAcrossTwoWorkerHostsOverTheBridge() throws Exception {
        assertTrue(NetnsCluster.runningAsRoot(), "MultiHostIT needs root: it creates network namespaces, veths and a "
                + "bridge (deploy/cluster/netns-cluster.sh). Run `mvn -B verify -Pnetns` as root, or leave out -Pnetns");
        Path jar = Path.of("target/averon.jar").toAbsolutePath();
        Path jvmOptions = Path.of("target/jvm.options").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar) && Files.isRegularFile(jvmOptions),
                "the fat jar and jvm.options are built in the package phase: " + jar);
        // Under target/, not a temporary folder: the cluster's, driver's and executors' logs outlive a failure.
        Path work = Path.of("target/multihost-it").toAbsolutePath();
        deleteTree(work);
        Path runDir = work.resolve("run");

        try (NetnsCluster cluster = new NetnsCluster(work, "avn", 3, 1, "2g")) {
            String driverHost = cluster.address(0);
            Set<String> workerHosts = Set.of(cluster.address(1), cluster.address(2));
            long[][] before = {cluster.bytes(0), cluster.bytes(1), cluster.bytes(2)};

            List<String> submit = new ArrayList<>(List.of(cluster.root().resolve("deploy/spark-submit").toString(),
                    "--master", cluster.masterUrl(), "--deploy-mode", "client",
                    "--conf", "spark.driver.host=" + driverHost,
                    // One one-core executor per Worker host (each Worker offers one core), so each host runs one worker.
                    "--conf", "spark.executor.cores=1", "--conf", "spark.cores.max=2",
                    "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                    // ND4J's off-heap memory beside the 1g heap, bounded so two executors fit a small machine.
                    "--conf", "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=1g "
                            + "-Dorg.bytedeco.javacpp.maxphysicalbytes=3g",
                    "--driver-java-options", Files.readString(jvmOptions).trim(),
                    "--class", "io.averon.jobs.Averon", jar.toString(),
                    "train", "fashion-mnist-lenet", "--workers", "2", "--run-dir", runDir.toString(),
                    "--set", "dataset.train-limit=4000", "--set", "dataset.test-limit=1000",
                    "--set", "train.epochs=1", "--set", "spark.executor-memory=1g"));
            Process driver = cluster.start(0, "spark-submit", submit);
            if (!driver.waitFor(12, TimeUnit.MINUTES)) {
                fail("spark-submit did not finish in 12 minutes; log:\n" + tail(cluster.log("spark-submit")));
            }
            String driverLog = cluster.log("spark-submit");
            assertEquals(0, driver.exitValue(), "spark-submit's exit status; log:\n" + tail(driverLog));
            assertTrue(driverLog.contains("parameter server " + driverHost + ":"),
                    "the parameter server advertises the driver host's address:\n" + tail(driverLog));

            long[][] after = {cluster.bytes(0), cluster.bytes(1), cluster.bytes(2)};
            JsonNode epoch = lastEpoch(runDir.resolve("metrics.jsonl"));
            double accuracy = epoch.path("test_accuracy").asDouble();
            assertTrue(accuracy >= 0.65, "test accuracy after 1 epoch on 4000 examples: " + accuracy);
            assertTrue(epoch.path("gradients_accepted").asLong() > 0, "gradients accepted: " + epoch);

            JsonNode workers = epoch.path("workers");
            assertEquals(2, workers.size(), "two workers: " + workers);
            Map<String, Long> stepsByHost = new HashMap<>();
            for (JsonNode w : workers) {
                String host = w.path("host").asText();
                String address = host.contains("/") ? host.substring(0, host.indexOf('/')) : host;
                assertTrue(host.matches("[0-9.]+/pid[0-9]+"), "a worker is named <address>/pid<N>: " + host);
                assertNotEquals(driverHost, address, "a worker ran on the driver's host: " + host);
                assertTrue(workerHosts.contains(address), "a worker ran on a worker host: " + host);
                assertTrue(w.path("steps").asLong() > 0, "a worker that trained: " + w);
                stepsByHost.merge(address, w.path("steps").asLong(), Long::sum);
            }
            assertEquals(workerHosts, stepsByHost.keySet(), "the two workers on two different hosts: " + workers);

            // Each step a worker sends its whole gradient (LENET_PARAMS floats) to the driver's host: what that
            // worker host sent over its veth, and what the driver's host received, must be at least that much.
            long gradientBytes = LENET_PARAMS * Float.BYTES;
            long totalGradients = 0;
            StringBuilder measured = new StringBuilder();
            for (int i = 1; i <= 2; i++) {
                long steps = stepsByHost.get(cluster.address(i));
                long sent = after[i][0] - before[i][0];
                long received = after[i][1] - before[i][1];
                totalGradients += steps * gradientBytes;
                measured.append(String.format("host %d (%s): %d steps, sent %,d B, received %,d B; ", i,
                        cluster.address(i), steps, sent, received));
                assertTrue(sent >= steps * gradientBytes, "host " + i + " sent " + sent + " B over "
                        + cluster.veth(i) + ", less than its " + steps + " gradients of " + gradientBytes + " B");
            }
            long driverReceived = after[0][1] - before[0][1];
            long driverSent = after[0][0] - before[0][0];
            measured.append(String.format("driver host: received %,d B, sent %,d B; test accuracy %.4f",
                    driverReceived, driverSent, accuracy));
            System.out.println("MultiHostIT measured: " + measured);
            assertTrue(driverReceived >= totalGradients, "the driver's host received " + driverReceived
                    + " B, less than the " + totalGradients + " B of gradients: " + measured);
        }
    }

    private static JsonNode lastEpoch(Path metrics) throws Exception {
        assertTrue(Files.isRegularFile(metrics), "metrics.jsonl written: " + metrics);
        ObjectMapper json = new ObjectMapper();
        JsonNode last = null;
        Set<String> events = new HashSet<>();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode node = json.readTree(line);
            events.add(node.path("event").asText());
            if (node.path("event").asText().equals("epoch")) {
                last = node;
            }
        }
        assertTrue(events.contains("end"), "the run finished (an end event): " + events);
        assertTrue(last != null, "an epoch event in " + metrics);
        return last;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static String tail(String log) {
        return log.length() <= 6000 ? log : "..." + log.substring(log.length() - 6000);
    }
}
