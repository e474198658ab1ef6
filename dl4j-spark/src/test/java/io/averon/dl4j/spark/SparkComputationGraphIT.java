package io.averon.dl4j.spark;

import io.averon.worker.ParameterAssertions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SparkComputationGraph with AveronTrainingMaster: a fit on an RDD of DataSets, then one on an RDD of MultiDataSets,
 * equal two single-JVM ComputationGraph fits with batch workers x batchPerWorker, Adam's state carried between them.
 */
class SparkComputationGraphIT {
    private static final int WORKERS = 2;
    private static final int BATCH_PER_WORKER = 16;
    private static final int TRAIN = 20 * WORKERS * BATCH_PER_WORKER + 5;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void dataSetAndMultiDataSetFitsEqualSingleJvmFits() throws Exception {
        List<DataSet> trainData = FashionMnistFiles.train(TRAIN, 40);
        ComputationGraphConfiguration conf = lenetGraph();

        ComputationGraph reference = new ComputationGraph(conf.clone());
        reference.init();
        float[] initial = reference.params().toFloatVector();
        List<DataSet> globalBatches = DataSet.merge(trainData).batchBy(WORKERS * BATCH_PER_WORKER);
        for (int epoch = 0; epoch < 2; epoch++) {
            reference.fit(new ListDataSetIterator<>(globalBatches, 1));
        }

        SparkConf sparkConf = new SparkConf().setMaster("local[" + WORKERS + "]")
                .setAppName("SparkComputationGraphIT").set("spark.ui.enabled", "false");
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
            JavaRDD<DataSet> dataSets = sc.parallelize(trainData);
            JavaRDD<MultiDataSet> multiDataSets = dataSets.map(
                    ds -> new org.nd4j.linalg.dataset.MultiDataSet(ds.getFeatures(), ds.getLabels()));
            SparkComputationGraph sparkNet = new SparkComputationGraph(sc, conf,
                    new AveronTrainingMaster.Builder(BATCH_PER_WORKER).workers(WORKERS).build());
            ParameterAssertions.assertClose(initial, sparkNet.getNetwork().params().toFloatVector(), 0);
            sparkNet.fit(dataSets);
            sparkNet.fitMultiDataSet(multiDataSets);

            ComputationGraph trained = sparkNet.getNetwork();
            float[] expected = reference.params().toFloatVector();
            float[] actual = trained.params().toFloatVector();
            System.out.printf("SparkComputationGraphIT: max |parameter difference| %.3g after %d steps%n",
                    ParameterAssertions.maxAbsDiff(expected, actual), trained.getIterationCount());
            assertTrue(ParameterAssertions.maxAbsDiff(initial, actual) > 1e-3, "training moved the parameters");
            ParameterAssertions.assertClose(expected, actual, 1e-4);
            assertEquals(reference.getIterationCount(), trained.getIterationCount(), "iterations");
            assertEquals(2, trained.getEpochCount(), "epochs");
            assertTrue(sparkNet.getScore() > 0, "score " + sparkNet.getScore());
        }
    }

    private static ComputationGraphConfiguration lenetGraph() {
        return new NeuralNetConfiguration.Builder()
                .seed(4321)
                .updater(new Adam(2e-3))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("image")
                .setInputTypes(InputType.convolutionalFlat(28, 28, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build(),
                        "image")
                .addLayer("pool1", new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                        .stride(2, 2).build(), "conv1")
                .addLayer("dense", new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build(), "pool1")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "dense")
                .setOutputs("out")
                .build();
    }
}
