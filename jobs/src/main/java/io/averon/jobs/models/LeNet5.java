package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * LeNet-5 (LeCun et al., 1998) as a computation graph: conv 6@5x5, 2x2 max-pool, conv 16@5x5, 2x2 max-pool,
 * dense 120, dense 84, softmax. This is the usual modern reading of the paper: ReLU instead of scaled tanh, max
 * instead of trainable average subsampling, and C3 fully connected to S2 (the paper wires 60 of the 96 pairs).
 * Published input 32x32x1; a smaller input (28x28 MNIST-style) is zero-padded in the first convolution up to 32,
 * as the paper padded the 20x20 digits, so 28x28 and 32x32 give the same 5x5x16 features. Params at 32x32x1 (or
 * 28x28x1) and 10 classes: 61,706. Small already: it is its own small variant.
 */
public final class LeNet5 {
    private LeNet5() {
    }

    public static ComputationGraphConfiguration build(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("lenet5", shape, options);
        int pad = Math.max(0, (32 - Math.min(shape.height(), shape.width()) + 1) / 2);
        String x = g.conv("c1", GraphAssembly.INPUT, g.width(6), 5, 1, pad);
        x = g.maxPool("s2", x, 2, 2, 0);
        x = g.conv("c3", x, g.width(16), 5, 1, 0);
        x = g.maxPool("s4", x, 2, 2, 0);
        x = g.dense("f5", x, g.width(120));
        x = g.dense("f6", x, g.width(84));
        g.output(x);
        return g.build();
    }
}
