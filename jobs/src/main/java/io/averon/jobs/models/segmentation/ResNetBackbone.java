package io.averon.jobs.models.segmentation;

/**
 * The ResNet-style encoder of {@link DeepLabV3Plus} and {@link PspNet}: a strided stem (convolution then 3x3 max-pool,
 * stride 4 in all), then four stages of residual blocks, each stage either striding by 2 or, to keep resolution,
 * dilating its 3x3 convolutions instead (the atrous ResNet of DeepLab and PSPNet). Blocks are basic (two 3x3
 * convolutions) or bottleneck (1x1, 3x3, 1x1 with 4x expansion); every convolution is batch-normalised.
 *
 * @param stemWidth   channels of the stem convolution
 * @param stemKernel  kernel of the stem convolution (7 in ResNet)
 * @param widths      the four stages' widths (a bottleneck stage outputs 4x its width)
 * @param blocks      residual blocks in each stage
 * @param bottleneck  bottleneck blocks (ResNet-50/101) instead of basic ones (ResNet-18/34)
 */
public record ResNetBackbone(int stemWidth, int stemKernel, int[] widths, int[] blocks, boolean bottleneck) {
    public ResNetBackbone {
        if (widths.length != 4 || blocks.length != 4) {
            throw new IllegalArgumentException("a ResNet backbone has 4 stages, got " + widths.length + " widths and "
                    + blocks.length + " block counts");
        }
        for (int s = 0; s < 4; s++) {
            if (widths[s] < 1 || blocks[s] < 1) {
                throw new IllegalArgumentException("ResNet stage " + (s + 1) + " needs width and blocks >= 1, got "
                        + widths[s] + " and " + blocks[s]);
            }
        }
        widths = widths.clone();
        blocks = blocks.clone();
    }

    /** ResNet-101: 7x7 stem of 64, bottleneck stages of 64, 128, 256, 512 (x4) with 3, 4, 23, 3 blocks. */
    public static ResNetBackbone resnet101() {
        return new ResNetBackbone(64, 7, new int[] {64, 128, 256, 512}, new int[] {3, 4, 23, 3}, true);
    }

    /** A tiny ResNet: 3x3 stem of 16, one basic block per stage of {@code widths}. */
    public static ResNetBackbone tiny(int... widths) {
        return new ResNetBackbone(16, 3, widths, new int[] {1, 1, 1, 1}, false);
    }

    /** Channels out of stage {@code s} (0-based). */
    public int stageChannels(int s) {
        return bottleneck ? 4 * widths[s] : widths[s];
    }

    /** Names of the stage-1 output (stride 4, the low-level features) and of the last stage's output. */
    record Features(String lowLevel, String output) {
    }

    /**
     * Adds the encoder on {@code input}.
     *
     * @param strides   the stride of each stage (stage 1 always 1)
     * @param dilations the dilation of each stage's 3x3 convolutions
     */
    Features add(ConvBlocks g, String input, int[] strides, int[] dilations) {
        String x = g.conv("stem", input, stemWidth, stemKernel, 2, 1, true, true);
        x = g.maxPool("stem_pool", x, 3, 2);
        int channels = stemWidth;
        String lowLevel = null;
        for (int s = 0; s < 4; s++) {
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 ? strides[s] : 1;
                String name = "res" + (s + 2) + "_" + (b + 1);
                x = bottleneck ? bottleneckBlock(g, name, x, channels, widths[s], stride, dilations[s])
                        : basicBlock(g, name, x, channels, widths[s], stride, dilations[s]);
                channels = stageChannels(s);
            }
            if (s == 0) {
                lowLevel = x;
            }
        }
        return new Features(lowLevel, x);
    }

    private static String basicBlock(ConvBlocks g, String name, String input, int in, int width, int stride,
                                     int dilation) {
        String x = g.conv(name + "_a", input, width, 3, stride, dilation, true, true);
        x = g.conv(name + "_b", x, width, 3, 1, dilation, true, false);
        return g.relu(name + "_relu", g.add(name + "_add", x, shortcut(g, name, input, in, width, stride)));
    }

    private static String bottleneckBlock(ConvBlocks g, String name, String input, int in, int width, int stride,
                                          int dilation) {
        String x = g.conv(name + "_a", input, width, 1, 1, 1, true, true);
        x = g.conv(name + "_b", x, width, 3, stride, dilation, true, true);
        x = g.conv(name + "_c", x, 4 * width, 1, 1, 1, true, false);
        return g.relu(name + "_relu", g.add(name + "_add", x, shortcut(g, name, input, in, 4 * width, stride)));
    }

    /** Identity when the shape is kept, else a strided 1x1 projection. */
    private static String shortcut(ConvBlocks g, String name, String input, int in, int out, int stride) {
        if (in == out && stride == 1) {
            return input;
        }
        return g.conv(name + "_proj", input, out, 1, stride, 1, true, false);
    }
}
