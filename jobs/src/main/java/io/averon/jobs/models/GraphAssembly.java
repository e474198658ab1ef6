package io.averon.jobs.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * One network's DL4J graph while it is being put together: the shared configuration (seed, updater, init,
 * regularisation from {@link NetworkOptions}) and the steps the zoo's architectures are made of. Every step adds
 * vertices under the given name and returns the name of the vertex that holds its result.
 */
final class GraphAssembly {
    static final String INPUT = "input";
    static final String OUTPUT = "output";
    /** Padding argument meaning DL4J's {@link ConvolutionMode#Same}: output size = ceil(input / stride). */
    static final int SAME = -1;

    private final String network;
    private final ModelShape shape;
    private final NetworkOptions options;
    private final ComputationGraphConfiguration.GraphBuilder graph;
    private final List<String> outputs = new ArrayList<>();

    GraphAssembly(String network, ModelShape shape, NetworkOptions options) {
        this(network, shape, options, WeightInit.RELU);
    }

    GraphAssembly(String network, ModelShape shape, NetworkOptions options, WeightInit networkDefaultInit) {
        this.network = network;
        this.shape = shape;
        this.options = options;
        NeuralNetConfiguration.Builder base = new NeuralNetConfiguration.Builder()
                .seed(options.seed())
                .updater(options.updater())
                .weightInit(options.weightInitOr(networkDefaultInit))
                .activation(Activation.IDENTITY)
                .convolutionMode(ConvolutionMode.Truncate);
        base.regularization(regularization(options));
        graph = base.graphBuilder().addInputs(INPUT).setInputTypes(shape.inputType());
    }

    /** All three as one list: DL4J's builder methods drop L2 when weight decay is added, and the other way round. */
    private static List<Regularization> regularization(NetworkOptions options) {
        List<Regularization> regularization = new ArrayList<>();
        if (options.l1() > 0) {
            regularization.add(new L1Regularization(options.l1()));
        }
        if (options.l2() > 0) {
            regularization.add(new L2Regularization(options.l2()));
        }
        if (options.weightDecay() > 0) {
            regularization.add(new WeightDecay(options.weightDecay(), true));
        }
        return regularization;
    }

    ModelShape shape() {
        return shape;
    }

    /** Hidden width after the width multiplier. */
    int width(int published) {
        return options.scaled(published);
    }

    boolean batchNorm() {
        return options.batchNorm();
    }

    /** Convolution + ReLU; with the batch-norm option convolution (no bias) + BN + ReLU. */
    String conv(String name, String in, int filters, int kernel, int stride, int pad) {
        if (options.batchNorm()) {
            return convBn(name, in, filters, kernel, stride, pad, true);
        }
        return convolution(name, in, filters, kernel, stride, pad, true, Activation.RELU);
    }

    /** Convolution without bias (BN's beta takes its place), BN, and optionally ReLU. */
    String convBn(String name, String in, int filters, int kernel, int stride, int pad, boolean relu) {
        String conv = convolution(name, in, filters, kernel, stride, pad, false, Activation.IDENTITY);
        String bn = batchNorm(name + "_bn", conv);
        return relu ? relu(name + "_relu", bn) : bn;
    }

    String convolution(String name, String in, int filters, int kernel, int stride, int pad, boolean bias,
                       Activation activation) {
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel)
                .nOut(filters)
                .stride(stride, stride)
                .hasBias(bias)
                .activation(activation);
        if (pad == SAME) {
            conv.convolutionMode(ConvolutionMode.Same);
        } else {
            conv.padding(pad, pad);
        }
        return add(name, conv.build(), in);
    }

    String batchNorm(String name, String in) {
        return add(name, new BatchNormalization.Builder().build(), in);
    }

    String relu(String name, String in) {
        return add(name, new ActivationLayer.Builder().activation(Activation.RELU).build(), in);
    }

    /**
     * Local response normalisation across {@code n = 5} channels, alpha 1e-4, beta 0.75 (AlexNet's and GoogLeNet's
     * values); left out (returns {@code in}) with the batch-norm option, whose BN layers take its place.
     */
    String lrn(String name, String in, double k) {
        if (options.batchNorm()) {
            return in;
        }
        return add(name, new LocalResponseNormalization.Builder().k(k).n(5).alpha(1e-4).beta(0.75).build(), in);
    }

    String maxPool(String name, String in, int kernel, int stride, int pad) {
        return pool(name, in, SubsamplingLayer.PoolingType.MAX, kernel, stride, pad);
    }

    String avgPool(String name, String in, int kernel, int stride, int pad) {
        return pool(name, in, SubsamplingLayer.PoolingType.AVG, kernel, stride, pad);
    }

    private String pool(String name, String in, SubsamplingLayer.PoolingType type, int kernel, int stride, int pad) {
        SubsamplingLayer.Builder pool = new SubsamplingLayer.Builder(type)
                .kernelSize(kernel, kernel)
                .stride(stride, stride);
        if (pad == SAME) {
            pool.convolutionMode(ConvolutionMode.Same);
        } else {
            pool.padding(pad, pad);
        }
        return add(name, pool.build(), in);
    }

    /** Average over all spatial positions: [n,c,h,w] -> [n,c]. */
    String globalAvgPool(String name, String in) {
        return add(name, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), in);
    }

    String dense(String name, String in, int units) {
        return add(name, new DenseLayer.Builder().nOut(units).activation(Activation.RELU).build(), in);
    }

    /**
     * Dropout of the published drop probability, or of the options' override; no layer at all when the rate is 0.
     * DL4J's argument is the retain probability, hence {@code 1 - rate}.
     */
    String dropout(String name, String in, double publishedDropRate) {
        double rate = options.dropRate().orElse(publishedDropRate);
        if (rate == 0) {
            return in;
        }
        return add(name, new DropoutLayer.Builder(1 - rate).build(), in);
    }

    String sum(String name, String a, String b) {
        graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), a, b);
        return name;
    }

    /** Concatenation along the channel dimension. */
    String concat(String name, String... inputs) {
        graph.addVertex(name, new MergeVertex(), inputs);
        return name;
    }

    String add(String name, Layer layer, String in) {
        graph.addLayer(name, layer, in);
        return name;
    }

    String add(String name, Layer layer, InputPreProcessor preProcessor, String in) {
        graph.addLayer(name, layer, preProcessor, in);
        return name;
    }

    /** The softmax classifier "output": dense to the classes, multi-class cross-entropy. Becomes output 0. */
    void output(String in) {
        graph.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nOut(shape.classes())
                .activation(Activation.SOFTMAX)
                .build(), in);
        outputs.add(0, OUTPUT);
    }

    /** An auxiliary softmax classifier whose cross-entropy counts {@code lossWeight} times in the summed loss. */
    void auxiliaryOutput(String name, String in, double lossWeight) {
        graph.addLayer(name, new OutputLayer.Builder(new WeightedLoss(new LossMCXENT(), lossWeight))
                .nOut(shape.classes())
                .activation(Activation.SOFTMAX)
                .build(), in);
        outputs.add(name);
    }

    /**
     * The finished configuration, outputs in the order "output" first, then the auxiliary ones as added. A shape the
     * architecture cannot take (a kernel larger than its input somewhere) is reported as an IllegalArgumentException.
     */
    ComputationGraphConfiguration build() {
        if (!outputs.contains(OUTPUT)) {
            throw new IllegalStateException(network + " has no \"" + OUTPUT + "\" layer");
        }
        graph.setOutputs(outputs.toArray(String[]::new));
        ComputationGraphConfiguration conf;
        try {
            conf = graph.build();
        } catch (RuntimeException e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            throw new IllegalArgumentException(network + " cannot take a " + shape.describe() + " input: " + reason,
                    e);
        }
        requireWindowsFit(conf);
        setRegularizationOnce(conf);
        return conf;
    }

    /**
     * DL4J accepts an unpadded window larger than its input (it rounds the output size up to 1, or down to 0), so
     * too small an input would only fail, or silently degrade, at the first forward pass. Refuse it here instead.
     */
    private void requireWindowsFit(ComputationGraphConfiguration conf) {
        Map<String, InputType> types = conf.getLayerActivationTypes(shape.inputType());
        for (Map.Entry<String, GraphVertex> vertex : conf.getVertices().entrySet()) {
            if (!(vertex.getValue() instanceof LayerVertex layerVertex)) {
                continue;
            }
            Layer layer = layerVertex.getLayerConf().getLayer();
            int[] kernel;
            int[] padding;
            ConvolutionMode mode;
            if (layer instanceof ConvolutionLayer conv) {
                kernel = conv.getKernelSize();
                padding = conv.getPadding();
                mode = conv.getConvolutionMode();
            } else if (layer instanceof SubsamplingLayer pool) {
                kernel = pool.getKernelSize();
                padding = pool.getPadding();
                mode = pool.getConvolutionMode();
            } else {
                continue;
            }
            InputType in = types.get(conf.getVertexInputs().get(vertex.getKey()).get(0));
            if (mode != ConvolutionMode.Same && in instanceof InputType.InputTypeConvolutional map
                    && (kernel[0] > map.getHeight() + 2L * padding[0]
                    || kernel[1] > map.getWidth() + 2L * padding[1])) {
                throw new IllegalArgumentException(network + " cannot take a " + shape.describe() + " input: layer "
                        + vertex.getKey() + " gets a " + map.getHeight() + "x" + map.getWidth()
                        + " map, smaller than its " + kernel[0] + "x" + kernel[1] + " window");
            }
        }
    }

    /**
     * DL4J 1.0.0-M2.1 copies a global weight decay into every layer twice, and its updater then applies it twice per
     * step (measured: one SGD step with lr 0.1 and decay 0.5 scaled weights by 0.90, not 0.95). Each layer gets the
     * options' list once instead.
     */
    private void setRegularizationOnce(ComputationGraphConfiguration conf) {
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = layerVertex.getLayerConf().getLayer();
                if (layer instanceof BaseWrapperLayer wrapper) {
                    layer = wrapper.getUnderlying();
                }
                if (layer instanceof BaseLayer base) {
                    base.setRegularization(regularization(options));
                }
            }
        }
    }
}
