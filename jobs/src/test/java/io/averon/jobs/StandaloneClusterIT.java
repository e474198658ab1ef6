package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.driver.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The main job on a multi-process Spark standalone cluster: Master, Worker and two executors in JVMs of their own,
 * workers talking to the driver's parameter server over Aeron UDP on 127.0.0.1. Asserts traffic and learning, not
 * just the exit status.
 */
class StandaloneClusterIT {
    @TempDir
    Path tmp;

    @Test
    void trainsFashionMnistSubsetOnSeparateExecutorJvms() throws Exception {
        Path jar = Path.of("target/averon.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the fat jar is built in the package phase: " + jar);
        try (StandaloneCluster cluster = new StandaloneCluster(tmp, 2, "6g")) {
            cluster.configureDriver(jar, java.util.Map.of());
            RunResult result = Averon.train(CommandLine.parse(new String[] {"train", "fashion-mnist-lenet",
                "--master", cluster.masterUrl, "--workers", "2", "--run-dir", tmp.resolve("run").toString(),
                "--set", "dataset.train-limit=6000", "--set", "dataset.test-limit=2000",
                "--set", "train.epochs=2", "--set", "train.batch-size=32",
                "--set", "spark.executor-memory=1g"}), System.out);
            double accuracy = result.last().testAccuracy();
            assertTrue(accuracy >= 0.70, "test accuracy after 2 epochs on 6000 examples: " + accuracy);

            List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
            ObjectMapper json = new ObjectMapper();
            Set<String> workerProcesses = new HashSet<>();
            long self = ProcessHandle.current().pid();
            for (String line : lines) {
                JsonNode node = json.readTree(line);
                if (!node.path("event").asText().equals("epoch")) {
                    continue;
                }
                assertEquals(2, node.path("workers").size());
                for (JsonNode w : node.path("workers")) {
                    String host = w.path("host").asText();
                    workerProcesses.add(host);
                    assertFalse(host.endsWith("/pid" + self), "worker ran in the driver's JVM: " + host);
                    assertEquals(94, w.path("steps").asInt(), "3000 examples / 32 per step: " + w);
                }
                assertTrue(node.path("gradients_accepted").asLong() > 0, line);
            }
            assertEquals(2, workerProcesses.size(), "two executor JVMs: " + workerProcesses);
        }
    }
}
