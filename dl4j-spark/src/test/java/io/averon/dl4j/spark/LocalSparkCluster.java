package io.averon.dl4j.spark;

import io.averon.driver.SparkSetup;
import org.apache.spark.SparkConf;

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
 * A Spark standalone cluster on 127.0.0.1 for this module's tests: a Master and a Worker JVM started from
 * target/spark/jars (the package phase copies the Spark runtime there), each executor in a JVM of its own whose
 * classpath adds target/executor-classpath.txt (this module's test-scope dependencies) and this module's classes.
 * Closing it stops the processes it started and their children, by PID. The jobs module has a cluster of its own for
 * the CLI's fat jar; this one serves programs that create their own SparkContext, as a DL4J program does.
 */
final class LocalSparkCluster implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final Path logs;
    private final int uiPort;
    private final String masterUrl;

    LocalSparkCluster(Path work, int cores, String memory) throws Exception {
        Path jars = Path.of("target/spark/jars").toAbsolutePath();
        if (!Files.isDirectory(jars)) {
            throw new IllegalStateException(jars + " is missing: run the package phase first");
        }
        this.logs = Files.createDirectories(work.resolve("logs"));
        int port = freePort();
        this.uiPort = freePort();
        this.masterUrl = "spark://127.0.0.1:" + port;
        start(jars, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                String.valueOf(port), "--webui-port", String.valueOf(uiPort));
        await("\"status\" : \"ALIVE\"");
        start(jars, "worker", "org.apache.spark.deploy.worker.Worker", masterUrl, "--host", "127.0.0.1", "--cores",
                String.valueOf(cores), "--memory", memory, "--webui-port", String.valueOf(freePort()),
                "--work-dir", Files.createDirectories(work.resolve("worker")).toString());
        await("\"aliveworkers\" : 1");
    }

    /**
     * A driver configuration for this cluster: one-core executors, {@code executors} of them, with the JVM flags
     * Aeron and ND4J need on Java 17, one OpenMP thread each (a core is all an executor has) and this module's
     * classes and dependencies on their classpath.
     */
    SparkConf sparkConf(String appName, int executors, String executorMemory) throws IOException {
        Path target = Path.of("target").toAbsolutePath();
        String classpath = String.join(File.pathSeparator, target.resolve("test-classes").toString(),
                target.resolve("classes").toString(),
                Files.readString(target.resolve("executor-classpath.txt")).trim());
        return new SparkConf().setMaster(masterUrl).setAppName(appName)
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.cores", "1")
                .set("spark.cores.max", String.valueOf(executors))
                .set("spark.executor.memory", executorMemory)
                .set("spark.executor.extraClassPath", classpath)
                .set("spark.executor.extraJavaOptions", SparkSetup.EXECUTOR_JAVA_OPTIONS
                        + " -Dorg.bytedeco.javacpp.maxbytes=1g -Dorg.bytedeco.javacpp.maxphysicalbytes=3g")
                .set("spark.executorEnv.OMP_NUM_THREADS", "1")
                .set("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1");
    }

    /** The executor JVMs the Worker runs now: its only child processes. */
    List<ProcessHandle> executors() {
        return processes.get(1).children().filter(ProcessHandle::isAlive).toList();
    }

    private void start(Path jars, String name, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", jars + File.separator + "*", mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".log").toFile());
        // The Worker builds each executor's classpath from SPARK_HOME/jars.
        builder.environment().put("SPARK_HOME", jars.getParent().toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.12");
        builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        processes.add(builder.start());
    }

    private void await(String text) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (processes.stream().anyMatch(p -> !p.isAlive())) {
                throw new IllegalStateException("a cluster process exited: see " + logs);
            }
            try {
                last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                if (last.contains(text)) {
                    return;
                }
            } catch (IOException notYet) {
                // the Master's UI is not up yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("cluster did not reach '" + text + "' in 60 s; last: " + last);
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
    }
}
