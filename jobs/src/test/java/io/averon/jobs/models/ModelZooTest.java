package io.averon.jobs.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.evaluation.IEvaluation;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.adapter.SingletonMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The zoo by name: output shapes of every network (configured sizes for the big ones, forward passes for the small
 * ones and a few full ones), three plain DL4J fit steps with falling loss for every small variant, GoogLeNet's
 * weighted auxiliary losses and output-0 evaluation, JSON round trips and bad names and shapes.
 */
class ModelZooTest {
    private static final ModelShape FASHION = new ModelShape(1, 28, 28, 10);
    private static final ModelShape CIFAR = new ModelShape(3, 32, 32, 10);
    private static final ModelShape IMAGENET = new ModelShape(3, 224, 224, 1000);
    /** An eighth of the widths: the deep small nets (ResNet-101, DenseNet-121) then fit in seconds on one core. */
    private static final NetworkOptions NARROW = NetworkOptions.defaults().withWidthMultiplier(0.125);

    static List<String> smallNetworks() {
        return ModelZoo.names().stream()
                .filter(n -> n.endsWith("-small") || n.equals("lenet5") || n.equals("lstm"))
                .toList();
    }

    @Test
    void namesAreTheFullNetsThenTheSmallVariants() {
        assertEquals(List.of("lenet5", "alexnet", "zfnet", "vgg16", "vgg19", "googlenet", "resnet18", "resnet34",
                "resnet50", "resnet101", "densenet121", "lstm", "alexnet-small", "zfnet-small", "vgg16-small",
                "vgg19-small", "googlenet-small", "resnet18-small", "resnet34-small", "resnet50-small",
                "resnet101-small", "densenet121-small"), ModelZoo.names());
    }

    @Test
    void unknownNameListsTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("resnet152", IMAGENET, NetworkOptions.defaults()));
        assertTrue(e.getMessage().startsWith("unknown model 'resnet152'; valid names: lenet5, alexnet,"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("densenet121-small"), e.getMessage());
    }

    @Test
    void anInputTooSmallForTheArchitectureIsABadArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelZoo.build("alexnet", new ModelShape(1, 28, 28, 10), NetworkOptions.defaults()));
        assertTrue(e.getMessage().startsWith("alexnet cannot take a 28x28x1 input: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void fullNetworksHaveThePublishedMapSizes() {
        assertTypes("alexnet", new ModelShape(3, 227, 227, 1000), NetworkOptions.defaults(),
                Map.of("conv1", cnn(55, 96), "pool1", cnn(27, 96), "pool2", cnn(13, 256), "pool5", cnn(6, 256),
                        "output", InputType.feedForward(1000)));
        assertTypes("zfnet", IMAGENET, NetworkOptions.defaults(),
                Map.of("conv1", cnn(110, 96), "pool1", cnn(55, 96), "conv2", cnn(26, 256), "pool2", cnn(13, 256),
                        "pool5", cnn(6, 256), "output", InputType.feedForward(1000)));
        for (String vgg : List.of("vgg16", "vgg19")) {
            assertTypes(vgg, IMAGENET, NetworkOptions.defaults(),
                    Map.of("pool1", cnn(112, 64), "pool5", cnn(7, 512), "output", InputType.feedForward(1000)));
        }
        assertTypes("googlenet", IMAGENET, NetworkOptions.defaults(),
                Map.of("conv1", cnn(112, 64), "pool2", cnn(28, 192), "inception_3b", cnn(28, 480),
                        "inception_4a", cnn(14, 512), "inception_4d", cnn(14, 528), "inception_5b", cnn(7, 1024),
                        "aux1_pool", cnn(4, 512), "output", InputType.feedForward(1000),
                        "aux1", InputType.feedForward(1000), "aux2", InputType.feedForward(1000)));
        assertTypes("resnet18", IMAGENET, NetworkOptions.defaults(),
                Map.of("pool1", cnn(56, 64), "res2b", cnn(56, 64), "res3b", cnn(28, 128), "res4b", cnn(14, 256),
                        "res5b", cnn(7, 512), "output", InputType.feedForward(1000)));
        assertTypes("resnet34", IMAGENET, NetworkOptions.defaults(),
                Map.of("res3d", cnn(28, 128), "res4f", cnn(14, 256), "res5c", cnn(7, 512),
                        "output", InputType.feedForward(1000)));
        assertTypes("resnet50", IMAGENET, NetworkOptions.defaults(),
                Map.of("res2c", cnn(56, 256), "res3d", cnn(28, 512), "res4f", cnn(14, 1024), "res5c",
                        cnn(7, 2048), "output", InputType.feedForward(1000)));
        assertTypes("resnet101", IMAGENET, NetworkOptions.defaults(),
                Map.of("res4w", cnn(14, 1024), "res5c", cnn(7, 2048), "output", InputType.feedForward(1000)));
        assertTypes("densenet121", IMAGENET, NetworkOptions.defaults(),
                Map.of("pool0", cnn(56, 64), "block1_layer6_concat", cnn(56, 256), "transition1_pool",
                        cnn(28, 128), "transition2_pool", cnn(14, 256), "transition3_pool", cnn(7, 512),
                        "final_relu", cnn(7, 1024), "output", InputType.feedForward(1000)));
        assertTypes("lenet5", new ModelShape(1, 32, 32, 10), NetworkOptions.defaults(),
                Map.of("c1", cnn(28, 6), "s4", cnn(5, 16), "output", InputType.feedForward(10)));
        assertTypes("lstm", FASHION, NetworkOptions.defaults(),
                Map.of("lstm", InputType.feedForward(128), "output", InputType.feedForward(10)));
    }

    @Test
    void smallVariantsKeepTheirFeatureMapsAtBothSmallShapes() {
        for (ModelShape shape : List.of(FASHION, CIFAR)) {
            NetworkOptions options = NetworkOptions.defaults();
            assertTypes("alexnet-small", shape, options, Map.of("pool5", cnn(4, 256)));
            assertTypes("vgg19-small", shape, options, Map.of("conv5_4", cnn(2, 512)));
            assertTypes("googlenet-small", shape, options,
                    Map.of("inception_4a", cnn(shape.height() / 4, 512), "aux1_pool", cnn(3, 512),
                            "inception_5b", cnn(4, 1024)));
            assertTypes("resnet50-small", shape, options,
                    Map.of("res2c", cnn(shape.height(), 256), "res5c", cnn(4, 2048)));
            assertTypes("densenet121-small", shape, options,
                    Map.of("transition3_pool", cnn(shape.height() == 28 ? 3 : 4, 512), "final_relu",
                            cnn(shape.height() == 28 ? 3 : 4, 1024)));
        }
    }

    @Test
    void fullNetworksRunAtBatchOne() {
        ComputationGraph lenet = new ComputationGraph(ModelZoo.build("lenet5", new ModelShape(1, 32, 32, 10),
                NetworkOptions.defaults()));
        lenet.init();
        assertArrayEquals(new long[]{1, 10}, lenet.output(Nd4j.rand(DataType.FLOAT, 1, 1, 32, 32))[0].shape());

        ComputationGraph lstm = new ComputationGraph(ModelZoo.build("lstm", FASHION, NetworkOptions.defaults()));
        lstm.init();
        assertArrayEquals(new long[]{1, 10}, lstm.output(Nd4j.rand(DataType.FLOAT, 1, 1, 28, 28))[0].shape());

        ComputationGraph resnet = new ComputationGraph(ModelZoo.build("resnet18", IMAGENET,
                NetworkOptions.defaults()));
        resnet.init();
        INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, 224, 224);
        assertArrayEquals(new long[]{1, 1000}, resnet.output(image)[0].shape());

        ComputationGraph googlenet = new ComputationGraph(ModelZoo.build("googlenet", IMAGENET,
                NetworkOptions.defaults()));
        googlenet.init();
        INDArray[] outputs = googlenet.output(image);
        assertEquals(3, outputs.length);
        for (INDArray output : outputs) {
            assertArrayEquals(new long[]{1, 1000}, output.shape());
            assertEquals(1.0, output.sumNumber().doubleValue(), 1e-4);
        }
    }

    @ParameterizedTest
    @MethodSource("smallNetworks")
    void smallVariantTakesThreeFitStepsWithFallingLoss(String name) {
        ComputationGraphConfiguration conf = ModelZoo.build(name, FASHION, NARROW.withDropRate(0));
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        DataSet data = syntheticBatch(FASHION, 8);
        assertArrayEquals(new long[]{8, 10}, graph.output(data.getFeatures())[0].shape());
        MultiDataSet batch = ModelZoo.trainingBatch(conf, data);
        double[] losses = new double[4];
        for (int i = 0; i < 3; i++) {
            graph.fit(batch);
            losses[i] = graph.score();  // the loss fit computed, i.e. before its update
        }
        losses[3] = graph.score(batch, true);  // training mode: the same BN batch statistics as in fit
        assertTrue(losses[3] < losses[0], name + " loss did not fall over 3 steps: " + Arrays.toString(losses));
    }

    @ParameterizedTest
    @MethodSource("smallNetworks")
    void smallVariantOutputsClassProbabilitiesAt32x32x3(String name) {
        ComputationGraph graph = new ComputationGraph(ModelZoo.build(name, CIFAR, NARROW));
        graph.init();
        INDArray[] outputs = graph.output(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32));
        assertArrayEquals(new long[]{2, 10}, outputs[0].shape());
        assertArrayEquals(new double[]{1, 1}, outputs[0].sum(1).toDoubleVector(), 1e-4);
    }

    @Test
    void googLeNetLossIsTheMainLossPlusPointThreeOfEachAuxiliaryLoss() {
        ComputationGraphConfiguration conf = ModelZoo.build("googlenet-small", FASHION, NARROW);
        assertEquals(List.of("output", "aux1", "aux2"), conf.getNetworkOutputs());
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        DataSet data = syntheticBatch(FASHION, 8);
        INDArray[] outputs = graph.output(false, data.getFeatures());
        double expected = crossEntropy(data.getLabels(), outputs[0])
                + 0.3 * crossEntropy(data.getLabels(), outputs[1])
                + 0.3 * crossEntropy(data.getLabels(), outputs[2]);
        assertEquals(expected, graph.score(ModelZoo.trainingBatch(conf, data), false), 1e-4);
    }

    @Test
    void evaluationReadsOutputZeroOnly() {
        ComputationGraphConfiguration conf = ModelZoo.build("googlenet-small", FASHION, NARROW);
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        DataSet data = syntheticBatch(FASHION, 8);
        Map<Integer, IEvaluation[]> result = graph.evaluate(
                new SingletonMultiDataSetIterator(ModelZoo.trainingBatch(conf, data)),
                Map.of(0, new IEvaluation[]{new Evaluation(10)}));
        Evaluation evaluation = (Evaluation) result.get(0)[0];
        assertEquals(8, evaluation.getNumRowCounter(), 0);
        Evaluation byHand = new Evaluation(10);
        byHand.eval(data.getLabels(), graph.output(false, data.getFeatures())[0]);
        assertEquals(byHand.accuracy(), evaluation.accuracy(), 1e-9);
    }

    @ParameterizedTest
    @MethodSource("smallNetworks")
    void configurationSurvivesAJsonRoundTrip(String name) {
        ComputationGraphConfiguration conf = ModelZoo.build(name, FASHION, NARROW);
        ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, restored);
        assertEquals(conf.toJson(), restored.toJson());
    }

    @Test
    void restoredLstmComputesTheSameOutputs() {
        ComputationGraphConfiguration conf = ModelZoo.build("lstm", FASHION, NARROW);
        ComputationGraph original = new ComputationGraph(conf);
        original.init();
        ComputationGraph restored = new ComputationGraph(ComputationGraphConfiguration.fromJson(conf.toJson()));
        restored.init(original.params().dup(), false);
        INDArray features = syntheticBatch(FASHION, 4).getFeatures();
        assertEquals(original.output(features)[0], restored.output(features)[0]);
    }

    private static double crossEntropy(INDArray labels, INDArray probabilities) {
        return -labels.mul(Transforms.log(probabilities, true)).sumNumber().doubleValue() / labels.size(0);
    }

    /** The activation types DL4J derives from the configuration alone: nothing is allocated. */
    private static void assertTypes(String name, ModelShape shape, NetworkOptions options,
                                    Map<String, InputType> expected) {
        ComputationGraphConfiguration conf = ModelZoo.build(name, shape, options);
        Map<String, InputType> actual = conf.getLayerActivationTypes(shape.inputType());
        expected.forEach((vertex, type) -> assertEquals(type, actual.get(vertex), vertex));
    }

    private static InputType cnn(int side, int channels) {
        return InputType.convolutional(side, side, channels);
    }

    private static DataSet syntheticBatch(ModelShape shape, int n) {
        Nd4j.getRandom().setSeed(7);
        INDArray features = Nd4j.rand(DataType.FLOAT, n, shape.channels(), shape.height(), shape.width());
        INDArray labels = Nd4j.zeros(DataType.FLOAT, n, shape.classes());
        for (int i = 0; i < n; i++) {
            labels.putScalar(i, i % shape.classes(), 1);
        }
        return new DataSet(features, labels);
    }
}
