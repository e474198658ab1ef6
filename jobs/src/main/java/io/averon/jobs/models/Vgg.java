package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * VGG-16 and VGG-19 (Simonyan and Zisserman, 2014, configurations D and E): five blocks of 3x3 "same" convolutions
 * with 64, 128, 256, 512, 512 filters, each block followed by a 2x2/2 max-pool, then dense 4096, dropout 0.5, dense
 * 4096, dropout 0.5, softmax. Blocks hold 2-2-3-3-3 (VGG-16) or 2-2-4-4-4 (VGG-19) convolutions. At 224x224x3 and
 * 1000 classes: 138,357,544 and 143,667,240 parameters. The batch-norm option gives the common VGG-BN variants.
 */
public final class Vgg {
    private static final int[] WIDTHS = {64, 128, 256, 512, 512};
    private static final int[] VGG16 = {2, 2, 3, 3, 3};
    private static final int[] VGG19 = {2, 2, 4, 4, 4};

    private Vgg() {
    }

    public static ComputationGraphConfiguration vgg16(ModelShape shape, NetworkOptions options) {
        return build("vgg16", VGG16, false, shape, options);
    }

    public static ComputationGraphConfiguration vgg19(ModelShape shape, NetworkOptions options) {
        return build("vgg19", VGG19, false, shape, options);
    }

    /**
     * VGG-16 for 28x28 and 32x32 inputs: the same 13 convolutions, but only the first four blocks end in a max-pool
     * (28 -> 14 -> 7 -> 4 -> 2, "same" pooling; 32 -> 2), and the hidden dense layers have 512 units instead of
     * 4096 (the classifier sees 2x2x512).
     */
    public static ComputationGraphConfiguration vgg16Small(ModelShape shape, NetworkOptions options) {
        return build("vgg16-small", VGG16, true, shape, options);
    }

    /** VGG-19 for 28x28 and 32x32 inputs, reduced as {@link #vgg16Small}: 16 convolutions, four pools, dense 512. */
    public static ComputationGraphConfiguration vgg19Small(ModelShape shape, NetworkOptions options) {
        return build("vgg19-small", VGG19, true, shape, options);
    }

    private static ComputationGraphConfiguration build(String name, int[] convsPerBlock, boolean small,
                                                       ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly(name, shape, options);
        String x = GraphAssembly.INPUT;
        for (int block = 0; block < WIDTHS.length; block++) {
            for (int i = 0; i < convsPerBlock[block]; i++) {
                x = g.conv("conv" + (block + 1) + "_" + (i + 1), x, g.width(WIDTHS[block]), 3, 1, GraphAssembly.SAME);
            }
            boolean lastBlock = block == WIDTHS.length - 1;
            if (!small) {
                x = g.maxPool("pool" + (block + 1), x, 2, 2, 0);
            } else if (!lastBlock) {
                x = g.maxPool("pool" + (block + 1), x, 2, 2, GraphAssembly.SAME);
            }
        }
        AlexNet.classifier(g, x, small ? 512 : 4096);
        return g.build();
    }
}
