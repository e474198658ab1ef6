package io.averon.jobs.models.segmentation;

import io.averon.worker.loss.PixelSoftmaxCrossEntropy;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;

import java.util.ArrayList;
import java.util.List;

/**
 * PSPNet (Zhao et al., 2017): an atrous ResNet encoder at output stride 8 (the last two stages dilate by 2 and 4
 * instead of striding), a pyramid pooling module that average-pools the features to bins x bins grids (1, 2, 3
 * and 6 in the paper), reduces each with a 1x1 convolution, up-samples it back to the feature size and
 * concatenates it with the features, then a 3x3 convolution, dropout, 1x1 class scores and 8x up-sampling.
 *
 * <p>DL4J has neither adaptive pooling nor bilinear resize to an arbitrary size. Rather than a custom vertex, the
 * input size is constrained so the feature map ({@code input / 8}) is divisible by every bin: pooling with
 * kernel = stride = size / bin then yields exactly the adaptive bins, and nearest up-sampling by the same integer
 * restores the size exactly (each bin's value spread over its cell, where the paper interpolates bilinearly). With
 * bins 1, 2, 3, 6 the input must be divisible by 48: 480x480 (60x60 features) stands in for the paper's 473x473.
 * The paper's auxiliary loss on stage 3 is not built.
 */
public final class PspNet {
    private PspNet() {
    }

    /**
     * @param backbone     the encoder
     * @param bins         pyramid grid sizes
     * @param pyramidWidth channels of each pyramid branch after its 1x1 convolution
     * @param headWidth    channels of the 3x3 convolution after the concatenation
     * @param dropout      drop rate before the class scores
     */
    public record Config(ResNetBackbone backbone, int[] bins, int pyramidWidth, int headWidth, double dropout) {
        public Config {
            if (bins.length == 0) {
                throw new IllegalArgumentException("PSPNet needs at least one pyramid bin size");
            }
            for (int bin : bins) {
                if (bin < 1) {
                    throw new IllegalArgumentException("PSPNet bin sizes must be >= 1, got " + bin);
                }
            }
            bins = bins.clone();
        }

        /** The paper's ResNet-101 variant: bins 1, 2, 3, 6 of 512 channels each, head 512, dropout 0.1. */
        public static Config published() {
            return new Config(ResNetBackbone.resnet101(), new int[] {1, 2, 3, 6}, 512, 512, 0.1);
        }

        /** Tiny ResNet (16-24-32-48), bins 1, 2, 3, 6 of 12 channels, head 32. */
        public static Config small() {
            return new Config(ResNetBackbone.tiny(16, 24, 32, 48), new int[] {1, 2, 3, 6}, 12, 32, 0.1);
        }
    }

    public static ComputationGraphConfiguration published(SegmentationShape shape, IUpdater updater, long seed) {
        return build(shape, Config.published(), updater, seed, null);
    }

    public static ComputationGraphConfiguration small(SegmentationShape shape, IUpdater updater, long seed) {
        return build(shape, Config.small(), updater, seed, null);
    }

    /**
     * @param loss the per-pixel loss; null for {@code new PixelSoftmaxCrossEntropy(shape.pixels())}
     * @throws IllegalArgumentException if height or width is not divisible by 8 times every bin size
     */
    public static ComputationGraphConfiguration build(SegmentationShape shape, Config config, IUpdater updater,
                                                      long seed, ILossFunction loss) {
        int multiple = 8;
        for (int bin : config.bins()) {
            multiple = lcm(multiple, 8 * bin);
        }
        shape.requireDivisible(multiple, "PSPNet", "output stride 8 and features divisible by every bin size");
        ConvBlocks g = ConvBlocks.start(shape, updater, seed);
        ResNetBackbone.Features features = config.backbone().add(g, ConvBlocks.INPUT,
                new int[] {1, 2, 1, 1}, new int[] {1, 1, 2, 4});
        int featureH = shape.height() / 8;
        int featureW = shape.width() / 8;
        List<String> branches = new ArrayList<>();
        branches.add(features.output());
        for (int bin : config.bins()) {
            int cellH = featureH / bin;
            int cellW = featureW / bin;
            String name = "ppm_bin" + bin;
            String x = cellH == 1 && cellW == 1 ? features.output()
                    : g.averagePool(name + "_pool", features.output(), cellH, cellW);
            x = g.conv(name + "_conv", x, config.pyramidWidth(), 1, 1, 1, true, true);
            branches.add(cellH == 1 && cellW == 1 ? x : g.upsample(name + "_up", x, cellH, cellW));
        }
        String x = g.concat("ppm_concat", branches.toArray(new String[0]));
        x = g.conv("head_conv", x, config.headWidth(), 3, 1, 1, true, true);
        x = g.dropout("head_dropout", x, config.dropout());
        x = g.score("score", x, shape.classes());
        x = g.upsample("score_up8", x, 8, 8);
        return g.finish(x, loss == null ? new PixelSoftmaxCrossEntropy(shape.pixels()) : loss);
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
