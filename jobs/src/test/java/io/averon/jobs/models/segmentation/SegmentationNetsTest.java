package io.averon.jobs.models.segmentation;

import io.averon.worker.loss.DiceCrossEntropy;
import io.averon.worker.loss.PixelLabels;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.convolution.CnnLossLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentationNetsTest {
    private static final IUpdater ADAM = new Adam(5e-3);
    private static final int CLASSES = 3;

    /** A network and the input it is built for. */
    record Net(String name, SegmentationShape shape, ComputationGraphConfiguration conf) {
    }

    /** The small variants and the input each is trained at. */
    private static List<Net> smallNets() {
        SegmentationShape s32 = new SegmentationShape(3, 32, 32, CLASSES);
        SegmentationShape s32x48 = new SegmentationShape(3, 32, 48, CLASSES);
        SegmentationShape s48 = new SegmentationShape(3, 48, 48, CLASSES);
        return List.of(
                new Net("FCN-8s", s32, Fcn8s.small(s32, ADAM, 1)),
                new Net("U-Net", s32, UNet.small(s32, ADAM, 1)),
                new Net("DeepLabV3+", s32x48, DeepLabV3Plus.small(s32x48, ADAM, 1)),
                new Net("PSPNet", s48, PspNet.small(s48, ADAM, 1)));
    }

    private static int[] inputSize(Net net) {
        return new int[] {net.shape().channels(), net.shape().height(), net.shape().width()};
    }

    private static Map<String, InputType> types(Net net) {
        SegmentationShape s = net.shape();
        return net.conf().getLayerActivationTypes(InputType.convolutional(s.height(), s.width(), s.channels()));
    }

    @Test
    void publishedNetworksGiveClassScoresAtTheInputResolution() {
        SegmentationShape voc = new SegmentationShape(3, 512, 512, 21);
        SegmentationShape cells = new SegmentationShape(1, 512, 512, 2);
        SegmentationShape psp = new SegmentationShape(3, 480, 480, 21);
        List<Net> nets = List.of(
                new Net("FCN-8s", voc, Fcn8s.published(voc, ADAM, 1)),
                new Net("U-Net", cells, UNet.published(cells, ADAM, 1)),
                new Net("DeepLabV3+", voc, DeepLabV3Plus.published(voc, ADAM, 1)),
                new Net("PSPNet", psp, PspNet.published(psp, ADAM, 1)));
        for (Net net : nets) {
            SegmentationShape shape = net.shape();
            InputType.InputTypeConvolutional out = (InputType.InputTypeConvolutional) types(net).get("output");
            assertArrayEquals(new long[] {shape.classes(), shape.height(), shape.width()},
                    new long[] {out.getChannels(), out.getHeight(), out.getWidth()}, net.name());
            System.out.printf("%s published: %,d parameters%n", net.name(), parameters(net.conf()));
        }
        // The published encoders reach the strides their papers use.
        Map<String, InputType> deeplab = types(nets.get(2));
        assertEquals(512 / 16, ((InputType.InputTypeConvolutional) deeplab.get("res5_3_relu")).getHeight());
        assertEquals(2048, ((InputType.InputTypeConvolutional) deeplab.get("res5_3_relu")).getChannels());
        assertEquals(512 / 4, ((InputType.InputTypeConvolutional) deeplab.get("res2_3_relu")).getHeight());
        Map<String, InputType> pspTypes = types(nets.get(3));
        assertEquals(60, ((InputType.InputTypeConvolutional) pspTypes.get("res5_3_relu")).getHeight());
        assertEquals(6, ((InputType.InputTypeConvolutional) pspTypes.get("ppm_bin6_pool")).getHeight());
        assertEquals(4096, ((InputType.InputTypeConvolutional) pspTypes.get("ppm_concat")).getChannels());
    }

    /** U-Net of the paper (1 input channel, 2 classes, no batch norm) with SAME padding, layer by layer. */
    @Test
    void uNetHasThePapersParameterCount() {
        Function<long[], Long> conv = k -> k[0] * k[0] * k[1] * k[2] + k[2]; // {kernel, in, out}: weights + bias
        long expected = 0;
        long[][] layers = {
                {3, 1, 64}, {3, 64, 64},                         // down1
                {3, 64, 128}, {3, 128, 128},                     // down2
                {3, 128, 256}, {3, 256, 256},                    // down3
                {3, 256, 512}, {3, 512, 512},                    // down4
                {3, 512, 1024}, {3, 1024, 1024},                 // bottom
                {2, 1024, 512}, {3, 1024, 512}, {3, 512, 512},   // up4: 2x2 up-conv, concat 512+512, two convs
                {2, 512, 256}, {3, 512, 256}, {3, 256, 256},     // up3
                {2, 256, 128}, {3, 256, 128}, {3, 128, 128},     // up2
                {2, 128, 64}, {3, 128, 64}, {3, 64, 64},         // up1
                {1, 64, 2}};                                     // 1x1 class scores
        for (long[] layer : layers) {
            expected += conv.apply(layer);
        }
        assertEquals(31_030_658L, expected);
        assertEquals(expected, parameters(UNet.published(new SegmentationShape(1, 256, 256, 2), ADAM, 1)));

        // The counting above is DL4J's own: the small U-Net, instantiated, has the parameters the formula gives.
        ComputationGraphConfiguration small = UNet.small(new SegmentationShape(1, 32, 32, 2), ADAM, 1);
        ComputationGraph net = new ComputationGraph(small);
        net.init();
        long smallExpected = 0;
        for (long[] layer : layers) {
            smallExpected += conv.apply(new long[] {layer[0], layer[1] == 1 ? 1 : layer[1] / 8,
                    layer[2] == 2 ? 2 : layer[2] / 8});
        }
        assertEquals(smallExpected, net.numParams());
        assertEquals(smallExpected, parameters(small));
    }

    /** FCN-8s = VGG16 without fc8 (138,357,544 - 4,097,000) plus its score and up-sampling layers. */
    @Test
    void fcn8sIsVgg16PlusItsScoreLayers() {
        long vgg16WithoutFc8 = 138_357_544L - 4_097_000L;
        int c = 21;
        long heads = (4096L * c + c) + (512L * c + c) + (256L * c + c)   // score_fr, score_pool4, score_pool3
                + 4 * 4 * c * c + 4 * 4 * c * c + 16 * 16 * c * c;         // bias-free 2x, 2x, 8x up-sampling
        assertEquals(vgg16WithoutFc8 + heads,
                parameters(Fcn8s.published(new SegmentationShape(3, 512, 512, c), ADAM, 1)));
    }

    @Test
    void smallNetworksRunForwardToPerPixelScoresAndRoundTripThroughJson() {
        for (Net net : smallNets()) {
            ComputationGraphConfiguration conf = net.conf();
            assertEquals(conf, ComputationGraphConfiguration.fromJson(conf.toJson()), net.name());
            int[] in = inputSize(net);
            ComputationGraph graph = new ComputationGraph(conf);
            graph.init();
            INDArray out = graph.outputSingle(Nd4j.rand(DataType.FLOAT, 2, in[0], in[1], in[2]));
            assertArrayEquals(new long[] {2, CLASSES, in[1], in[2]}, out.shape(), net.name());
            INDArray perPixelSum = out.sum(1);
            assertEquals(0.0, perPixelSum.sub(1).amaxNumber().doubleValue(), 1e-4, net.name() + " softmax");
            System.out.printf("%s small: %,d parameters%n", net.name(), graph.numParams());
        }
    }

    @Test
    void smallNetworksLearnShapesWithMasks() {
        for (Net net : smallNets()) {
            int[] in = inputSize(net);
            Shapes batch = Shapes.generate(4, in[1], in[2], 17);
            ComputationGraph graph = new ComputationGraph(net.conf());
            graph.init();
            DataSet data = new DataSet(batch.images, PixelLabels.oneHot(batch.ids, 4, in[1], in[2], CLASSES));
            List<Double> scores = new ArrayList<>();
            long start = System.nanoTime();
            for (int step = 0; step < 12; step++) {
                graph.fit(data);
                scores.add(graph.score());
            }
            System.out.printf("%s: scores %s in %d ms%n", net.name(), scores, (System.nanoTime() - start) / 1_000_000);
            double first = scores.get(0);
            double last = scores.get(scores.size() - 1);
            assertTrue(Double.isFinite(last) && last < 0.8 * first,
                    net.name() + " did not learn: " + scores);
        }
    }

    @Test
    void ignoredPixelsGetNoGradient() {
        SegmentationShape shape = new SegmentationShape(3, 32, 32, CLASSES);
        Net deeplabDice = new Net("DeepLabV3+ Dice+CE", shape, DeepLabV3Plus.build(shape, DeepLabV3Plus.Config.small(),
                ADAM, 1, new DiceCrossEntropy(shape.pixels())));
        for (Net c : List.of(deeplabDice, smallNets().get(1))) {
            int[] in = inputSize(c);
            Shapes batch = Shapes.generate(2, in[1], in[2], 5);
            INDArray labels = PixelLabels.oneHot(batch.ids, 2, in[1], in[2], CLASSES);
            ComputationGraph net = new ComputationGraph(c.conf());
            net.init();
            net.feedForward(new INDArray[] {batch.images}, true, false);
            CnnLossLayer output = (CnnLossLayer) net.getLayer("output");
            output.setLabels(labels);
            Pair<Gradient, INDArray> backprop = output.backpropGradient(null, LayerWorkspaceMgr.noWorkspaces());
            INDArray delta = backprop.getSecond();
            assertArrayEquals(labels.shape(), delta.shape());
            int pixels = in[1] * in[2];
            int ignored = 0;
            for (int i = 0; i < batch.ids.length; i++) {
                int n = i / pixels;
                int y = (i % pixels) / in[2];
                int x = i % in[2];
                double g = 0;
                for (int k = 0; k < CLASSES; k++) {
                    g += Math.abs(delta.getDouble(n, k, y, x));
                }
                if (batch.ids[i] == PixelLabels.IGNORE) {
                    assertEquals(0.0, g, 0.0, "gradient at ignored pixel " + i);
                    ignored++;
                } else {
                    assertTrue(g > 0, "no gradient at labelled pixel " + i);
                }
            }
            assertTrue(ignored > 0);

            // A batch of nothing but ignored pixels moves no learned parameter. (DL4J carries batch norm's running
            // mean and variance updates in the gradient too: those follow the inputs, not the loss.)
            int[] none = new int[batch.ids.length];
            Arrays.fill(none, PixelLabels.IGNORE);
            net.setInputs(batch.images);
            net.setLabels(PixelLabels.oneHot(none, 2, in[1], in[2], CLASSES));
            net.computeGradientAndScore();
            assertEquals(0.0, net.score(), 0.0);
            int learned = 0;
            for (Map.Entry<String, INDArray> g : net.gradient().gradientForVariable().entrySet()) {
                if (!g.getKey().matches(".*_bn_(mean|var|log10stdev)")) {
                    assertEquals(0.0, g.getValue().norm1Number().doubleValue(), 0.0, g.getKey());
                    learned++;
                }
            }
            assertTrue(learned > 0);
        }
    }

    @Test
    void inputSizesTheNetworksCannotRestoreAreRefused() {
        IllegalArgumentException fcn = assertThrows(IllegalArgumentException.class,
                () -> Fcn8s.small(new SegmentationShape(3, 48, 48, 2), ADAM, 1));
        assertTrue(fcn.getMessage().contains("divisible by 32"), fcn.getMessage());
        IllegalArgumentException psp = assertThrows(IllegalArgumentException.class,
                () -> PspNet.small(new SegmentationShape(3, 64, 64, 2), ADAM, 1));
        assertTrue(psp.getMessage().contains("divisible by 48"), psp.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UNet.small(new SegmentationShape(3, 40, 40, 2), ADAM, 1));
        assertThrows(IllegalArgumentException.class,
                () -> DeepLabV3Plus.small(new SegmentationShape(3, 40, 40, 2), ADAM, 1));
        assertThrows(IllegalArgumentException.class, () -> new SegmentationShape(3, 32, 32, 1));
    }

    /** Parameters of a configuration as DL4J's initialisers count them, without allocating the network. */
    static long parameters(ComputationGraphConfiguration conf) {
        long n = 0;
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = layerVertex.getLayerConf().getLayer();
                n += layer.initializer().numParams(layer);
            }
        }
        return n;
    }

    /**
     * Synthetic scenes: a dark noisy background (class 0) with a bright-red rectangle (class 1) and a bright-blue
     * disk (class 2); the one-pixel outline of each shape is ignored ({@link PixelLabels#IGNORE}), as VOC marks
     * object borders.
     */
    record Shapes(INDArray images, int[] ids) {
        static Shapes generate(int n, int h, int w, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            float[] pixels = new float[n * 3 * h * w];
            int[] ids = new int[n * h * w];
            for (int i = 0; i < n; i++) {
                int[] classes = new int[h * w];
                int rx = random.nextInt(w / 2);
                int ry = random.nextInt(h / 2);
                int rw = w / 4 + random.nextInt(w / 4);
                int rh = h / 4 + random.nextInt(h / 4);
                int cx = w / 4 + random.nextInt(w / 2);
                int cy = h / 4 + random.nextInt(h / 2);
                int radius = Math.min(h, w) / 8 + random.nextInt(Math.min(h, w) / 8);
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int c = 0;
                        if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) {
                            c = 1;
                        }
                        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) {
                            c = 2;
                        }
                        classes[y * w + x] = c;
                    }
                }
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int c = classes[y * w + x];
                        boolean border = false;
                        for (int[] d : new int[][] {{0, 1}, {1, 0}, {0, -1}, {-1, 0}}) {
                            int yy = y + d[0];
                            int xx = x + d[1];
                            if (yy >= 0 && yy < h && xx >= 0 && xx < w && classes[yy * w + xx] != c && c != 0) {
                                border = true;
                            }
                        }
                        ids[i * h * w + y * w + x] = border ? PixelLabels.IGNORE : c;
                        float[] colour = c == 1 ? new float[] {0.9f, 0.2f, 0.2f}
                                : c == 2 ? new float[] {0.2f, 0.3f, 0.9f} : new float[] {0.2f, 0.2f, 0.2f};
                        for (int ch = 0; ch < 3; ch++) {
                            pixels[((i * 3 + ch) * h + y) * w + x] = colour[ch] + (float) (random.nextDouble() - 0.5)
                                    * 0.3f;
                        }
                    }
                }
            }
            return new Shapes(Nd4j.create(pixels, new long[] {n, 3, h, w}, 'c'), ids);
        }
    }
}
