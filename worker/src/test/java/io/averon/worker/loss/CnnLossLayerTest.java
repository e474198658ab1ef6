package io.averon.worker.loss;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The losses inside a DL4J network: behind a {@code CnnLossLayer} with softmax, whole-network gradient checks pass
 * with ignored pixels in the labels, and a network configuration holding a loss survives JSON and Java
 * serialisation.
 */
class CnnLossLayerTest {
    private static final int H = 3;
    private static final int W = 4;
    private static final int CLASSES = 3;
    private static DataType previousType;
    private static DataType previousFloatType;

    @BeforeAll
    static void doublePrecision() {
        previousType = Nd4j.dataType();
        previousFloatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(previousType, previousFloatType);
    }

    static List<ILossFunction> losses() {
        return List.of(
                new PixelSoftmaxCrossEntropy(H * W, new double[] {1.0, 2.0, 0.5}),
                new FocalLoss(2.0, new double[] {0.5, 1.0, 1.0}, H * W),
                new DiceLoss(1.0, H * W),
                new DiceCrossEntropy(0.5, 1.0, null, H * W),
                new LossMCXENT(Nd4j.createFromArray(1.0, 2.0, 0.5).reshape(1, CLASSES)));
    }

    static ComputationGraphConfiguration graph(ILossFunction loss) {
        return new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .weightInit(WeightInit.XAVIER)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs("input")
                .setInputTypes(InputType.convolutional(H, W, 2))
                .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(CLASSES)
                        .activation(Activation.TANH).build(), "input")
                .addLayer("output", new CnnLossLayer.Builder(loss).activation(Activation.SOFTMAX).build(), "conv")
                .setOutputs("output")
                .build();
    }

    @Test
    void wholeNetworkGradientsAreRightWithIgnoredPixels() {
        int n = 2;
        int[] ids = new int[n * H * W];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i % 5 == 2 ? PixelLabels.IGNORE : (i * 7) % CLASSES;
        }
        INDArray labels = PixelLabels.oneHot(ids, n, H, W, CLASSES);
        INDArray input = Nd4j.rand(DataType.DOUBLE, n, 2, H, W);
        for (ILossFunction loss : losses()) {
            ComputationGraph net = new ComputationGraph(graph(loss));
            net.init();
            boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                    .inputs(new INDArray[] {input}).labels(new INDArray[] {labels})
                    .epsilon(1e-6).maxRelError(1e-5).minAbsoluteError(1e-9)
                    .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
            assertTrue(ok, "gradient check of " + loss.name());
        }
    }

    @Test
    void theNetworkScoreIsTheMeanOverCountedPixels() {
        int n = 2;
        int[] ids = new int[n * H * W];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i < 5 ? PixelLabels.IGNORE : i % CLASSES;
        }
        INDArray labels = PixelLabels.oneHot(ids, n, H, W, CLASSES);
        INDArray input = Nd4j.rand(DataType.DOUBLE, n, 2, H, W);
        ComputationGraph net = new ComputationGraph(graph(new PixelSoftmaxCrossEntropy(H * W)));
        net.init();
        INDArray p = net.outputSingle(input);
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != PixelLabels.IGNORE) {
                int example = i / (H * W);
                int pixel = i % (H * W);
                sum -= Math.log(p.getDouble(example, ids[i], pixel / W, pixel % W));
                counted++;
            }
        }
        net.setInputs(input);
        net.setLabels(labels);
        net.computeGradientAndScore();
        assertEquals(sum / counted, net.score(), 1e-9);
    }

    @Test
    void configurationsWithTheLossesRoundTripThroughJsonAndJavaSerialisation() throws Exception {
        for (ILossFunction loss : losses()) {
            ComputationGraphConfiguration conf = graph(loss);
            String json = conf.toJson();
            assertTrue(json.contains(loss.getClass().getName()), json);
            ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
            assertEquals(conf, back, loss.name());
            LayerVertex vertex = (LayerVertex) back.getVertices().get("output");
            ILossFunction restored = ((CnnLossLayer) vertex.getLayerConf().getLayer()).getLossFn();
            assertInstanceOf(loss.getClass(), restored);
            assertNotSame(loss, restored);
            assertEquals(loss, restored);
            assertEquals(loss.toString(), restored.toString());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(loss);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                assertEquals(loss, in.readObject());
            }
        }
    }
}
