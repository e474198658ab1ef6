package io.averon.jobs.models.segmentation;

import io.averon.worker.loss.PixelSoftmaxCrossEntropy;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * DeepLabV3+ (Chen et al., 2018): an atrous ResNet encoder at output stride 16 (the last stage dilates by 2 instead of
 * striding), atrous spatial pyramid pooling (a 1x1 branch, three dilated 3x3 branches and an image-pooling branch:
 * global average, 1x1 convolution, up-sampled back to the feature size), a 1x1 projection with dropout 0.1, then a
 * decoder that up-samples 4x, concatenates 1x1-reduced stride-4 features of the encoder, refines with two 3x3
 * convolutions and up-samples 4x to the input. DL4J has no bilinear resize: up-sampling is nearest-neighbour by
 * integer factors, which is exact because the input must be divisible by 16; the 3x3 convolutions after it smooth the
 * blocks.
 */
public final class DeepLabV3Plus {
    private DeepLabV3Plus() {
    }

    /**
     * @param backbone      the encoder
     * @param asppWidth     channels of each ASPP branch and of the projection
     * @param atrousRates   dilations of the three 3x3 ASPP branches
     * @param lowLevelWidth channels the stride-4 features are reduced to
     * @param decoderWidth  channels of the decoder's 3x3 convolutions
     */
    public record Config(ResNetBackbone backbone, int asppWidth, int[] atrousRates, int lowLevelWidth,
                         int decoderWidth) {
        public Config {
            if (atrousRates.length != 3) {
                throw new IllegalArgumentException("DeepLabV3+ ASPP takes 3 atrous rates, got " + atrousRates.length);
            }
            atrousRates = atrousRates.clone();
        }

        /** The paper's ResNet-101 variant: ASPP 256 with rates 6, 12, 18, low-level 48, decoder 256. */
        public static Config published() {
            return new Config(ResNetBackbone.resnet101(), 256, new int[] {6, 12, 18}, 48, 256);
        }

        /** Tiny ResNet (16-24-32-48), ASPP 32 with rates 1, 2, 3 (sized for a 4x4 feature map), decoder 32. */
        public static Config small() {
            return new Config(ResNetBackbone.tiny(16, 24, 32, 48), 32, new int[] {1, 2, 3}, 8, 32);
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
     * @throws IllegalArgumentException if height or width is not divisible by 16
     */
    public static ComputationGraphConfiguration build(SegmentationShape shape, Config config, IUpdater updater,
                                                      long seed, ILossFunction loss) {
        shape.requireDivisible(16, "DeepLabV3+", "output stride 16 undone by integer up-sampling");
        ConvBlocks g = ConvBlocks.start(shape, updater, seed);
        ResNetBackbone.Features features = config.backbone().add(g, ConvBlocks.INPUT,
                new int[] {1, 2, 2, 1}, new int[] {1, 1, 1, 2});
        int aspp = config.asppWidth();
        String f = features.output();
        String b0 = g.conv("aspp_1x1", f, aspp, 1, 1, 1, true, true);
        String b1 = g.conv("aspp_rate" + config.atrousRates()[0], f, aspp, 3, 1, config.atrousRates()[0], true, true);
        String b2 = g.conv("aspp_rate" + config.atrousRates()[1], f, aspp, 3, 1, config.atrousRates()[1], true, true);
        String b3 = g.conv("aspp_rate" + config.atrousRates()[2], f, aspp, 3, 1, config.atrousRates()[2], true, true);
        String pooled = g.globalAveragePool("aspp_pool", f);
        pooled = g.conv("aspp_pool_conv", pooled, aspp, 1, 1, 1, true, true);
        pooled = g.upsample("aspp_pool_up", pooled, shape.height() / 16, shape.width() / 16);
        String x = g.concat("aspp_concat", b0, b1, b2, b3, pooled);
        x = g.conv("aspp_project", x, aspp, 1, 1, 1, true, true);
        x = g.dropout("aspp_dropout", x, 0.1);
        x = g.upsample("decoder_up4", x, 4, 4);
        String low = g.conv("decoder_low", features.lowLevel(), config.lowLevelWidth(), 1, 1, 1, true, true);
        x = g.concat("decoder_concat", x, low);
        x = g.conv("decoder_conv1", x, config.decoderWidth(), 3, 1, 1, true, true);
        x = g.conv("decoder_conv2", x, config.decoderWidth(), 3, 1, 1, true, true);
        x = g.score("score", x, shape.classes());
        x = g.upsample("score_up4", x, 4, 4);
        return g.finish(x, loss == null ? new PixelSoftmaxCrossEntropy(shape.pixels()) : loss);
    }
}
