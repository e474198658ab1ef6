package io.averon.jobs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.junit.jupiter.api.Test;

/**
 * Parameter counts of the zoo's full networks against the published figures or against a derivation written out
 * below, counted from the configurations alone (no parameters allocated, so VGG costs nothing).
 */
class ParameterCountTest {
    private static final NetworkOptions OPTIONS = NetworkOptions.defaults();
    private static final ModelShape IMAGENET = new ModelShape(3, 224, 224, 1000);

    /** DL4J's parameter count split into what the updater trains and BN's running mean and variance. */
    record Count(long trainable, long batchNormStatistics) {
        long total() {
            return trainable + batchNormStatistics;
        }
    }

    static Count count(ComputationGraphConfiguration conf) {
        long total = 0;
        long statistics = 0;
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = layerVertex.getLayerConf().getLayer();
                total += layer.initializer().numParams(layer);
                if (layer instanceof BatchNormalization bn) {
                    statistics += 2 * bn.getNOut();
                }
            }
        }
        return new Count(total - statistics, statistics);
    }

    // Hand arithmetic: a k x k convolution from i to o channels, with or without bias; dense i -> o with bias;
    // trainable BN parameters (gamma, beta) of c channels.
    private static long conv(int k, int in, int out) {
        return (long) k * k * in * out + out;
    }

    private static long convNoBias(int k, int in, int out) {
        return (long) k * k * in * out;
    }

    private static long dense(int in, int out) {
        return (long) in * out + out;
    }

    private static long bn(int channels) {
        return 2L * channels;
    }

    @Test
    void alexNetHasThePublished62378344() {
        Count count = count(AlexNet.build(new ModelShape(3, 227, 227, 1000), OPTIONS));
        assertEquals(62_378_344L, count.trainable());
        assertEquals(0, count.batchNormStatistics());
    }

    @Test
    void zfNetMatchesItsDerivation() {
        long expected = conv(7, 3, 96)            // conv1        14,208
                + conv(5, 96, 256)                // conv2       614,656
                + conv(3, 256, 384)               // conv3       885,120
                + conv(3, 384, 384)               // conv4     1,327,488
                + conv(3, 384, 256)               // conv5       884,992
                + dense(6 * 6 * 256, 4096)        // fc6      37,752,832
                + dense(4096, 4096)               // fc7      16,781,312
                + dense(4096, 1000);              // output    4,097,000
        assertEquals(62_357_608L, expected);
        assertEquals(expected, count(ZfNet.build(IMAGENET, OPTIONS)).trainable());
    }

    @Test
    void vggHasThePublishedCounts() {
        assertEquals(138_357_544L, count(Vgg.vgg16(IMAGENET, OPTIONS)).trainable());
        assertEquals(143_667_240L, count(Vgg.vgg19(IMAGENET, OPTIONS)).trainable());
    }

    @Test
    void googLeNetMatchesItsDerivation() {
        // Table 1 of the paper: input channels, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
        int[][] modules = {
                {192, 64, 96, 128, 16, 32, 32}, {256, 128, 128, 192, 32, 96, 64},
                {480, 192, 96, 208, 16, 48, 64}, {512, 160, 112, 224, 24, 64, 64}, {512, 128, 128, 256, 24, 64, 64},
                {512, 112, 144, 288, 32, 64, 64}, {528, 256, 160, 320, 32, 128, 128},
                {832, 256, 160, 320, 32, 128, 128}, {832, 384, 192, 384, 48, 128, 128}};
        long main = conv(7, 3, 64) + conv(1, 64, 64) + conv(3, 64, 192);  // stem: 9,472 + 4,160 + 110,784
        for (int[] m : modules) {
            int in = m[0];
            main += conv(1, in, m[1])
                    + conv(1, in, m[2]) + conv(3, m[2], m[3])
                    + conv(1, in, m[4]) + conv(5, m[4], m[5])
                    + conv(1, in, m[6]);
        }
        main += dense(1024, 1000);
        // aux: 1x1 conv to 128 on 4a (512 channels) or 4d (528), dense 4x4x128 -> 1024, dense 1024 -> classes.
        long aux1 = conv(1, 512, 128) + dense(4 * 4 * 128, 1024) + dense(1024, 1000);
        long aux2 = conv(1, 528, 128) + dense(4 * 4 * 128, 1024) + dense(1024, 1000);
        assertEquals(6_998_552L, main);
        assertEquals(3_188_840L, aux1);
        assertEquals(3_190_888L, aux2);
        assertEquals(main + aux1 + aux2, count(GoogLeNet.build(IMAGENET, OPTIONS)).trainable());
    }

    @Test
    void resNet50HasThePublished25557032PlusRunningStatistics() {
        Count count = count(ResNet.resnet50(IMAGENET, OPTIONS));
        assertEquals(25_557_032L, count.trainable());
        assertEquals(resNetBatchNormChannels(new int[]{3, 4, 6, 3}, true) * 2, count.batchNormStatistics());
        assertEquals(53_120L, count.batchNormStatistics());
        assertEquals(25_610_152L, count.total());
    }

    @Test
    void resNet18And34And101MatchTheirDerivation() {
        Count r18 = count(ResNet.resnet18(IMAGENET, OPTIONS));
        Count r34 = count(ResNet.resnet34(IMAGENET, OPTIONS));
        Count r101 = count(ResNet.resnet101(IMAGENET, OPTIONS));
        assertEquals(resNet(new int[]{2, 2, 2, 2}, false), r18.trainable());
        assertEquals(resNet(new int[]{3, 4, 6, 3}, false), r34.trainable());
        assertEquals(resNet(new int[]{3, 4, 23, 3}, true), r101.trainable());
        // The derivation agrees with torchvision's published figures.
        assertEquals(11_689_512L, r18.trainable());
        assertEquals(21_797_672L, r34.trainable());
        assertEquals(44_549_160L, r101.trainable());
        assertEquals(2 * resNetBatchNormChannels(new int[]{2, 2, 2, 2}, false), r18.batchNormStatistics());
        assertEquals(2 * resNetBatchNormChannels(new int[]{3, 4, 6, 3}, false), r34.batchNormStatistics());
        assertEquals(2 * resNetBatchNormChannels(new int[]{3, 4, 23, 3}, true), r101.batchNormStatistics());
    }

    /** Stem conv 7x7 + BN; per block its convolutions + BNs, a projection + BN where width or stride change; fc. */
    private static long resNet(int[] blocks, boolean bottleneck) {
        int[] widths = {64, 128, 256, 512};
        long total = convNoBias(7, 3, 64) + bn(64);
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int w = widths[stage];
            int out = bottleneck ? 4 * w : w;
            for (int block = 0; block < blocks[stage]; block++) {
                if (bottleneck) {
                    total += convNoBias(1, in, w) + bn(w) + convNoBias(3, w, w) + bn(w) + convNoBias(1, w, out)
                            + bn(out);
                } else {
                    total += convNoBias(3, in, w) + bn(w) + convNoBias(3, w, w) + bn(w);
                }
                if (in != out || (stage > 0 && block == 0)) {
                    total += convNoBias(1, in, out) + bn(out);
                }
                in = out;
            }
        }
        return total + dense(in, 1000);
    }

    private static long resNetBatchNormChannels(int[] blocks, boolean bottleneck) {
        int[] widths = {64, 128, 256, 512};
        long channels = 64;
        int in = 64;
        for (int stage = 0; stage < 4; stage++) {
            int w = widths[stage];
            int out = bottleneck ? 4 * w : w;
            for (int block = 0; block < blocks[stage]; block++) {
                channels += bottleneck ? w + w + out : w + w;
                if (in != out || (stage > 0 && block == 0)) {
                    channels += out;
                }
                in = out;
            }
        }
        return channels;
    }

    @Test
    void denseNet121HasThePublished7978856() {
        Count count = count(DenseNet.densenet121(IMAGENET, OPTIONS));
        assertEquals(7_978_856L, count.trainable());
        assertEquals(83_648L, count.batchNormStatistics());
    }

    @Test
    void leNet5MatchesItsDerivation() {
        long expected = conv(5, 1, 6)      // c1     156
                + conv(5, 6, 16)           // c3   2,416
                + dense(5 * 5 * 16, 120)   // f5  48,120
                + dense(120, 84)           // f6  10,164
                + dense(84, 10);           // out    850
        assertEquals(61_706L, expected);
        assertEquals(expected, count(LeNet5.build(new ModelShape(1, 32, 32, 10), OPTIONS)).trainable());
        assertEquals(expected, count(LeNet5.build(new ModelShape(1, 28, 28, 10), OPTIONS)).trainable());
    }

    @Test
    void lstmMatchesItsDerivation() {
        int features = 28;
        int units = 128;
        // Four gates, each with input weights, recurrent weights and a bias; then dense 128 -> 10.
        long expected = 4L * (features * units + units * units + units) + dense(units, 10);
        assertEquals(81_674L, expected);
        assertEquals(expected, count(LstmClassifier.build(new ModelShape(1, 28, 28, 10), OPTIONS)).trainable());
    }
}
