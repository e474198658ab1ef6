package io.averon.jobs.models;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * LeNet as DL4J's examples and most course notes train it on MNIST-sized images: conv 5x5x20, 2x2 max-pool,
 * conv 5x5x50, 2x2 max-pool, dense 500 (ReLU), softmax. 431,080 parameters at 28x28x1 and 10 classes.
 */
public final class LeNet {
    private LeNet() {
    }

    public static MultiLayerConfiguration build(IUpdater updater, long seed, double l2, int channels, int height,
                                                int width, int classes) {
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater)
                .weightInit(WeightInit.XAVIER);
        if (l2 > 0) {
            base.l2(l2);
        }
        return base.list()
                .layer(new ConvolutionLayer.Builder(5, 5).nIn(channels).stride(1, 1).nOut(20)
                        .activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new ConvolutionLayer.Builder(5, 5).stride(1, 1).nOut(50).activation(Activation.IDENTITY).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2)
                        .build())
                .layer(new DenseLayer.Builder().activation(Activation.RELU).nOut(500).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(height, width, channels))
                .build();
    }
}
