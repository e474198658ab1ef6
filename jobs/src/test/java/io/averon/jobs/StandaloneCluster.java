package io.averon.jobs;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.TimeUnit;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and a Worker JVM started from the project's own Spark jars
 * (jobs/target/spark/jars, which the package phase fills), each executor in a JVM of its own. Closing it stops the
 * processes it started, and their children, by PID.
 */
final class StandaloneCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<String> driverProperties = new ArrayList<>();
    private final Path sparkHome;
    private final Path logs;
    final String masterUrl;
    private final int masterUiPort;
    private final Process worker;

    StandaloneCluster(Path work, int workerCores, String workerMemory) throws Exception {
        this.sparkHome = Path.of("target/spark").toAbsolutePath();
        if (!Files.isDirectory(sparkHome.resolve("jars"))) {
            throw new IllegalStateException(sparkHome + "/jars is missing: run the package phase first");
        }
        this.logs = Files.createDirectories(work.resolve("logs"));
        int masterPort = freePort();
        this.masterUiPort = freePort();
        this.masterUrl = "spark://127.0.0.1:" + masterPort;
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(masterPort), "--webui-port", String.valueOf(masterUiPort));
        waitFor("\"status\" : \"ALIVE\"", 60);
        worker = start("worker", "org.apache.spark.deploy.worker.Worker", masterUrl, "--host", "127.0.0.1", "--cores",
                String.valueOf(workerCores), "--memory", workerMemory, "--webui-port", String.valueOf(freePort()),
                "--work-dir", Files.createDirectories(work.resolve("worker")).toString());
        waitFor("\"aliveworkers\" : 1", 60);
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", sparkHome.resolve("jars") + File.separator + "*", mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.12");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** The Worker JVM; the executors it launches are its child processes. */
    ProcessHandle worker() {
        return worker.toHandle();
    }

    private void waitFor(String text, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a cluster process exited: see " + logs);
                }
            }
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (last.contains(text)) {
                    return;
                }
            } catch (IOException notYet) {
                // the master's UI is not up yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("cluster did not reach '" + text + "' in " + seconds + " s; last: " + last);
    }

    /** The Master's JSON status page: workers, applications, drivers and their states. */
    String masterJson() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    String log(String name) throws IOException {
        Path file = logs.resolve(name + ".log");
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes());
        }
    }

    /**
     * Points a driver started in this JVM at the cluster: ships {@code applicationJar} to the executors, runs one
     * one-core executor per worker slot, keeps traffic on 127.0.0.1, and adds {@code extra} Spark properties.
     * {@link #close()} clears them again.
     */
    void configureDriver(Path applicationJar, java.util.Map<String, String> extra) {
        java.util.Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("spark.jars", applicationJar.toString());
        properties.put("spark.executor.cores", "1");
        properties.put("spark.cores.max", "2");
        properties.put("spark.driver.host", "127.0.0.1");
        properties.put("spark.driver.bindAddress", "127.0.0.1");
        properties.put("spark.executor.extraJavaOptions",
                "-Dorg.bytedeco.javacpp.maxbytes=1g -Dorg.bytedeco.javacpp.maxphysicalbytes=3g");
        properties.putAll(extra);
        properties.forEach((key, value) -> {
            System.setProperty(key, value);
            driverProperties.add(key);
        });
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        driverProperties.forEach(System::clearProperty);
        // Worker first, so that it reaps its executors; then anything left of the tree, by PID.
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process p = processes.get(i);
            List<ProcessHandle> children = p.descendants().toList();
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            for (ProcessHandle child : children) {
                child.destroyForcibly();
            }
        }
    }
}
