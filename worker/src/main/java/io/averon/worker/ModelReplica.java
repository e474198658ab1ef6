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

    public ModelReplica(ModelDefinition definition) {
        this.net = definition.instantiate();
        this.parameterMemory = net.parameters().data().asNioFloat();
        this.gradientMemory = net.flattenedGradients().data().asNioFloat();
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
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return loss;
    }
}
