package io.averon.jobs;

import io.averon.worker.StandaloneSparkCluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared standalone test cluster ({@link StandaloneSparkCluster}, started from jobs/target/spark, which the
 * package phase fills) with what this module's tests add: a driver in the test's JVM pointed at it through system
 * properties, shipping the CLI's fat jar to the executors. Closing it clears those properties and stops the cluster.
 */
final class StandaloneCluster implements AutoCloseable {
    private final StandaloneSparkCluster cluster;
    private final List<String> driverProperties = new ArrayList<>();
    final String masterUrl;

    StandaloneCluster(Path work, int workerCores, String workerMemory) throws Exception {
        this.cluster = new StandaloneSparkCluster(Path.of("target/spark"), work, workerCores, workerMemory);
        this.masterUrl = cluster.masterUrl();
    }

    /** The Worker JVM; the executors it launches are its child processes. */
    ProcessHandle worker() {
        return cluster.worker();
    }

    /** The Master's JSON status page: workers, applications, drivers and their states. */
    String masterJson() throws Exception {
        return cluster.masterJson();
    }

    String log(String name) throws IOException {
        return cluster.log(name);
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

    @Override
    public void close() throws InterruptedException {
        driverProperties.forEach(System::clearProperty);
        cluster.close();
    }
}
