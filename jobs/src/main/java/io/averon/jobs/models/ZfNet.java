package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * ZFNet (Zeiler and Fergus, 2013, the "visualizing" paper's final model), single-tower. {@link #build}: 224x224x3
 * in, conv 96@7x7/2 pad 1 (110x110), max-pool 3x3/2 (55), LRN, conv 256@5x5/2 (26), max-pool 3x3/2 (13), LRN,
 * conv 384@3x3, 384@3x3, 256@3x3 (pad 1), max-pool 3x3/2 (6x6x256), dense 4096, dropout 0.5, dense 4096, dropout
 * 0.5, softmax. The first two pools round up (Caffe's ceil mode, DL4J's "same") so the sizes are the paper's 55 and
 * 13; the last rounds down to its 6. 62,357,608 parameters at 1000 classes.
 */
public final class ZfNet {
    private ZfNet() {
    }

    public static ComputationGraphConfiguration build(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("zfnet", shape, options);
        String x = g.conv("conv1", GraphAssembly.INPUT, g.width(96), 7, 2, 1);
        x = g.maxPool("pool1", x, 3, 2, GraphAssembly.SAME);
        x = g.lrn("norm1", x, 2);
        x = g.conv("conv2", x, g.width(256), 5, 2, 0);
        x = g.maxPool("pool2", x, 3, 2, GraphAssembly.SAME);
        x = g.lrn("norm2", x, 2);
        x = g.conv("conv3", x, g.width(384), 3, 1, 1);
        x = g.conv("conv4", x, g.width(384), 3, 1, 1);
        x = g.conv("conv5", x, g.width(256), 3, 1, 1);
        x = g.maxPool("pool5", x, 3, 2, 0);
        AlexNet.classifier(g, x, 4096);
        return g.build();
    }

    /**
     * ZFNet for 28x28 and 32x32 inputs: {@link AlexNet#small} with a 3x3 stride-1 first convolution instead of 5x5,
     * mirroring how ZFNet shrank AlexNet's first filters (widths 96/256/384/384/256, 4x4x256 features, dense 1024).
     */
    public static ComputationGraphConfiguration small(ModelShape shape, NetworkOptions options) {
        return AlexNet.smallAlexNetFamily("zfnet-small", 3, shape, options);
    }
}
