package io.averon.dl4j.spark;

import io.averon.worker.ParameterAssertions;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DL4J example program of {@link AveronTrainingMasterIT} (Fashion-MNIST in a List of DataSets, parallelized,
 * SparkDl4jMultiLayer.fit once per epoch) on a real standalone cluster: a Master and a Worker process, two one-core
 * executors in JVMs of their own, the parameter server in this (the driver's) JVM, Aeron between the processes. It
 * ends at the accuracy of a single-JVM MultiLayerNetwork.fit with the global batch over the same examples in the same
 * order, and every process it started is gone afterwards.
 */
class StandaloneClusterIT {
    private static final int WORKERS = 2;
    private static final int BATCH_PER_WORKER = 16;
    private static final int TRAIN = 4000;
    private static final int PER_DATASET = 50;
    private static final int TEST = 2000;
    private static final int EPOCHS = 2;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void sparkDl4jMultiLayerTrainsOnAStandaloneCluster(@TempDir Path tmp) throws Exception {
        List<DataSet> trainData = FashionMnistFiles.train(TRAIN, PER_DATASET);
        List<DataSet> testData = FashionMnistFiles.test(TEST, 32);
        MultiLayerConfiguration conf = AveronTrainingMasterIT.lenet();

        MultiLayerNetwork reference = new MultiLayerNetwork(conf.clone());
        reference.init();
        float[] initial = reference.params().toFloatVector();
        List<DataSet> globalBatches = DataSet.merge(trainData).batchBy(WORKERS * BATCH_PER_WORKER);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            reference.fit(new ListDataSetIterator<>(globalBatches, 1));
        }
        double referenceAccuracy = reference.evaluate(new ListDataSetIterator<>(testData, 1)).accuracy();

        Set<ProcessHandle> started;
        try (LocalSparkCluster cluster = new LocalSparkCluster(tmp, WORKERS, "6g")) {
            try (JavaSparkContext sc = new JavaSparkContext(
                    cluster.sparkConf("StandaloneClusterIT", WORKERS, "2g"))) {
                awaitExecutors(sc, WORKERS);
                // The tasks run in the executors' JVMs, not in this one.
                long driverPid = ProcessHandle.current().pid();
                Set<Long> taskPids = Set.copyOf(sc.parallelize(IntStream.range(0, 8).boxed().toList(), 8)
                        .map(i -> ProcessHandle.current().pid()).collect());
                assertFalse(taskPids.contains(driverPid), "tasks ran in the driver's JVM: " + taskPids);
                Set<Long> executorPids = cluster.executors().stream().map(ProcessHandle::pid)
                        .collect(Collectors.toSet());
                assertEquals(WORKERS, executorPids.size(), "executor JVMs under the Worker");
                assertTrue(executorPids.containsAll(taskPids), "tasks ran in " + taskPids + ", executors "
                        + executorPids);

                JavaRDD<DataSet> trainRdd = sc.parallelize(trainData);
                SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf,
                        new AveronTrainingMaster.Builder(BATCH_PER_WORKER).workers(WORKERS).build());
                long t0 = System.nanoTime();
                for (int epoch = 0; epoch < EPOCHS; epoch++) {
                    sparkNet.fit(trainRdd);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                MultiLayerNetwork trained = sparkNet.getNetwork();
                double accuracy = trained.evaluate(new ListDataSetIterator<>(testData, 1)).accuracy();
                double sparkAccuracy = sparkNet.evaluate(sc.parallelize(testData)).accuracy();
                System.out.printf("StandaloneClusterIT: %d examples x %d epochs on 2 executors %s; "
                                + "AveronTrainingMaster %.1f s (%.0f img/s, data preparation included), accuracy "
                                + "%.4f (Spark evaluate %.4f); single JVM accuracy %.4f%n", TRAIN, EPOCHS,
                        executorPids, seconds, TRAIN * EPOCHS / seconds, accuracy, sparkAccuracy, referenceAccuracy);

                assertTrue(ParameterAssertions.maxAbsDiff(initial, trained.params().toFloatVector()) > 1e-2, "training moved the "
                        + "parameters");
                assertEquals(referenceAccuracy, accuracy, 0.01, "accuracy against the single-JVM fit's");
                assertEquals(accuracy, sparkAccuracy, 1e-9, "SparkDl4jMultiLayer.evaluate against local evaluate");
                assertTrue(accuracy > 0.7, "accuracy " + accuracy);
                assertEquals(reference.getIterationCount(), trained.getIterationCount(), "iterations");
                assertEquals(EPOCHS, trained.getEpochCount(), "epochs");
                started = Stream.concat(cluster.executors().stream(), ProcessHandle.current().children())
                        .collect(Collectors.toSet());
            }
        }
        for (ProcessHandle p : started) {
            p.onExit().get(30, TimeUnit.SECONDS);
            assertFalse(p.isAlive(), "process " + p.pid() + " still runs");
        }
        assertEquals(0, ProcessHandle.current().children().count(), "child processes left");
    }

    private static void awaitExecutors(JavaSparkContext sc, int executors) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        // The driver's own block manager is listed too.
        while (sc.sc().getExecutorMemoryStatus().size() < executors + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("executors registered: " + sc.sc().getExecutorMemoryStatus().keys());
            }
            Thread.sleep(200);
        }
    }
}
