package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;

/**
 * An LSTM that reads an image row by row and classifies it: {@link ImageRowsToSequence} turns the 4D NCHW batch
 * into {@code height} time steps of {@code channels*width} features, an LSTM of 128 units (tanh, sigmoid gates, no
 * peepholes) runs over them, the last time step's output goes to the softmax. It takes the same 4D batches as the
 * convolutional nets. At 28x28x1 and 10 classes: 28 steps of 28 features, 4*(28*128 + 128*128 + 128) = 80,384 LSTM
 * parameters + 1,290 output = 81,674. Default init Xavier (not He: the gates are not ReLUs).
 */
public final class LstmClassifier {
    private LstmClassifier() {
    }

    public static ComputationGraphConfiguration build(ModelShape shape, NetworkOptions options) {
        GraphAssembly g = new GraphAssembly("lstm", shape, options, WeightInit.XAVIER);
        LSTM lstm = new LSTM.Builder()
                .nOut(g.width(128))
                .activation(Activation.TANH)
                .gateActivationFunction(Activation.SIGMOID)
                .build();
        String x = g.add("lstm", new LastTimeStep(lstm),
                new ImageRowsToSequence(shape.channels(), shape.height(), shape.width()), GraphAssembly.INPUT);
        g.output(x);
        return g.build();
    }
}
