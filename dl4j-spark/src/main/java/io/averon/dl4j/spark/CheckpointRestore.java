package io.averon.dl4j.spark;

import io.averon.driver.checkpoint.Checkpoint;
import io.averon.worker.ModelFingerprint;
import io.averon.worker.Network;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Puts a checkpoint of an AveronTrainingMaster run into the program's network: parameters, updater state, iteration
 * count and epoch count (the fits completed), after checking that the checkpoint is of this network's architecture,
 * so that a resumed program never trains another model's weights.
 */
final class CheckpointRestore {
    private CheckpointRestore() {
    }

    static void into(Model model, Checkpoint checkpoint) {
        Network net = model instanceof ComputationGraph g ? Network.of(g) : Network.of((MultiLayerNetwork) model);
        String fingerprint = ModelFingerprint.of(net);
        if (!fingerprint.equals(checkpoint.state().modelFingerprint())) {
            throw new IllegalArgumentException("checkpoint " + checkpoint.location() + " is of another network ("
                    + checkpoint.state().modelFingerprint() + ") than this program's (" + fingerprint + ")");
        }
        INDArray stateView = net.updater().getStateViewArray();
        long stateLength = stateView == null ? 0 : stateView.length();
        if (checkpoint.updaterState().length != stateLength) {
            throw new IllegalArgumentException("checkpoint " + checkpoint.location() + " holds "
                    + checkpoint.updaterState().length + " updater state values, but this network's updater has "
                    + stateLength + ": it was configured with another updater");
        }
        assign(net, checkpoint.parameters(), checkpoint.updaterState());
        int iterations = Math.toIntExact(checkpoint.state().step());
        int epochs = Math.toIntExact(checkpoint.state().epoch());
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iterations);
            g.getConfiguration().setEpochCount(epochs);
        } else {
            MultiLayerNetwork m = (MultiLayerNetwork) model;
            m.setIterationCount(iterations);
            m.setEpochCount(epochs);
        }
    }

    /** Writes parameters and updater state (of the network's own lengths) into the network's arrays. */
    static void assign(Network net, float[] parameters, float[] updaterState) {
        INDArray params = net.parameters();
        params.assign(Nd4j.createFromArray(parameters).reshape(params.shape()));
        INDArray stateView = net.updater().getStateViewArray();
        if (stateView != null && stateView.length() > 0) {
            stateView.assign(Nd4j.createFromArray(updaterState).reshape(stateView.shape()));
        }
    }
}
