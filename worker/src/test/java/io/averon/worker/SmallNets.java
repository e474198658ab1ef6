package io.averon.worker;

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

import java.util.SplittableRandom;

/** Small LeNet-shaped networks and synthetic image data for worker tests. */
final class SmallNets {
    private SmallNets() {
    }

    static MultiLayerConfiguration lenet(IUpdater updater, double l2) {
        return new NeuralNetConfiguration.Builder()
                .seed(7)
                .updater(updater)
                .l2(l2)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(4).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD)
                        .nOut(10).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    /** Images whose brightness pattern depends on the label, so a net can learn them. */
    static Examples images(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] pixels = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(10);
            for (int j = 0; j < 784; j++) {
                int row = j / 28;
                int base = (row / 3 == labels[i]) ? 200 : 30;
                pixels[i * 784 + j] = (byte) Math.min(255, base + random.nextInt(40));
            }
        }
        return new Examples(pixels, labels, 1, 28, 28, 10);
    }
}
