package io.averon.jobs.models;

import io.averon.worker.InputException;
import io.averon.worker.Network;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Transfer learning from a saved model (Averon's model.zip or any DL4J ModelSerializer file): its first N layers are
 * frozen (DL4J wraps them so their updater is a no-op, and the parameter server then leaves their parameters
 * bit-identical), its output layer is given the new dataset's classes with fresh weights, and the whole network is
 * fine-tuned with the job's (typically lower) learning rate and updater.
 */
public final class FineTuning {
    private FineTuning() {
    }

    /**
     * @param pretrained   the saved network
     * @param frozenLayers how many layers, from the input, keep their parameters (0 = fine-tune everything); in a
     *                     graph, the layer at that position in topological order and all its ancestors are frozen
     * @param classes      classes of the new head; 0 keeps the saved head
     */
    public static Network adapt(Network pretrained, int frozenLayers, int classes, IUpdater updater, long seed) {
        Layer[] layers = pretrained.layers();
        if (frozenLayers < 0 || frozenLayers >= layers.length) {
            throw new InputException("model.freeze = " + frozenLayers + " must leave at least the output layer "
                    + "trainable: the saved model has " + layers.length + " layers");
        }
        FineTuneConfiguration tuning = new FineTuneConfiguration.Builder().updater(updater).seed(seed).build();
        if (pretrained.isGraph()) {
            ComputationGraph graph = (ComputationGraph) pretrained.model();
            TransferLearning.GraphBuilder b = new TransferLearning.GraphBuilder(graph).fineTuneConfiguration(tuning);
            if (frozenLayers > 0) {
                b.setFeatureExtractor(layers[frozenLayers - 1].conf().getLayer().getLayerName());
            }
            String output = graph.getConfiguration().getNetworkOutputs().get(0);
            if (classes > 0 && outputClasses(graph.getLayer(output)) != classes) {
                b.nOutReplace(output, classes, WeightInit.XAVIER);
            }
            return Network.of(b.build());
        }
        MultiLayerNetwork stack = (MultiLayerNetwork) pretrained.model();
        TransferLearning.Builder b = new TransferLearning.Builder(stack).fineTuneConfiguration(tuning);
        if (frozenLayers > 0) {
            b.setFeatureExtractor(frozenLayers - 1);
        }
        int last = layers.length - 1;
        if (classes > 0 && outputClasses(layers[last]) != classes) {
            b.nOutReplace(last, classes, WeightInit.XAVIER);
        }
        return Network.of(b.build());
    }

    private static long outputClasses(Layer output) {
        if (!(output.conf().getLayer() instanceof BaseOutputLayer head)) {
            throw new InputException("the saved model's last layer is a " + output.conf().getLayer().getClass()
                    .getSimpleName() + ", not an output layer: cannot give it new classes");
        }
        return head.getNOut();
    }
}
