package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.activations.Activation;

/**
 * DenseNet-121 (Huang et al., 2016, DenseNet-BC): growth rate k = 32, dense blocks of 6, 12, 24, 16 layers. Each
 * layer is BN-ReLU-conv 1x1 (4k)-BN-ReLU-conv 3x3 (k) and its k new maps are concatenated to its input; each
 * transition between blocks is BN-ReLU-conv 1x1 halving the channels (compression 0.5)-average pool 2x2/2. Stem
 * conv 2k@7x7/2 + BN + ReLU, max-pool 3x3/2; after the last block BN + ReLU, global average pool, softmax.
 * Convolutions have no bias. At 224x224x3 and 1000 classes: 7,978,856 trainable parameters (BN gamma and beta
 * included) plus 83,648 BN running statistics, which DL4J stores among the parameters.
 *
 * <p>The width multiplier scales the growth rate (stem and bottleneck widths follow it).
 */
public final class DenseNet {
    private static final int[] BLOCKS = {6, 12, 24, 16};

    private DenseNet() {
    }

    public static ComputationGraphConfiguration densenet121(ModelShape shape, NetworkOptions options) {
        return build("densenet121", false, shape, options);
    }

    /**
     * DenseNet-121 for 28x28 and 32x32 inputs: the stem is conv 2k@3x3 stride 1 + BN + ReLU without max-pool, so the
     * blocks run at 28, 14, 7, 3 (32, 16, 8, 4); layers, growth and transitions as {@link #densenet121}.
     */
    public static ComputationGraphConfiguration densenet121Small(ModelShape shape, NetworkOptions options) {
        return build("densenet121-small", true, shape, options);
    }

    private static ComputationGraphConfiguration build(String name, boolean small, ModelShape shape,
                                                       NetworkOptions options) {
        GraphAssembly g = new GraphAssembly(name, shape, options);
        int growth = g.width(32);
        int channels = 2 * growth;
        String x;
        if (small) {
            x = g.convBn("conv0", GraphAssembly.INPUT, channels, 3, 1, GraphAssembly.SAME, true);
        } else {
            x = g.convBn("conv0", GraphAssembly.INPUT, channels, 7, 2, GraphAssembly.SAME, true);
            x = g.maxPool("pool0", x, 3, 2, GraphAssembly.SAME);
        }
        for (int block = 0; block < BLOCKS.length; block++) {
            for (int layer = 0; layer < BLOCKS[block]; layer++) {
                String id = "block" + (block + 1) + "_layer" + (layer + 1);
                String y = g.relu(id + "_relu1", g.batchNorm(id + "_bn1", x));
                y = g.convolution(id + "_conv1", y, 4 * growth, 1, 1, 0, false, Activation.IDENTITY);
                y = g.relu(id + "_relu2", g.batchNorm(id + "_bn2", y));
                y = g.convolution(id + "_conv2", y, growth, 3, 1, GraphAssembly.SAME, false,
                        Activation.IDENTITY);
                x = g.concat(id + "_concat", x, y);
                channels += growth;
            }
            if (block < BLOCKS.length - 1) {
                String id = "transition" + (block + 1);
                channels = channels / 2;
                String y = g.relu(id + "_relu", g.batchNorm(id + "_bn", x));
                y = g.convolution(id + "_conv", y, channels, 1, 1, 0, false,
                        Activation.IDENTITY);
                x = g.avgPool(id + "_pool", y, 2, 2, 0);
            }
        }
        x = g.relu("final_relu", g.batchNorm("final_bn", x));
        x = g.globalAvgPool("pool", x);
        g.output(x);
        return g.build();
    }
}
