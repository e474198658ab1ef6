package io.averon.jobs.models.segmentation;

import io.averon.worker.loss.PixelSoftmaxCrossEntropy;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * FCN-8s (Long, Shelhamer and Darrell, 2015): a VGG16 encoder whose fully connected layers become convolutions,
 * class scores taken at stride 32 (conv7), 16 (pool4) and 8 (pool3), fused by learned 2x up-sampling and addition,
 * then up-sampled 8x to the input. SAME padding replaces the paper's pad-100-and-crop, so with an input divisible by
 * 32 every map lines up exactly and no crop is needed. Up-sampling filters are learned (no bias, as in the paper)
 * from the network's initialisation rather than from bilinear weights.
 */
public final class Fcn8s {
    private Fcn8s() {
    }

    /**
     * @param stageWidths   output channels of the five VGG stages
     * @param convsPerStage 3x3 convolutions in each stage
     * @param fcWidth       channels of fc6 and fc7
     * @param fcKernel      kernel of fc6 (7 in VGG16; fc7 is 1x1)
     * @param dropout       drop rate after fc6 and fc7
     */
    public record Config(int[] stageWidths, int[] convsPerStage, int fcWidth, int fcKernel, double dropout) {
        public Config {
            if (stageWidths.length != 5 || convsPerStage.length != 5) {
                throw new IllegalArgumentException("FCN-8s needs 5 VGG stages, got " + stageWidths.length
                        + " widths and " + convsPerStage.length + " conv counts");
            }
            stageWidths = stageWidths.clone();
            convsPerStage = convsPerStage.clone();
        }

        /** The published network: VGG16 (64-128-256-512-512, 2-2-3-3-3 convs), fc 4096 with a 7x7 fc6, dropout 0.5. */
        public static Config published() {
            return new Config(new int[] {64, 128, 256, 512, 512}, new int[] {2, 2, 3, 3, 3}, 4096, 7, 0.5);
        }

        /** One 3x3 convolution per stage, 8 to 32 channels, fc 48 (about 40k parameters): trains in seconds. */
        public static Config small() {
            return new Config(new int[] {8, 16, 24, 32, 32}, new int[] {1, 1, 1, 1, 1}, 48, 3, 0.0);
        }
    }

    /** {@link Config#published()} with {@link PixelSoftmaxCrossEntropy} over the counted pixels. */
    public static ComputationGraphConfiguration published(SegmentationShape shape, IUpdater updater, long seed) {
        return build(shape, Config.published(), updater, seed, null);
    }

    /** {@link Config#small()} with {@link PixelSoftmaxCrossEntropy} over the counted pixels. */
    public static ComputationGraphConfiguration small(SegmentationShape shape, IUpdater updater, long seed) {
        return build(shape, Config.small(), updater, seed, null);
    }

    /**
     * @param loss the per-pixel loss; null for {@code new PixelSoftmaxCrossEntropy(shape.pixels())}
     * @throws IllegalArgumentException if height or width is not divisible by 32
     */
    public static ComputationGraphConfiguration build(SegmentationShape shape, Config config, IUpdater updater,
                                                      long seed, ILossFunction loss) {
        shape.requireDivisible(32, "FCN-8s", "five 2x poolings, undone by 2x, 2x and 8x up-sampling");
        ConvBlocks g = ConvBlocks.start(shape, updater, seed);
        String x = ConvBlocks.INPUT;
        String[] pools = new String[5];
        for (int s = 0; s < 5; s++) {
            for (int c = 0; c < config.convsPerStage()[s]; c++) {
                x = g.convRelu("conv" + (s + 1) + "_" + (c + 1), x, config.stageWidths()[s], 3);
            }
            x = g.maxPool("pool" + (s + 1), x, 2, 2);
            pools[s] = x;
        }
        int classes = shape.classes();
        x = g.convRelu("fc6", x, config.fcWidth(), config.fcKernel());
        x = g.dropout("drop6", x, config.dropout());
        x = g.convRelu("fc7", x, config.fcWidth(), 1);
        x = g.dropout("drop7", x, config.dropout());
        String scoreFr = g.score("score_fr", x, classes);
        String upscore2 = g.deconv("upscore2", scoreFr, classes, 4, 2, false);
        String scorePool4 = g.score("score_pool4", pools[3], classes);
        String fusePool4 = g.add("fuse_pool4", upscore2, scorePool4);
        String upscorePool4 = g.deconv("upscore_pool4", fusePool4, classes, 4, 2, false);
        String scorePool3 = g.score("score_pool3", pools[2], classes);
        String fusePool3 = g.add("fuse_pool3", upscorePool4, scorePool3);
        String upscore8 = g.deconv("upscore8", fusePool3, classes, 16, 8, false);
        return g.finish(upscore8, loss == null ? new PixelSoftmaxCrossEntropy(shape.pixels()) : loss);
    }
}
