package io.averon.dl4j.spark;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.averon.driver.TrainingMetricsSource;
import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.CheckpointStore;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.metrics.source.Source;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AveronTrainingMaster with Averon's checkpoints and metrics, on local[2]: a DL4J program whose second fit is cut off
 * part-way (its jobs cancelled, the program's network and master thrown away, as when the driver is lost) is started
 * again as a new program, resumes from the newest mid-fit checkpoint, and ends bit for bit where the same program
 * ends uninterrupted. Also: every fit leaves its own checkpoint, a new run into a directory holding another run's
 * checkpoints is refused before it trains, a checkpoint of another network is refused, and the master's figures are
 * in Spark's metrics system under the "averon" source.
 */
class TrainingMasterCheckpointsIT {
    private static final int WORKERS = 2;
    private static final int BATCH_PER_WORKER = 16;
    /** 75 steps of 2 x 16 and a last one of 3 examples. */
    private static final int TRAIN = 75 * WORKERS * BATCH_PER_WORKER + 3;
    private static final int STEPS_PER_FIT = 76;
    private static final int FITS = 2;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aProgramCutOffWithinAFitResumesFromItsCheckpointBitIdentical(@TempDir Path dir) throws Exception {
        List<DataSet> data = FashionMnistFiles.train(TRAIN, 50);

        // The program uninterrupted.
        String uninterrupted = dir.resolve("uninterrupted").toUri().toString();
        float[] expected;
        try (JavaSparkContext sc = context()) {
            AveronTrainingMaster tm = master(uninterrupted);
            SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, net(64), tm);
            assertFalse(tm.resume(net), "nothing to resume in an empty directory");
            JavaRDD<DataSet> rdd = sc.parallelize(data);
            while (net.getNetwork().getEpochCount() < FITS) {
                net.fit(rdd);
            }
            expected = net.getNetwork().params().toFloatVector();
            assertEquals(FITS * STEPS_PER_FIT, net.getNetwork().getIterationCount());

            MetricRegistry metrics = averonMetrics();
            assertEquals((long) FITS * STEPS_PER_FIT, gauge(metrics, "ps.step"), "ps.step after the fits");
            assertEquals((long) TRAIN, gauge(metrics, "ps.examples_applied"), "examples the last fit's server applied");
            assertEquals((long) FITS, gauge(metrics, "train.epoch"));
            double loss = (Double) gauge(metrics, "train.train_loss");
            assertTrue(loss > 0 && loss < 2.3, "train.train_loss " + loss);
            assertTrue((Double) gauge(metrics, "train.images_per_second") > 0);

            // A new program into the same directory: refused before it trains, nothing written.
            SparkDl4jMultiLayer again = new SparkDl4jMultiLayer(sc, net(64), master(uninterrupted));
            float[] before = again.getNetwork().params().toFloatVector();
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> again.fit(rdd));
            assertTrue(refused.getMessage().contains("already holds") && refused.getMessage().contains("resume"),
                    refused.getMessage());
            assertArrayEquals(before, again.getNetwork().params().toFloatVector());
        }
        Checkpoint last = store(uninterrupted).requireNewestValid();
        assertEquals(FITS, last.state().epoch(), "the last checkpoint is the second fit's own");
        assertEquals(0, last.state().stepInEpoch());
        assertArrayEquals(expected, last.parameters(), "the last checkpoint holds the final parameters");

        // The same program, cut off within its second fit once a mid-fit checkpoint is committed.
        String interrupted = dir.resolve("interrupted").toUri().toString();
        long cutAt;
        try (JavaSparkContext sc = context()) {
            SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, net(64), master(interrupted));
            JavaRDD<DataSet> rdd = sc.parallelize(data);
            net.fit(rdd);
            CompletableFuture<Void> secondFit = CompletableFuture.runAsync(() -> net.fit(rdd));
            cutAt = awaitCheckpointAfter(interrupted, STEPS_PER_FIT + 20, secondFit);
            sc.cancelAllJobs();
            assertThrows(Exception.class, () -> secondFit.get(2, TimeUnit.MINUTES), "the second fit was cut off");
            assertTrue(cutAt < FITS * STEPS_PER_FIT, "cut off at step " + cutAt + ", before the fit ended");
        }
        Checkpoint resumeFrom = store(interrupted).requireNewestValid();
        assertEquals(1, resumeFrom.state().epoch(), "fits completed at the checkpoint");
        assertTrue(resumeFrom.state().stepInEpoch() >= 20 && resumeFrom.state().stepInEpoch() < STEPS_PER_FIT,
                "a checkpoint within the second fit: " + resumeFrom.state());

        // A new program: a checkpoint of another network is refused; the same network resumes and finishes.
        try (JavaSparkContext sc = context()) {
            AveronTrainingMaster otherMaster = master(interrupted);
            SparkDl4jMultiLayer other = new SparkDl4jMultiLayer(sc, net(32), otherMaster);
            IllegalArgumentException wrongNet = assertThrows(IllegalArgumentException.class,
                    () -> otherMaster.resume(other));
            assertTrue(wrongNet.getMessage().contains("another network"), wrongNet.getMessage());

            AveronTrainingMaster tm = master(interrupted);
            SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(sc, net(64), tm);
            assertTrue(tm.resume(net));
            assertEquals(1, net.getNetwork().getEpochCount());
            assertEquals(resumeFrom.state().step(), net.getNetwork().getIterationCount());
            JavaRDD<DataSet> rdd = sc.parallelize(data);
            int fits = 0;
            while (net.getNetwork().getEpochCount() < FITS) {
                net.fit(rdd);
                fits++;
            }
            assertEquals(1, fits, "the resumed program finishes the interrupted fit only");
            assertEquals(FITS * STEPS_PER_FIT, net.getNetwork().getIterationCount());
            assertArrayEquals(expected, net.getNetwork().params().toFloatVector(),
                    "resumed run's parameters against the uninterrupted run's");
            System.out.printf("TrainingMasterCheckpointsIT: cut off after step %d, resumed from step %d (%d into fit "
                    + "2): final parameters bit-identical%n", cutAt, resumeFrom.state().step(),
                    resumeFrom.state().stepInEpoch());
        }
    }

    /** Waits for a committed checkpoint of at least {@code step} and returns the newest step committed. */
    private static long awaitCheckpointAfter(String dir, long step, CompletableFuture<Void> fit) throws Exception {
        CheckpointStore store = store(dir);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            List<String> committed = store.list();
            if (!committed.isEmpty()) {
                String newest = committed.get(committed.size() - 1);
                long at = Long.parseLong(newest.substring(newest.lastIndexOf("ckpt-") + 5));
                if (at >= step) {
                    return at;
                }
            }
            if (fit.isDone()) {
                fit.get();
                throw new AssertionError("the fit ended before a checkpoint of step " + step + " was committed");
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no checkpoint of step " + step + " within 3 minutes");
    }

    private static AveronTrainingMaster master(String checkpoints) {
        return new AveronTrainingMaster.Builder(BATCH_PER_WORKER).workers(WORKERS)
                .checkpoints(checkpoints)
                .set("checkpoint.every-steps", "10")
                .build();
    }

    private static CheckpointStore store(String dir) {
        return new CheckpointStore(dir, 3, new Configuration());
    }

    private static JavaSparkContext context() {
        return new JavaSparkContext(new SparkConf().setMaster("local[" + WORKERS + "]")
                .setAppName("TrainingMasterCheckpointsIT").set("spark.ui.enabled", "false"));
    }

    private static MetricRegistry averonMetrics() {
        List<Source> sources = scala.collection.JavaConverters.seqAsJavaList(
                SparkEnv.get().metricsSystem().getSourcesByName(TrainingMetricsSource.NAME));
        assertEquals(1, sources.size(), "averon sources registered");
        return sources.get(0).metricRegistry();
    }

    private static Object gauge(MetricRegistry registry, String name) {
        Gauge<?> gauge = registry.getGauges().get(name);
        assertTrue(gauge != null, "gauge " + name + " in " + registry.getGauges().keySet());
        Object value = gauge.getValue();
        return value instanceof Integer i ? (long) i : value;
    }

    /** A small dense network: fast enough that a fit's steps, not its set-up, dominate. */
    private static MultiLayerConfiguration net(int hidden) {
        return new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nOut(hidden).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(784))
                .build();
    }
}
