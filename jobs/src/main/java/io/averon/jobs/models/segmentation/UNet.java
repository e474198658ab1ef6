package io.averon.jobs.models.segmentation;

import io.averon.worker.loss.PixelSoftmaxCrossEntropy;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * U-Net (Ronneberger, Fischer and Brox, 2015): a contracting path of two 3x3 convolutions and a 2x2 max-pool per
 * level, channels doubling from the base width (64 in the paper) to 16x at the bottom, and an expanding path of a
 * 2x2 up-convolution halving the channels, concatenation with the same level's encoder output (skip first), and two
 * 3x3 convolutions; a 1x1 convolution gives the class scores. Convolutions use SAME padding instead of the paper's
 * valid ones, so the output has the input's size and no crop is needed.
 */
public final class UNet {
    private UNet() {
    }

    /**
     * @param baseWidth channels of the first level (64 in the paper)
     * @param depth     number of 2x poolings (4 in the paper)
     * @param batchNorm batch normalisation after every 3x3 convolution (not in the paper)
     */
    public record Config(int baseWidth, int depth, boolean batchNorm) {
        public Config {
            if (baseWidth < 1 || depth < 1) {
                throw new IllegalArgumentException("U-Net needs baseWidth >= 1 and depth >= 1, got baseWidth="
                        + baseWidth + " depth=" + depth);
            }
        }

        /** The paper's network: 64 to 1024 channels, 4 levels down and up, no batch normalisation. */
        public static Config published() {
            return new Config(64, 4, false);
        }

        /** The same layout with base width 8 (8 to 128 channels). */
        public static Config small() {
            return new Config(8, 4, false);
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
     * @throws IllegalArgumentException if height or width is not divisible by 2^depth
     */
    public static ComputationGraphConfiguration build(SegmentationShape shape, Config config, IUpdater updater,
                                                      long seed, ILossFunction loss) {
        shape.requireDivisible(1 << config.depth(), "U-Net", config.depth() + " 2x poolings undone by up-convolutions");
        ConvBlocks g = ConvBlocks.start(shape, updater, seed);
        boolean bn = config.batchNorm();
        String[] skips = new String[config.depth()];
        String x = ConvBlocks.INPUT;
        int width = config.baseWidth();
        for (int level = 0; level < config.depth(); level++) {
            x = doubleConv(g, "down" + (level + 1), x, width, bn);
            skips[level] = x;
            x = g.maxPool("pool" + (level + 1), x, 2, 2);
            width *= 2;
        }
        x = doubleConv(g, "bottom", x, width, bn);
        for (int level = config.depth() - 1; level >= 0; level--) {
            width /= 2;
            String up = g.deconv("up" + (level + 1) + "_upconv", x, width, 2, 2, true);
            String merged = g.concat("up" + (level + 1) + "_concat", skips[level], up);
            x = doubleConv(g, "up" + (level + 1), merged, width, bn);
        }
        String scores = g.score("score", x, shape.classes());
        return g.finish(scores, loss == null ? new PixelSoftmaxCrossEntropy(shape.pixels()) : loss);
    }

    private static String doubleConv(ConvBlocks g, String name, String input, int width, boolean bn) {
        String x = g.conv(name + "_conv1", input, width, 3, 1, 1, bn, true);
        return g.conv(name + "_conv2", x, width, 3, 1, 1, bn, true);
    }
}
