package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;

/**
 * GoogLeNet / Inception v1 (Szegedy et al., 2014, table 1) with its two auxiliary classifiers.
 *
 * <p>{@link #build}, 224x224x3: conv 64@7x7/2, max-pool 3x3/2, LRN, conv 64@1x1, conv 192@3x3, LRN, max-pool 3x3/2,
 * inception 3a, 3b, max-pool 3x3/2, 4a, 4b, 4c, 4d, 4e, max-pool 3x3/2, 5a, 5b, average pool over the 7x7 map,
 * dropout 0.4, softmax "output". Convolutions and pools use "same" padding, so the maps are 112, 56, 28, 14, 7 as in
 * the paper. An inception module concatenates 1x1, 1x1-then-3x3, 1x1-then-5x5 and 3x3-max-pool-then-1x1 branches.
 *
 * <p>Auxiliary classifiers "aux1" (on 4a) and "aux2" (on 4d): average pool 5x5/3 (14 -> 4), conv 128@1x1, dense
 * 1024, dropout 0.7, softmax. Their cross-entropy is weighted 0.3 by {@link WeightedLoss}; a DL4J ComputationGraph
 * adds the output losses, so the training loss is {@code L(output) + 0.3 L(aux1) + 0.3 L(aux2)} as in the paper.
 *
 * <p><b>Training and inference.</b> The graph has three outputs in the order output, aux1, aux2. Training needs a
 * MultiDataSet carrying the same labels three times ({@link ModelZoo#trainingBatch}); DL4J refuses a plain DataSet
 * for a multi-output graph. At inference only "output" counts: take index 0 of {@code graph.output(features)}, and
 * evaluate with {@code graph.evaluate(multiDataSetIterator, Map.of(0, new IEvaluation[]{new Evaluation()}))}, i.e.
 * output index 0 only. The auxiliary heads cost a little compute at inference and can be ignored.
 *
 * <p>Parameters at 1000 classes: 6,998,552 in the main network, 3,188,840 in aux1, 3,190,888 in aux2, 13,378,280 in
 * all (the paper's "~6.8M" is the main network, counted without some biases).
 */
public final class GoogLeNet {
    /** Inception modules of table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj. */
    private static final int[][] MODULES = {
            {64, 96, 128, 16, 32, 32},      // 3a
            {128, 128, 192, 32, 96, 64},    // 3b
            {192, 96, 208, 16, 48, 64},     // 4a
            {160, 112, 224, 24, 64, 64},    // 4b
            {128, 128, 256, 24, 64, 64},    // 4c
            {112, 144, 288, 32, 64, 64},    // 4d
            {256, 160, 320, 32, 128, 128},  // 4e
            {256, 160, 320, 32, 128, 128},  // 5a
            {384, 192, 384, 48, 128, 128},  // 5b
    };
    static final double AUX_LOSS_WEIGHT = 0.3;

    private GoogLeNet() {
    }

    public static ComputationGraphConfiguration build(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("googlenet", shape, options);
        String x = g.conv("conv1", GraphAssembly.INPUT, g.width(64), 7, 2, GraphAssembly.SAME);
        x = g.maxPool("pool1", x, 3, 2, GraphAssembly.SAME);
        x = g.lrn("norm1", x, 1);
        x = stemTail(g, x);
        x = g.maxPool("pool2", x, 3, 2, GraphAssembly.SAME);
        return body(g, x, 5, 3);
    }

    /**
     * GoogLeNet for 28x28 and 32x32 inputs: the 7x7/2 convolution and first max-pool become conv 64@3x3 stride 1,
     * so the inception modules see 14x14 (16x16) at 3a, 7x7 (8x8) at 4a-4e and 4x4 at 5a-5b, a quarter of the
     * published 28/14/7 per side. The auxiliary heads pool 3x3/2 instead of 5x5/3 (7 -> 3); everything else,
     * widths and losses included, is as in {@link #build}.
     */
    public static ComputationGraphConfiguration small(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("googlenet-small", shape, options);
        String x = g.conv("conv1", GraphAssembly.INPUT, g.width(64), 3, 1, GraphAssembly.SAME);
        x = g.lrn("norm1", x, 1);
        x = stemTail(g, x);
        x = g.maxPool("pool2", x, 3, 2, GraphAssembly.SAME);
        return body(g, x, 3, 2);
    }

    private static String stemTail(GraphAssembly g, String in) {
        String x = g.conv("conv2_reduce", in, g.width(64), 1, 1, 0);
        x = g.conv("conv2", x, g.width(192), 3, 1, GraphAssembly.SAME);
        return g.lrn("norm2", x, 1);
    }

    private static ComputationGraphConfiguration body(GraphAssembly g, String in, int auxPool, int auxStride) {
        String x = inception(g, "3a", in, MODULES[0]);
        x = inception(g, "3b", x, MODULES[1]);
        x = g.maxPool("pool3", x, 3, 2, GraphAssembly.SAME);
        x = inception(g, "4a", x, MODULES[2]);
        String aux1 = x;
        x = inception(g, "4b", x, MODULES[3]);
        x = inception(g, "4c", x, MODULES[4]);
        x = inception(g, "4d", x, MODULES[5]);
        String aux2 = x;
        x = inception(g, "4e", x, MODULES[6]);
        x = g.maxPool("pool4", x, 3, 2, GraphAssembly.SAME);
        x = inception(g, "5a", x, MODULES[7]);
        x = inception(g, "5b", x, MODULES[8]);
        x = g.globalAvgPool("pool5", x);
        x = g.dropout("drop5", x, 0.4);
        g.output(x);
        auxiliary(g, "aux1", aux1, auxPool, auxStride);
        auxiliary(g, "aux2", aux2, auxPool, auxStride);
        return g.build();
    }

    private static String inception(GraphAssembly g, String name, String in, int[] m) {
        String b1 = g.conv(name + "_1x1", in, g.width(m[0]), 1, 1, 0);
        String b2 = g.conv(name + "_3x3_reduce", in, g.width(m[1]), 1, 1, 0);
        b2 = g.conv(name + "_3x3", b2, g.width(m[2]), 3, 1, GraphAssembly.SAME);
        String b3 = g.conv(name + "_5x5_reduce", in, g.width(m[3]), 1, 1, 0);
        b3 = g.conv(name + "_5x5", b3, g.width(m[4]), 5, 1, GraphAssembly.SAME);
        String b4 = g.maxPool(name + "_pool", in, 3, 1, GraphAssembly.SAME);
        b4 = g.conv(name + "_pool_proj", b4, g.width(m[5]), 1, 1, 0);
        return g.concat("inception_" + name, b1, b2, b3, b4);
    }

    private static void auxiliary(GraphAssembly g, String name, String in, int pool, int stride) {
        String x = g.avgPool(name + "_pool", in, pool, stride, 0);
        x = g.conv(name + "_conv", x, g.width(128), 1, 1, 0);
        x = g.dense(name + "_fc", x, g.width(1024));
        x = g.dropout(name + "_drop", x, 0.7);
        g.auxiliaryOutput(name, x, AUX_LOSS_WEIGHT);
    }
}
