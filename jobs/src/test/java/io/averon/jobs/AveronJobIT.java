package io.averon.jobs;

import io.averon.driver.SparkSetup;
import io.averon.worker.InputException;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java API the way a user's program calls it: a network configured in code, trained on a Spark context the program
 * made and keeps using afterwards, with the trained network and the epochs' figures in the result. And the job the CLI
 * runs, built in code, gives the CLI's result bit for bit.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class AveronJobIT {
    @TempDir
    Path tmp;

    private static MultiLayerConfiguration smallConvNet() {
        return new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(new Adam(2e-3))
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(8).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    @Test
    void aNetworkConfiguredInCodeTrainsOnTheCallersSparkContext() throws Exception {
        AveronJob job = AveronJob.of("fashion-mnist-lenet")
                .model(smallConvNet())
                .epochs(2).batchSize(32).workers(2)
                .set("dataset.train-limit", 1280).set("dataset.test-limit", 500)
                .runDirectory(tmp.resolve("run").toString());
        SparkConf conf = job.sparkConf("local[2]").setAppName("a user's application");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        SparkContext sc = new SparkContext(conf);
        try {
            TrainingResult result = job.console(new PrintStream(console, true, StandardCharsets.UTF_8)).run(sc);

            assertEquals(2, result.epochs().size());
            assertEquals(1280, result.last().examples());
            assertTrue(result.last().testAccuracy() > 0.6, "a small conv net learns: " + result.last());
            MultiLayerNetwork trained = result.multiLayerNetwork();
            MultiLayerNetwork configured = new MultiLayerNetwork(smallConvNet());
            configured.init();
            assertEquals(configured.numParams(), trained.numParams(), "the caller's network, not the job's LeNet");
            assertEquals(4, trained.getnLayers());
            assertArrayEquals(result.run().parameters(), trained.params().toFloatVector(),
                    "the network returned is the one trained");
            assertTrue(Files.isRegularFile(Path.of(result.runDirectory(), "report.html")));
            assertTrue(console.toString(StandardCharsets.UTF_8).contains("epoch 2/2"), console.toString());
            // The context is the caller's: still usable after the run.
            assertEquals(3L, org.apache.spark.api.java.JavaSparkContext.fromSparkContext(sc)
                    .parallelize(java.util.List.of(1, 2, 3)).count());
        } finally {
            sc.stop();
        }
    }

    @Test
    void theCommandLinesJobBuiltInCodeEndsBitIdenticalAndBadSettingsNameTheirKey() throws Exception {
        String[] settings = { "train.epochs=1", "train.batch-size=32", "dataset.train-limit=640",
                "dataset.test-limit=200" };
        var viaApi = AveronJob.of("fashion-mnist-lenet").workers(2).settings(java.util.List.of(settings))
                .runDirectory(tmp.resolve("api").toString()).run("local[2]");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "fashion-mnist-lenet",
                "--master", "local[2]", "--workers", "2", "--run-dir", tmp.resolve("cli").toString()));
        for (String s : settings) {
            args.addAll(java.util.List.of("--set", s));
        }
        var viaCli = Averon.train(CommandLine.parse(args.toArray(String[]::new)), System.out);
        assertArrayEquals(viaCli.parameters(), viaApi.run().parameters(), "bit for bit");

        InputException bad = assertThrows(InputException.class,
                () -> AveronJob.of("fashion-mnist-lenet").set("train.epoch", 2).config());
        assertTrue(bad.getMessage().contains("train.epoch"), bad.getMessage());
        InputException wrongNet = assertThrows(InputException.class, () -> AveronJob.of("fashion-mnist-lenet")
                .model(new NeuralNetConfiguration.Builder().list()
                        .layer(new DenseLayer.Builder().nOut(16).build())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(3)
                                .activation(Activation.SOFTMAX).build())
                        .setInputType(InputType.convolutional(28, 28, 1)).build())
                .set("dataset.train-limit", 64).runDirectory(tmp.resolve("bad").toString()).run("local[2]"));
        assertTrue(wrongNet.getMessage().contains("predicts 3 classes, the dataset has 10"), wrongNet.getMessage());
        InputException noExports = assertThrows(InputException.class, () -> SparkSetup.requireUsable(
                new SparkConf(false).set("spark.master", "spark://elsewhere:7077")));
        assertTrue(noExports.getMessage().contains("spark.executor.extraJavaOptions"), noExports.getMessage());
    }
}
