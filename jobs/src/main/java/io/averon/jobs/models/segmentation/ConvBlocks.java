package io.averon.jobs.models.segmentation;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * The building blocks the segmentation networks share, added to one DL4J graph: convolutions with optional batch
 * normalisation and ReLU, pooling, up-sampling, skip fusions and the per-pixel softmax output. Convolutions use
 * SAME padding, so a stride-1 block keeps the spatial size and a stride-s block divides it by s.
 */
final class ConvBlocks {
    static final String INPUT = "input";
    static final String OUTPUT = "output";

    private final ComputationGraphConfiguration.GraphBuilder graph;

    private ConvBlocks(ComputationGraphConfiguration.GraphBuilder graph) {
        this.graph = graph;
    }

    /** A graph with input {@value #INPUT} of {@code shape}, He initialisation, the given updater and seed. */
    static ConvBlocks start(SegmentationShape shape, IUpdater updater, long seed) {
        if (updater == null) {
            throw new IllegalArgumentException("updater must not be null");
        }
        ComputationGraphConfiguration.GraphBuilder graph = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .updater(updater)
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .graphBuilder()
                .addInputs(INPUT)
                .setInputTypes(InputType.convolutional(shape.height(), shape.width(), shape.channels()));
        return new ConvBlocks(graph);
    }

    /** Convolution, then batch normalisation if {@code batchNorm} (the convolution then has no bias), then ReLU. */
    String conv(String name, String input, int out, int kernel, int stride, int dilation, boolean batchNorm,
                boolean relu) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride)
                .nOut(out).hasBias(!batchNorm);
        if (dilation > 1) {
            conv.dilation(dilation, dilation);
        }
        if (!batchNorm) {
            graph.addLayer(name, conv.activation(relu ? Activation.RELU : Activation.IDENTITY).build(), input);
            return name;
        }
        graph.addLayer(name, conv.activation(Activation.IDENTITY).build(), input);
        String bn = name + "_bn";
        graph.addLayer(bn, new BatchNormalization.Builder()
                .activation(relu ? Activation.RELU : Activation.IDENTITY).build(), name);
        return bn;
    }

    /** Convolution with ReLU, no normalisation. */
    String convRelu(String name, String input, int out, int kernel) {
        return conv(name, input, out, kernel, 1, 1, false, true);
    }

    /** A 1x1 convolution to {@code classes} scores, no activation. */
    String score(String name, String input, int classes) {
        return conv(name, input, classes, 1, 1, 1, false, false);
    }

    /** Transposed convolution multiplying the size by {@code stride} exactly (padding (kernel - stride) / 2). */
    String deconv(String name, String input, int out, int kernel, int stride, boolean bias) {
        int padding = (kernel - stride) / 2;
        graph.addLayer(name, new Deconvolution2D.Builder(kernel, kernel).stride(stride, stride)
                .padding(padding, padding).convolutionMode(ConvolutionMode.Truncate)
                .hasBias(bias).nOut(out).activation(Activation.IDENTITY).build(), input);
        return name;
    }

    String maxPool(String name, String input, int kernel, int stride) {
        graph.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                .kernelSize(kernel, kernel).stride(stride, stride).build(), input);
        return name;
    }

    /** Average pooling with kernel = stride = {@code sizeH x sizeW}: exact cells when the sizes divide the input. */
    String averagePool(String name, String input, int sizeH, int sizeW) {
        graph.addLayer(name, new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.AVG)
                .kernelSize(sizeH, sizeW).stride(sizeH, sizeW).convolutionMode(ConvolutionMode.Truncate).build(),
                input);
        return name;
    }

    /** Average over the whole map, kept as a 1x1 map. */
    String globalAveragePool(String name, String input) {
        graph.addLayer(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(false).build(),
                input);
        return name;
    }

    /** Nearest-neighbour up-sampling by integer factors (each input cell becomes a factorH x factorW block). */
    String upsample(String name, String input, int factorH, int factorW) {
        graph.addLayer(name, new Upsampling2D.Builder().size(new int[] {factorH, factorW}).build(), input);
        return name;
    }

    String add(String name, String... inputs) {
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), inputs);
        return name;
    }

    /** Channel concatenation, in the order given. */
    String concat(String name, String... inputs) {
        graph.addVertex(name, new MergeVertex(), inputs);
        return name;
    }

    String relu(String name, String input) {
        graph.addLayer(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), input);
        return name;
    }

    /** Drops activations with probability {@code rate} in training; no layer when {@code rate} is 0. */
    String dropout(String name, String input, double rate) {
        if (rate <= 0) {
            return input;
        }
        if (rate >= 1) {
            throw new IllegalArgumentException("dropout rate must be below 1, got " + rate);
        }
        graph.addLayer(name, new DropoutLayer.Builder(1 - rate).build(), input);
        return name;
    }

    /** The per-pixel softmax output {@value #OUTPUT} with {@code loss}, and the finished configuration. */
    ComputationGraphConfiguration finish(String input, ILossFunction loss) {
        graph.addLayer(OUTPUT, new CnnLossLayer.Builder(loss).activation(Activation.SOFTMAX).build(), input);
        graph.setOutputs(OUTPUT);
        return graph.build();
    }
}
