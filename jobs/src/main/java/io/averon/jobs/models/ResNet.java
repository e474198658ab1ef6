package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * Residual networks (He et al., 2015) with batch norm after every convolution.
 *
 * <p>Full nets, 224x224x3: conv 64@7x7/2 + BN + ReLU, max-pool 3x3/2, four stages at 56, 28, 14, 7 with 64, 128,
 * 256, 512 base widths, global average pool, softmax. ResNet-18/34 use basic blocks (3x3, 3x3; 2-2-2-2 and 3-4-6-3
 * blocks); ResNet-50/101 bottlenecks (1x1, 3x3, 1x1 with 4x expansion; 3-4-6-3 and 3-4-23-3). A block's shortcut is
 * the identity, or, where the width or the stride changes, a projection: 1x1 convolution (stride 2 between stages)
 * + BN (the paper's option B). Stages 3-5 downsample in their first block's 3x3 convolution (as torchvision and
 * "ResNet v1.5" do; the paper's 1x1 placement has the same parameters). Convolutions have no bias: the following
 * BN's beta is the bias.
 *
 * <p>Trainable parameters at 1000 classes: ResNet-18 11,689,512, ResNet-34 21,797,672, ResNet-50 25,557,032,
 * ResNet-101 44,549,160. DL4J keeps each BN layer's running mean and variance among the network's parameters too
 * (2 per channel): 9,600 / 17,024 / 53,120 / 105,344 more, not trained by the updater.
 *
 * <p>Small variants ({@code resnetNNSmall}), for 28x28 and 32x32 inputs: the stem is conv 64@3x3 stride 1 + BN +
 * ReLU without max-pool, so the four stages run at 28, 14, 7, 4 (32, 16, 8, 4); blocks and widths as the full net.
 * The ResNet-18 small variant at width multiplier 0.5 or more is a Fashion-MNIST model of the "ResNet-18 for
 * CIFAR" kind.
 */
public final class ResNet {
    private static final int[] WIDTHS = {64, 128, 256, 512};

    private ResNet() {
    }

    public static ComputationGraphConfiguration resnet18(ModelShape shape, NetworkOptions options) {
        return build("resnet18", new int[]{2, 2, 2, 2}, false, false, shape, options);
    }

    public static ComputationGraphConfiguration resnet34(ModelShape shape, NetworkOptions options) {
        return build("resnet34", new int[]{3, 4, 6, 3}, false, false, shape, options);
    }

    public static ComputationGraphConfiguration resnet50(ModelShape shape, NetworkOptions options) {
        return build("resnet50", new int[]{3, 4, 6, 3}, true, false, shape, options);
    }

    public static ComputationGraphConfiguration resnet101(ModelShape shape, NetworkOptions options) {
        return build("resnet101", new int[]{3, 4, 23, 3}, true, false, shape, options);
    }

    public static ComputationGraphConfiguration resnet18Small(ModelShape shape, NetworkOptions options) {
        return build("resnet18-small", new int[]{2, 2, 2, 2}, false, true, shape, options);
    }

    public static ComputationGraphConfiguration resnet34Small(ModelShape shape, NetworkOptions options) {
        return build("resnet34-small", new int[]{3, 4, 6, 3}, false, true, shape, options);
    }

    public static ComputationGraphConfiguration resnet50Small(ModelShape shape, NetworkOptions options) {
        return build("resnet50-small", new int[]{3, 4, 6, 3}, true, true, shape, options);
    }

    public static ComputationGraphConfiguration resnet101Small(ModelShape shape, NetworkOptions options) {
        return build("resnet101-small", new int[]{3, 4, 23, 3}, true, true, shape, options);
    }

    private static ComputationGraphConfiguration build(String name, int[] blocks, boolean bottleneck, boolean small,
                                                       ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly(name, shape, options);
        int channels = g.width(64);
        String x;
        if (small) {
            x = g.convBn("conv1", GraphAssembly.INPUT, channels, 3, 1, GraphAssembly.SAME, true);
        } else {
            x = g.convBn("conv1", GraphAssembly.INPUT, channels, 7, 2, GraphAssembly.SAME, true);
            x = g.maxPool("pool1", x, 3, 2, GraphAssembly.SAME);
        }
        for (int stage = 0; stage < blocks.length; stage++) {
            int width = g.width(WIDTHS[stage]);
            int out = bottleneck ? 4 * width : width;
            for (int block = 0; block < blocks[stage]; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                // res2a, res2b, ... res4w: the stage as in the paper's conv2_x..conv5_x, the block as a letter.
                String id = "res" + (stage + 2) + (char) ('a' + block);
                x = bottleneck
                        ? bottleneck(g, id, x, channels, width, out, stride)
                        : basic(g, id, x, channels, width, stride);
                channels = out;
            }
        }
        x = g.globalAvgPool("pool5", x);
        g.output(x);
        return g.build();
    }

    private static String basic(GraphAssembly g, String id, String in, int inChannels, int width, int stride) {
        String x = g.convBn(id + "_conv1", in, width, 3, stride, GraphAssembly.SAME, true);
        x = g.convBn(id + "_conv2", x, width, 3, 1, GraphAssembly.SAME, false);
        return join(g, id, in, x, inChannels, width, stride);
    }

    private static String bottleneck(GraphAssembly g, String id, String in, int inChannels, int width, int out,
                                     int stride) {
        String x = g.convBn(id + "_conv1", in, width, 1, 1, 0, true);
        x = g.convBn(id + "_conv2", x, width, 3, stride, GraphAssembly.SAME, true);
        x = g.convBn(id + "_conv3", x, out, 1, 1, 0, false);
        return join(g, id, in, x, inChannels, out, stride);
    }

    /** Residual sum with the identity or a projection shortcut, then ReLU. */
    private static String join(GraphAssembly g, String id, String in, String residual, int inChannels, int out,
                               int stride) {
        String shortcut = in;
        if (stride != 1 || inChannels != out) {
            shortcut = g.convBn(id + "_proj", in, out, 1, stride, GraphAssembly.SAME, false);
        }
        return g.relu(id, g.sum(id + "_sum", residual, shortcut));
    }
}
