package io.averon.worker;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
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
 * A real Spark standalone cluster on 127.0.0.1 for the tests of the modules that run Spark: a Master and a Worker JVM
 * started from a Spark home whose {@code jars} directory holds the Spark runtime (each module's package phase copies
 * it to {@code target/spark/jars}); the Worker runs every executor in a JVM of its own. Closing it stops the processes
 * it started and their children, by PID. How a driver is pointed at it (an application jar, or classes on the
 * executors' classpath) is the using module's business.
 */
public final class StandaloneSparkCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Path sparkHome;
    private final Path logs;
    private final String masterUrl;
    private final int masterUiPort;
    private final Process worker;

    /**
     * Starts the Master and one Worker and waits (up to a minute each) until the Master reports both.
     *
     * @param sparkHome    a directory whose {@code jars} subdirectory holds the Spark runtime
     * @param work         where the processes' logs and the Worker's work directory go
     * @param workerCores  cores the Worker offers
     * @param workerMemory memory the Worker offers, Spark's syntax ("8g")
     */
    public StandaloneSparkCluster(Path sparkHome, Path work, int workerCores, String workerMemory) throws Exception {
        this.sparkHome = sparkHome.toAbsolutePath();
        if (!Files.isDirectory(this.sparkHome.resolve("jars"))) {
            throw new IllegalStateException(this.sparkHome + "/jars is missing: run the package phase first");
        }
        this.logs = Files.createDirectories(work.resolve("logs"));
        int masterPort = freePort();
        this.masterUiPort = freePort();
        this.masterUrl = "spark://127.0.0.1:" + masterPort;
        try {
            start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    String.valueOf(masterPort), "--webui-port", String.valueOf(masterUiPort));
            waitFor("\"status\" : \"ALIVE\"", 60);
            worker = start("worker", "org.apache.spark.deploy.worker.Worker", masterUrl, "--host", "127.0.0.1",
                    "--cores", String.valueOf(workerCores), "--memory", workerMemory, "--webui-port",
                    String.valueOf(freePort()), "--work-dir",
                    Files.createDirectories(work.resolve("worker")).toString());
            waitFor("\"aliveworkers\" : 1", 60);
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** {@code spark://127.0.0.1:<port>}. */
    public String masterUrl() {
        return masterUrl;
    }

    /** The Worker JVM; the executors it launches are its child processes. */
    public ProcessHandle worker() {
        return worker.toHandle();
    }

    /** The executor JVMs the Worker runs now. */
    public List<ProcessHandle> executors() {
        return worker.children().filter(ProcessHandle::isAlive).toList();
    }

    /** The Master's JSON status page: workers, applications, drivers and their states. */
    public String masterJson() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The output of the process {@code name} ("master" or "worker"). */
    public String log(String name) throws IOException {
        return Files.readString(logs.resolve(name + ".log"));
    }

    private Process start(String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", sparkHome.resolve("jars") + File.separator + "*", mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        // The Worker builds each executor's classpath from SPARK_HOME/jars.
        builder.environment().put("SPARK_HOME", sparkHome.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.12");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process process = builder.start();
        processes.add(process);
        return process;
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
                // the Master's UI is not up yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("cluster did not reach '" + text + "' in " + seconds + " s; last: " + last);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        // Worker first, so that it reaps its executors; then anything left of its tree, by PID.
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
        processes.clear();
    }
}
