package io.averon.dl4j.spark;

import io.averon.driver.SparkSetup;
import io.averon.worker.StandaloneSparkCluster;
import org.apache.spark.SparkConf;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The shared standalone test cluster ({@link StandaloneSparkCluster}, started from target/spark, which the package
 * phase fills) with what this module's tests add: a driver configuration whose executors have this module's classes
 * and test-scope dependencies (target/executor-classpath.txt) on their classpath, for programs that create their own
 * SparkContext, as a DL4J program does.
 */
final class LocalSparkCluster implements AutoCloseable {
    private final StandaloneSparkCluster cluster;

    LocalSparkCluster(Path work, int cores, String memory) throws Exception {
        this.cluster = new StandaloneSparkCluster(Path.of("target/spark"), work, cores, memory);
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
        return new SparkConf().setMaster(cluster.masterUrl()).setAppName(appName)
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

    /** The executor JVMs the Worker runs now. */
    List<ProcessHandle> executors() {
        return cluster.executors();
    }

    @Override
    public void close() throws InterruptedException {
        cluster.close();
    }
}
