package io.averon.worker;

import io.averon.ps.UpdateRule;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * Applies a network's own DL4J updater (Adam, Nesterov, SGD, with its regularisation, gradient normalisation and
 * schedules) to the parameter server's authoritative parameters, so that a synchronous step over W workers equals one
 * single-JVM {@code fit} on the union of their minibatches. It holds an inference-free replica of the network whose
 * only job is to own the updater state and the parameter/gradient views the updater works on.
 */
public final class Dl4jUpdateRule implements UpdateRule {
    private final Network net;
    private final INDArray parameters;
    private final INDArray gradient;
    private final INDArray descent;
    private final FloatBuffer parameterMemory;
    private final FloatBuffer gradientMemory;
    private final DefaultGradient gradientViews;
    private final LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();
    private volatile int epoch;

    /**
     * @param configuration the network's configuration (its updater is the one applied)
     * @param initialParameters flattened parameters to start from
     * @param updaterState the updater's flattened state to resume from, or null for a fresh updater
     */
    public Dl4jUpdateRule(ModelDefinition definition, float[] initialParameters, float[] updaterState) {
        this.net = definition.instantiate();
        this.parameters = net.parameters();
        this.gradient = net.flattenedGradients();
        if (parameters.length() != initialParameters.length) {
            throw new InputException("parameters hold " + initialParameters.length + " values but the network has "
                    + parameters.length());
        }
        this.parameterMemory = parameters.data().asNioFloat();
        this.gradientMemory = gradient.data().asNioFloat();
        parameterMemory.clear();
        parameterMemory.put(initialParameters);
        this.gradientViews = perVariableViews(net, gradient);
        // DL4J keeps parameters as a vector and gradients as a row: the step is the gradient seen in the params' shape.
        this.descent = gradient.reshape(parameters.shape());
        INDArray state = net.updater().getStateViewArray();
        if (updaterState != null) {
            if (state == null || state.length() != updaterState.length) {
                throw new InputException("updater state holds " + updaterState.length + " values but the network's "
                        + "updater needs " + (state == null ? 0 : state.length()));
            }
            FloatBuffer stateMemory = state.data().asNioFloat();
            stateMemory.put(updaterState);
        }
        this.epoch = 0;
    }

    /** Epoch number handed to the updater (learning-rate schedules by epoch). */
    public void epoch(int epoch) {
        this.epoch = epoch;
    }

    @Override
    public void apply(float[] params, float[] meanGradient, int globalBatchSize, long step) {
        parameterMemory.clear();
        parameterMemory.put(params);
        gradientMemory.clear();
        gradientMemory.put(meanGradient);
        // The gradient is already the mean over the global batch: a batch size of 1 makes DL4J's
        // divide-by-minibatch a no-op while regularisation, normalisation and the updater run as in fit().
        net.updater().update(gradientViews, (int) step, epoch, 1, workspaces);
        parameters.subi(descent);
        net.iterationAndEpoch((int) step + 1, epoch);
        net.applyConstraints((int) step, epoch);
        parameterMemory.clear();
        parameterMemory.get(params);
    }

    /** A copy of the updater's flattened state (call at a step boundary). */
    public float[] updaterState() {
        INDArray state = net.updater().getStateViewArray();
        return state == null ? new float[0] : state.toFloatVector();
    }

    private static DefaultGradient perVariableViews(Network net, INDArray flatGradient) {
        // The updater takes its "standard" path only when handed the network's own flattened gradient; the
        // per-variable views feed per-layer gradient normalisation exactly as backprop would.
        DefaultGradient views = new DefaultGradient(flatGradient);
        Layer[] layers = net.layers();
        for (int i = 0; i < layers.length; i++) {
            INDArray layerView = layers[i].getGradientsViewArray();
            if (layerView == null || layers[i].numParams() == 0) {
                continue;
            }
            NeuralNetConfiguration conf = layers[i].conf();
            Map<String, INDArray> byKey = conf.getLayer().initializer().getGradientsFromFlattened(conf, layerView);
            for (Map.Entry<String, INDArray> e : byKey.entrySet()) {
                views.setGradientFor(net.gradientKeyPrefix(i) + "_" + e.getKey(), e.getValue());
            }
        }
        return views;
    }
}
