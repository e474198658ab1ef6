package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * AlexNet (Krizhevsky, Sutskever and Hinton, 2012), single-tower: the paper's two GPU groups are merged into full
 * convolutions. {@link #build}: 227x227x3 in, conv 96@11x11/4, LRN, max-pool 3x3/2, conv 256@5x5 pad 2, LRN,
 * max-pool 3x3/2, conv 384@3x3 pad 1, 384@3x3 pad 1, 256@3x3 pad 1, max-pool 3x3/2 (6x6x256), dense 4096, dropout
 * 0.5, dense 4096, dropout 0.5, softmax. 62,378,344 parameters at 1000 classes. LRN: n 5, k 2, alpha 1e-4, beta 0.75.
 */
public final class AlexNet {
    private AlexNet() {
    }

    public static ComputationGraphConfiguration build(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("alexnet", shape, options);
        String x = g.conv("conv1", GraphAssembly.INPUT, g.width(96), 11, 4, 0);
        x = g.lrn("norm1", x, 2);
        x = g.maxPool("pool1", x, 3, 2, 0);
        x = g.conv("conv2", x, g.width(256), 5, 1, 2);
        x = g.lrn("norm2", x, 2);
        x = g.maxPool("pool2", x, 3, 2, 0);
        x = g.conv("conv3", x, g.width(384), 3, 1, 1);
        x = g.conv("conv4", x, g.width(384), 3, 1, 1);
        x = g.conv("conv5", x, g.width(256), 3, 1, 1);
        x = g.maxPool("pool5", x, 3, 2, 0);
        classifier(g, x, 4096);
        return g.build();
    }

    /**
     * AlexNet for 28x28 and 32x32 inputs: the 11x11/4 stem becomes conv 96@5x5 stride 1, and all three max-pools are
     * overlapping 3x3/2 with "same" padding (28 -> 14 -> 7 -> 4, 32 -> 16 -> 8 -> 4), so the classifier sees
     * 4x4x256 instead of 6x6x256; the two hidden dense layers have 1024 units instead of 4096. Otherwise as
     * {@link #build}: conv2 256@5x5, conv3-5 384/384/256@3x3, LRN after conv1 and conv2, dropout 0.5.
     */
    public static ComputationGraphConfiguration small(ModelShape shape, NetworkOptions options) {
        return smallAlexNetFamily("alexnet-small", 5, shape, options);
    }

    /** Shared by the small AlexNet and ZFNet, which differ in the first filter size as the full nets do. */
    static ComputationGraphConfiguration smallAlexNetFamily(String name, int firstKernel, ModelShape shape,
                                                            NetworkOptions options) {
        GraphAssembly g = new GraphAssembly(name, shape, options);
        String x = g.conv("conv1", GraphAssembly.INPUT, g.width(96), firstKernel, 1, GraphAssembly.SAME);
        x = g.lrn("norm1", x, 2);
        x = g.maxPool("pool1", x, 3, 2, GraphAssembly.SAME);
        x = g.conv("conv2", x, g.width(256), 5, 1, GraphAssembly.SAME);
        x = g.lrn("norm2", x, 2);
        x = g.maxPool("pool2", x, 3, 2, GraphAssembly.SAME);
        x = g.conv("conv3", x, g.width(384), 3, 1, GraphAssembly.SAME);
        x = g.conv("conv4", x, g.width(384), 3, 1, GraphAssembly.SAME);
        x = g.conv("conv5", x, g.width(256), 3, 1, GraphAssembly.SAME);
        x = g.maxPool("pool5", x, 3, 2, GraphAssembly.SAME);
        classifier(g, x, 1024);
        return g.build();
    }

    /** dense, dropout 0.5, dense, dropout 0.5, softmax: the head AlexNet, ZFNet and VGG share. */
    static void classifier(GraphAssembly g, String in, int hidden) {
        String x = g.dense("fc6", in, g.width(hidden));
        x = g.dropout("drop6", x, 0.5);
        x = g.dense("fc7", x, g.width(hidden));
        x = g.dropout("drop7", x, 0.5);
        g.output(x);
    }
}
