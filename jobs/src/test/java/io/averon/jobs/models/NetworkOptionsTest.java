package io.averon.jobs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.weights.WeightInitRelu;
import org.deeplearning4j.nn.weights.WeightInitXavier;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

/** The options reach the DL4J layers as documented: init, regularisation, dropout semantics, BN, width. */
class NetworkOptionsTest {
    private static final ModelShape FASHION = new ModelShape(1, 28, 28, 10);

    private static Map<String, Layer> layers(ComputationGraphConfiguration conf) {
        return conf.getVertices().entrySet().stream()
                .filter(e -> e.getValue() instanceof LayerVertex)
                .collect(Collectors.toMap(Map.Entry::getKey,
                        e -> ((LayerVertex) e.getValue()).getLayerConf().getLayer()));
    }

    @Test
    void reluNetsDefaultToHeAndTheLstmToXavier() {
        BaseLayer conv = (BaseLayer) layers(ModelZoo.build("alexnet-small", FASHION, NetworkOptions.defaults()))
                .get("conv1");
        assertTrue(conv.getWeightInitFn() instanceof WeightInitRelu, String.valueOf(conv.getWeightInitFn()));
        BaseLayer output = (BaseLayer) layers(ModelZoo.build("lstm", FASHION, NetworkOptions.defaults()))
                .get("output");
        assertTrue(output.getWeightInitFn() instanceof WeightInitXavier, String.valueOf(output.getWeightInitFn()));
        BaseLayer chosen = (BaseLayer) layers(ModelZoo.build("lstm", FASHION,
                NetworkOptions.defaults().withWeightInit(WeightInit.RELU))).get("output");
        assertTrue(chosen.getWeightInitFn() instanceof WeightInitRelu);
    }

    @Test
    void regularisationReachesTheWeights() {
        NetworkOptions options = NetworkOptions.defaults().withL1(1e-5).withL2(1e-4).withWeightDecay(5e-4);
        BaseLayer fc = (BaseLayer) layers(ModelZoo.build("vgg16-small", FASHION, options)).get("fc6");
        // Each once: DL4J's own builder would drop L2 for weight decay and list the decay twice.
        assertEquals(List.of(new L1Regularization(1e-5), new L2Regularization(1e-4), new WeightDecay(5e-4, true)),
                fc.getRegularization());
        BaseLayer plain = (BaseLayer) layers(ModelZoo.build("vgg16-small", FASHION, NetworkOptions.defaults()))
                .get("fc6");
        assertTrue(plain.getRegularization().isEmpty(), plain.getRegularization().toString());
    }

    @Test
    void weightDecayShrinksTheWeightsOncePerStep() {
        NetworkOptions sgd = NetworkOptions.defaults().withUpdater(new Sgd(0.1));
        ComputationGraph plain = new ComputationGraph(ModelZoo.build("lenet5", FASHION, sgd));
        ComputationGraph decayed = new ComputationGraph(ModelZoo.build("lenet5", FASHION, sgd.withWeightDecay(0.01)));
        plain.init();
        decayed.init();
        INDArray before = plain.getParam("f5_W").dup();
        assertEquals(before, decayed.getParam("f5_W"));
        Nd4j.getRandom().setSeed(3);
        INDArray features = Nd4j.rand(DataType.FLOAT, 4, 1, 28, 28);
        INDArray labels = Nd4j.eye(10).getRows(0, 1, 2, 3).castTo(DataType.FLOAT);
        plain.fit(new INDArray[]{features}, new INDArray[]{labels});
        decayed.fit(new INDArray[]{features}, new INDArray[]{labels});
        // Decoupled decay: W' = W - lr * gradient - lr * coefficient * W, so the two differ by 0.1 * 0.01 * W.
        INDArray shrink = plain.getParam("f5_W").sub(decayed.getParam("f5_W"));
        double error = Transforms.abs(shrink.sub(before.mul(0.001))).maxNumber().doubleValue();
        double weights = Transforms.abs(before).maxNumber().doubleValue();
        assertTrue(error < 1e-3 * 0.001 * weights, "max deviation from a single decay " + error);
    }

    @Test
    void dropRateIsTheProbabilityOfDroppingAndDl4jGetsTheRetainProbability() {
        Map<String, Layer> published = layers(ModelZoo.build("googlenet-small", FASHION, NetworkOptions.defaults()));
        assertEquals(0.6, retain(published.get("drop5")), 1e-12);      // GoogLeNet drops 40% before the classifier
        assertEquals(0.3, retain(published.get("aux1_drop")), 1e-12);  // and 70% in the auxiliary heads
        Map<String, Layer> overridden = layers(ModelZoo.build("alexnet-small", FASHION,
                NetworkOptions.defaults().withDropRate(0.2)));
        assertEquals(0.8, retain(overridden.get("drop6")), 1e-12);
        Map<String, Layer> none = layers(ModelZoo.build("alexnet-small", FASHION,
                NetworkOptions.defaults().withDropRate(0)));
        assertFalse(none.values().stream().anyMatch(l -> l instanceof DropoutLayer));
        assertThrows(IllegalArgumentException.class, () -> NetworkOptions.defaults().withDropRate(1));
    }

    private static double retain(Layer layer) {
        return ((Dropout) layer.getIDropout()).getP();
    }

    @Test
    void batchNormReplacesLrnAndConvolutionBiases() {
        Map<String, Layer> plain = layers(ModelZoo.build("alexnet-small", FASHION, NetworkOptions.defaults()));
        assertTrue(plain.get("norm1") instanceof LocalResponseNormalization);
        assertTrue(((ConvolutionLayer) plain.get("conv1")).hasBias());
        assertFalse(plain.values().stream().anyMatch(l -> l instanceof BatchNormalization));

        Map<String, Layer> bn = layers(ModelZoo.build("alexnet-small", FASHION,
                NetworkOptions.defaults().withBatchNorm(true)));
        assertFalse(bn.values().stream().anyMatch(l -> l instanceof LocalResponseNormalization));
        assertFalse(((ConvolutionLayer) bn.get("conv1")).hasBias());
        assertEquals(5, bn.values().stream().filter(l -> l instanceof BatchNormalization).count());
    }

    @Test
    void widthMultiplierScalesHiddenWidthsButNotTheClasses() {
        Map<String, Layer> half = layers(ModelZoo.build("resnet18-small", FASHION,
                NetworkOptions.defaults().withWidthMultiplier(0.5)));
        assertEquals(32, ((ConvolutionLayer) half.get("conv1")).getNOut());
        assertEquals(256, ((ConvolutionLayer) half.get("res5b_conv2")).getNOut());
        assertEquals(10, ((org.deeplearning4j.nn.conf.layers.OutputLayer) half.get("output")).getNOut());
        assertThrows(IllegalArgumentException.class, () -> NetworkOptions.defaults().withWidthMultiplier(0));
    }

    @Test
    void updaterIsCopiedInAndOut() {
        Adam adam = new Adam(1e-3);
        NetworkOptions options = NetworkOptions.defaults().withUpdater(adam);
        adam.setLearningRate(0.5);
        assertEquals(1e-3, ((Adam) options.updater()).getLearningRate(), 0);
        ((Adam) options.updater()).setLearningRate(0.5);
        assertEquals(1e-3, ((Adam) options.updater()).getLearningRate(), 0);
        assertNotSame(options.updater(), options.updater());
        assertEquals(new Sgd(0.1), NetworkOptions.defaults().withUpdater(new Sgd(0.1)).updater());
    }

    @Test
    void badValuesAreRefusedWithTheirName() {
        assertEquals("NetworkOptions l2 must be a finite number >= 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> NetworkOptions.defaults().withL2(-1)).getMessage());
        assertEquals("ModelShape classes must be at least 2, got 1",
                assertThrows(IllegalArgumentException.class, () -> new ModelShape(1, 28, 28, 1)).getMessage());
    }
}
