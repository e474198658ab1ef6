package io.averon.worker;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.BaseMultiLayerUpdater;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One initialised DL4J network, layer stack or graph, behind the handful of operations Averon needs: compute a
 * minibatch's gradient, run inference, reach the flattened parameter, gradient and updater-state views, and save.
 * Graphs with several outputs (GoogLeNet's auxiliary classifiers) are trained with the same labels on every output;
 * inference reads the first output, which by Averon's convention is the main one.
 */
public final class Network {
    private final MultiLayerNetwork stack;
    private final ComputationGraph graph;

    private Network(MultiLayerNetwork stack, ComputationGraph graph) {
        this.stack = stack;
        this.graph = graph;
    }

    static Network create(ModelDefinition definition) {
        if (definition.graph()) {
            ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(definition.json()));
            g.init();
            g.initGradientsView();
            return new Network(null, g);
        }
        MultiLayerNetwork n = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
        n.init();
        n.initGradientsView();
        return new Network(n, null);
    }

    /**
     * Reads a network saved in DL4J's ModelSerializer format (by Averon or by DL4J itself), stack or graph.
     *
     * @throws IOException when the bytes are not such a model file
     */
    public static Network restore(byte[] zip) throws IOException {
        boolean isGraph;
        try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(
                new java.io.ByteArrayInputStream(zip))) {
            String json = null;
            for (java.util.zip.ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals("configuration.json")) {
                    json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                    break;
                }
            }
            if (json == null) {
                throw new IOException("no configuration.json inside: not a DL4J model file");
            }
            // A graph configuration lists vertices; a layer stack lists confs.
            isGraph = json.contains("\"vertices\"");
        }
        if (isGraph) {
            ComputationGraph g = ModelSerializer.restoreComputationGraph(new java.io.ByteArrayInputStream(zip), true);
            g.initGradientsView();
            return new Network(null, g);
        }
        MultiLayerNetwork n = ModelSerializer.restoreMultiLayerNetwork(new java.io.ByteArrayInputStream(zip), true);
        n.initGradientsView();
        return new Network(n, null);
    }

    /** This network's configuration, to ship to workers. */
    public ModelDefinition definition() {
        return graph != null ? ModelDefinition.of(graph.getConfiguration()) : ModelDefinition.of(stack.getLayerWiseConfigurations());
    }

    /** Wraps an initialised layer stack (its gradient view is set up here). */
    public static Network of(MultiLayerNetwork stack) {
        stack.initGradientsView();
        return new Network(stack, null);
    }

    /** Wraps an initialised graph (its gradient view is set up here). */
    public static Network of(ComputationGraph graph) {
        graph.initGradientsView();
        return new Network(null, graph);
    }

    /** The underlying DL4J model. */
    public Model model() {
        return graph != null ? graph : stack;
    }

    public boolean isGraph() {
        return graph != null;
    }

    public long parameterCount() {
        return model().numParams();
    }

    /** Flattened parameters (a view: writes change the network). */
    public INDArray parameters() {
        return model().params();
    }

    /** Flattened gradients, filled by {@link #computeGradient} (a view). */
    public INDArray flattenedGradients() {
        return graph != null ? graph.getFlattenedGradients() : stack.getFlattenedGradients();
    }

    public Layer[] layers() {
        return graph != null ? graph.getLayers() : stack.getLayers();
    }

    /** Gradient-table key prefix of layer {@code index}: its position in a stack, its vertex name in a graph. */
    public String gradientKeyPrefix(int index) {
        return graph != null ? layers()[index].conf().getLayer().getLayerName() : Integer.toString(index);
    }

    @SuppressWarnings("rawtypes")
    public BaseMultiLayerUpdater updater() {
        return graph != null ? graph.getUpdater() : (BaseMultiLayerUpdater) stack.getUpdater();
    }

    /** Backpropagates one minibatch: gradients (summed over examples) land in {@link #flattenedGradients()}. */
    public double computeGradient(INDArray features, INDArray labels) {
        if (graph != null) {
            graph.setInputs(features);
            INDArray[] perOutput = new INDArray[graph.getNumOutputArrays()];
            java.util.Arrays.fill(perOutput, labels);
            graph.setLabels(perOutput);
            graph.computeGradientAndScore();
            double score = graph.score();
            graph.clear();
            return score;
        }
        stack.setInput(features);
        stack.setLabels(labels);
        stack.computeGradientAndScore();
        double score = stack.score();
        stack.clear();
        return score;
    }

    /** One plain DL4J training step on this network itself (the single-JVM baseline; workers never call it). */
    public void fit(org.nd4j.linalg.dataset.DataSet batch) {
        if (graph != null) {
            graph.fit(batch);
        } else {
            stack.fit(batch);
        }
    }

    /** Inference output (the main output of a graph). */
    public INDArray output(INDArray features) {
        return graph != null ? graph.output(false, features)[0] : stack.output(features, false);
    }

    public void iterationAndEpoch(int iteration, int epoch) {
        if (graph != null) {
            graph.getConfiguration().setIterationCount(iteration);
            graph.getConfiguration().setEpochCount(epoch);
        } else {
            stack.getLayerWiseConfigurations().setIterationCount(iteration);
            stack.getLayerWiseConfigurations().setEpochCount(epoch);
        }
    }

    public void applyConstraints(int iteration, int epoch) {
        if (graph != null) {
            graph.applyConstraints(iteration, epoch);
        } else {
            stack.applyConstraints(iteration, epoch);
        }
    }

    /** Writes the network, with its updater state, in DL4J's ModelSerializer format. */
    public void save(OutputStream out) throws IOException {
        ModelSerializer.writeModel(model(), out, true);
    }
}
