package io.averon.dl4j.spark;

import io.averon.worker.ParameterAssertions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A program written the way DL4J's Spark examples are (Fashion-MNIST in a List of DataSets, parallelized, a LeNet-like
 * configuration, SparkDl4jMultiLayer.fit once per epoch) trains with AveronTrainingMaster on local[2] and ends where a
 * single-JVM MultiLayerNetwork.fit with batch workers x batchPerWorker over the same examples in the same order ends:
 * the same parameters within float tolerance, the same accuracy, in the network object the program holds.
 */
class AveronTrainingMasterIT {
    private static final int WORKERS = 2;
    private static final int BATCH_PER_WORKER = 16;
    /** Not a multiple of 2 x 16: the last step has 3 examples, split 2 and 1 between the workers. */
    private static final int TRAIN = 4003;
    /** DataSets of 50 examples: the master cuts them at the workers' minibatch boundaries. */
    private static final int PER_DATASET = 50;
    private static final int TEST = 2000;
    private static final int EPOCHS = 2;

    /**
     * Over a short horizon the synchronous fit is the single-JVM fit, up to float rounding: two fits of 21 steps,
     * the last one of 3 examples split 2 and 1, with Adam's state and the iteration count carried between them.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void fitsEqualSingleJvmFitsWithTheGlobalBatch() throws Exception {
        Run run = train(20 * WORKERS * BATCH_PER_WORKER + 3, 2);
        ParameterAssertions.assertClose(run.expected, run.actual, 1e-4);
        assertEquals(run.reference.getIterationCount(), run.trained.getIterationCount(), "iterations");
        assertEquals(2 * 21, run.trained.getIterationCount(), "iterations");
        assertEquals(2, run.trained.getEpochCount(), "epochs");
    }

    /**
     * The DL4J example program: 2 epochs of 4003 examples. Over 252 Adam steps float rounding grows (Adam divides by
     * the root of tiny second moments): two single-JVM fits whose start differs by 4.5e-7 in one parameter were
     * measured 0.032 apart after these steps, the distance this fit ends from the single-JVM one. So the parameters
     * are compared loosely here, the accuracy closely, and exactness over a short horizon above.
     */
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void sparkDl4jMultiLayerTrainsAsWellAsASingleJvmFit() throws Exception {
        Run run = train(TRAIN, EPOCHS);
        assertTrue(ParameterAssertions.maxAbsDiff(run.initial, run.actual) > 1e-2, "training moved the parameters");
        assertTrue(run.maxDiff < 0.1, "max |parameter difference| " + run.maxDiff);
        assertEquals(run.referenceAccuracy, run.accuracy, 0.01, "accuracy against the single-JVM fit's");
        assertEquals(run.accuracy, run.sparkAccuracy, 1e-9, "SparkDl4jMultiLayer.evaluate against local evaluate");
        assertTrue(run.accuracy > 0.7, "accuracy " + run.accuracy);
        assertEquals(run.reference.getIterationCount(), run.trained.getIterationCount(), "iterations");
        assertEquals(EPOCHS, run.trained.getEpochCount(), "epochs");
    }

    /** SparkDl4jMultiLayer.fit(path): DataSets saved as files, read on the executors by DL4J's DataSetLoader. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void fitsDataSetFilesByPath(@TempDir Path dir) throws Exception {
        List<DataSet> data = FashionMnistFiles.train(20 * WORKERS * BATCH_PER_WORKER, 32);
        for (int i = 0; i < data.size(); i++) {
            data.get(i).save(dir.resolve(String.format("part-%05d.bin", i)).toFile());
        }
        SparkConf sparkConf = new SparkConf().setMaster("local[" + WORKERS + "]")
                .setAppName("AveronTrainingMasterIT").set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, lenet(),
                    new AveronTrainingMaster.Builder(BATCH_PER_WORKER).workers(WORKERS).build());
            float[] initial = sparkNet.getNetwork().params().toFloatVector();
            sparkNet.fit(dir.toUri().toString());
            assertEquals(20, sparkNet.getNetwork().getIterationCount(), "one step per 2 x 16 examples");
            assertEquals(1, sparkNet.getNetwork().getEpochCount());
            assertTrue(ParameterAssertions.maxAbsDiff(initial, sparkNet.getNetwork().params().toFloatVector()) > 1e-3,
                    "training moved the parameters");
            assertTrue(sparkNet.getScore() > 0, "score " + sparkNet.getScore());
        }
    }

    private Run train(int examples, int epochs) throws Exception {
        Run run = new Run();
        List<DataSet> trainData = FashionMnistFiles.train(examples, PER_DATASET);
        List<DataSet> testData = FashionMnistFiles.test(TEST, 32);
        MultiLayerConfiguration conf = lenet();

        run.reference = new MultiLayerNetwork(conf.clone());
        run.reference.init();
        run.initial = run.reference.params().toFloatVector();
        List<DataSet> globalBatches = DataSet.merge(trainData).batchBy(WORKERS * BATCH_PER_WORKER);
        long t0 = System.nanoTime();
        for (int epoch = 0; epoch < epochs; epoch++) {
            run.reference.fit(new ListDataSetIterator<>(globalBatches, 1));
        }
        double singleJvmSeconds = (System.nanoTime() - t0) / 1e9;
        run.referenceAccuracy = run.reference.evaluate(new ListDataSetIterator<>(testData, 1)).accuracy();

        SparkConf sparkConf = new SparkConf().setMaster("local[" + WORKERS + "]")
                .setAppName("AveronTrainingMasterIT").set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
            LongAccumulator reads = sc.sc().longAccumulator("DataSets read from the source RDD");
            JavaRDD<DataSet> trainRdd = sc.parallelize(trainData).map(ds -> {
                reads.add(1);
                return ds;
            });
            JavaRDD<DataSet> testRdd = sc.parallelize(testData);

            TrainingMaster<?, ?> tm = new AveronTrainingMaster.Builder(BATCH_PER_WORKER).workers(WORKERS).build();
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf, tm);
            ParameterAssertions.assertClose(run.initial, sparkNet.getNetwork().params().toFloatVector(), 0);
            long t1 = System.nanoTime();
            for (int epoch = 0; epoch < epochs; epoch++) {
                sparkNet.fit(trainRdd);
            }
            double averonSeconds = (System.nanoTime() - t1) / 1e9;
            run.trained = sparkNet.getNetwork();
            Evaluation sparkEval = sparkNet.evaluate(testRdd);
            run.sparkAccuracy = sparkEval.accuracy();
            run.accuracy = run.trained.evaluate(new ListDataSetIterator<>(testData, 1)).accuracy();
            run.expected = run.reference.params().toFloatVector();
            run.actual = run.trained.params().toFloatVector();
            run.maxDiff = ParameterAssertions.maxAbsDiff(run.expected, run.actual);
            System.out.printf("AveronTrainingMasterIT: %d examples x %d epochs; single JVM %.1f s, accuracy %.4f; "
                            + "AveronTrainingMaster %.1f s (data preparation included), accuracy %.4f (Spark "
                            + "evaluate %.4f); max |parameter difference| %.3g; source DataSets read %d times%n",
                    examples, epochs, singleJvmSeconds, run.referenceAccuracy, averonSeconds, run.accuracy,
                    run.sparkAccuracy, run.maxDiff, reads.value());

            assertTrue(Double.isFinite(sparkNet.getScore()) && sparkNet.getScore() > 0, "score " + sparkNet.getScore());
            // Prepared once: the source is read to count its examples and to shuffle them, not again by later fits.
            assertEquals(2L * trainData.size(), reads.value(), "reads of the source RDD's DataSets");
            assertEquals(1, sc.sc().getPersistentRDDs().size(), "persisted RDDs");
            assertTrue(tm.deleteTempFiles(sc));
            assertEquals(0, sc.sc().getPersistentRDDs().size(), "persisted RDDs after deleteTempFiles");
        }
        return run;
    }

    /** What a training run of the test ended with, beside the single-JVM fit's. */
    private static final class Run {
        MultiLayerNetwork reference;
        MultiLayerNetwork trained;
        float[] initial;
        float[] expected;
        float[] actual;
        double maxDiff;
        double referenceAccuracy;
        double accuracy;
        double sparkAccuracy;
    }

    /** A small LeNet: two 5x5 convolutions with max pooling, a dense layer, softmax over the 10 classes. */
    static MultiLayerConfiguration lenet() {
        return new NeuralNetConfiguration.Builder()
                .seed(12345)
                .updater(new Adam(2e-3))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(64).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }
}
