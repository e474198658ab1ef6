package io.averon.worker;

import org.nd4j.linalg.dataset.DataSet;

import java.nio.FloatBuffer;

/**
 * A worker's copy of the network: it computes the gradient of a local minibatch and takes on the parameters the
 * parameter server returns. Parameters and gradients cross between DL4J's native memory and the client's float arrays
 * through views of the same memory, so a step copies each array once and allocates nothing of its size.
 */
public final class ModelReplica {
    private final Network net;
    private final FloatBuffer parameterMemory;
    private final FloatBuffer gradientMemory;
    /** [from, to) ranges of the flat gradient that are updates, not gradients (batch norm's running statistics). */
    private final int[] statisticRanges;

    public ModelReplica(ModelDefinition definition) {
        this.net = definition.instantiate();
        this.parameterMemory = net.parameters().data().asNioFloat();
        this.gradientMemory = net.flattenedGradients().data().asNioFloat();
        this.statisticRanges = statisticRanges(net);
    }

    /**
     * Where the flat gradient holds running-statistic updates: DL4J's batch norm passes its new running mean and
     * variance deltas through the gradient, already per batch, and its own updater exempts them from the division by
     * the minibatch size. The same exemption here keeps them per batch; the server's weighted average then moves the
     * single authoritative running statistics by the batch-size-weighted mean of the workers' deltas.
     */
    private static int[] statisticRanges(Network net) {
        // Positions come from each parameter view's offset in the flat parameter buffer, which the flat gradient
        // mirrors: a graph's layers() are not in parameter order (ResNet's projection shortcuts come later).
        long base = net.parameters().offset();
        java.util.List<long[]> ranges = new java.util.ArrayList<>();
        for (org.deeplearning4j.nn.api.Layer layer : net.layers()) {
            for (var e : layer.paramTable(false).entrySet()) {
                if (!layer.updaterDivideByMinibatch(e.getKey())) {
                    long from = e.getValue().offset() - base;
                    ranges.add(new long[] {from, from + e.getValue().length()});
                }
            }
        }
        ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
        int[] flat = new int[ranges.size() * 2];
        for (int i = 0; i < ranges.size(); i++) {
            flat[2 * i] = (int) ranges.get(i)[0];
            flat[2 * i + 1] = (int) ranges.get(i)[1];
        }
        return flat;
    }

    public int parameterCount() {
        return (int) net.parameterCount();
    }

    public Network network() {
        return net;
    }

    public void parameters(float[] values) {
        parameterMemory.clear();
        parameterMemory.put(values);
    }

    /**
     * Computes the per-example mean gradient of {@code batch} into {@code out} and returns the batch's mean loss.
     * DL4J's backprop yields the sum over examples; its updater would divide by the batch size, the parameter
     * server's weighted average expects the mean.
     */
    public double gradient(DataSet batch, float[] out) {
        double loss = net.computeGradient(batch.getFeatures(), batch.getLabels());
        gradientMemory.clear();
        gradientMemory.get(out);
        float scale = 1f / batch.numExamples();
        int from = 0;
        for (int r = 0; r <= statisticRanges.length; r += 2) {
            int to = r < statisticRanges.length ? statisticRanges[r] : out.length;
            for (int i = from; i < to; i++) {
                out[i] *= scale;
            }
            from = r < statisticRanges.length ? statisticRanges[r + 1] : out.length;
        }
        return loss;
    }
}
