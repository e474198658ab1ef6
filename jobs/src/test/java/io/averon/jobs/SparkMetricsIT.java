package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Averon's metrics in Spark's own metrics system, as a user would scrape them: a real {@code spark-submit} of a
 * two-epoch run with the PrometheusServlet sink on the driver's UI, scraped over HTTP while it trains. The step gauge
 * must be seen advancing, and the Spark UI's REST API must show the run's jobs in one job group, with descriptions
 * for its epochs and test-set evaluations.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SparkMetricsIT {
    private static final Pattern STEP = Pattern.compile("averon_ps_step_Value\\{type=\"gauges\"} (\\d+)");
    private static final Pattern EPOCH = Pattern.compile("averon_train_epoch_Value\\{type=\"gauges\"} (\\d+)");

    @TempDir
    Path tmp;

    @Test
    void thePrometheusServletShowsTheStepAdvancingAndTheUiShowsTheRunsJobGroup() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(root.resolve("deploy/spark-submit").toString(),
                "--master", "local[2]", "--properties-file", root.resolve("jobs/target/spark-defaults.conf").toString(),
                "--conf", "spark.driver.memory=2g", "--conf", "spark.driver.host=127.0.0.1",
                "--conf", "spark.ui.enabled=true", "--conf", "spark.ui.port=" + port,
                "--conf", "spark.port.maxRetries=0",
                "--conf", "spark.metrics.conf.*.sink.prometheusServlet.class="
                        + "org.apache.spark.metrics.sink.PrometheusServlet",
                "--conf", "spark.metrics.conf.*.sink.prometheusServlet.path=/metrics/prometheus",
                "--class", "io.averon.jobs.Averon", root.resolve("jobs/target/averon.jar").toString(),
                "train", "fashion-mnist-lenet", "--workers", "2", "--run-dir", tmp.resolve("run").toString(),
                "--set", "dataset.train-limit=3000", "--set", "dataset.test-limit=500",
                "--set", "train.batch-size=32", "--set", "train.epochs=2"));
        Path log = tmp.resolve("driver.log");
        Process driver = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
                .followRedirects(HttpClient.Redirect.NORMAL).build(); // the servlet redirects to its path plus "/"
        List<Long> steps = new ArrayList<>();
        Set<Integer> epochs = new TreeSet<>();
        Set<String> descriptions = new TreeSet<>();
        Set<String> groups = new TreeSet<>();
        ObjectMapper json = new ObjectMapper();
        try {
            while (driver.isAlive()) {
                String metrics = get(http, "http://127.0.0.1:" + port + "/metrics/prometheus");
                if (metrics != null) {
                    Matcher step = STEP.matcher(metrics);
                    if (step.find()) {
                        steps.add(Long.parseLong(step.group(1)));
                    }
                    Matcher epoch = EPOCH.matcher(metrics);
                    if (epoch.find()) {
                        epochs.add(Integer.parseInt(epoch.group(1)));
                    }
                }
                String apps = get(http, "http://127.0.0.1:" + port + "/api/v1/applications");
                // While Spark starts, the UI answers with a line of text instead of JSON.
                if (apps != null && apps.startsWith("[") && json.readTree(apps).size() > 0) {
                    String id = json.readTree(apps).get(0).path("id").asText();
                    String jobs = get(http, "http://127.0.0.1:" + port + "/api/v1/applications/" + id + "/jobs");
                    if (jobs != null && jobs.startsWith("[")) {
                        for (JsonNode job : json.readTree(jobs)) {
                            descriptions.add(job.path("description").asText());
                            groups.add(job.path("jobGroup").asText());
                        }
                    }
                }
                Thread.sleep(250);
            }
            assertTrue(driver.waitFor(8, TimeUnit.MINUTES), "the run did not end");
        } finally {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
        String output = Files.readString(log);
        assertEquals(0, driver.exitValue(), output);

        long distinct = steps.stream().distinct().count();
        assertTrue(distinct >= 3, "the step gauge scraped while training: " + steps + "\n" + output);
        for (int i = 1; i < steps.size(); i++) {
            assertTrue(steps.get(i) >= steps.get(i - 1), "the step never goes back: " + steps);
        }
        assertTrue(steps.get(steps.size() - 1) > 47, "scraped into the second epoch: " + steps);
        assertEquals(Set.of(1, 2), epochs, "the epoch gauge");
        assertTrue(descriptions.contains("averon epoch 1/2") && descriptions.contains("averon epoch 2/2")
                && descriptions.contains("averon epoch 1/2 test-set evaluation"), "job descriptions: " + descriptions);
        assertTrue(groups.contains("averon run"), "one job group named after the run directory: " + groups);
    }

    private static String get(HttpClient http, String url) throws InterruptedException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException notYetUp) {
            return null;
        }
    }
}
