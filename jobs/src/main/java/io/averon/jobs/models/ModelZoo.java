package io.averon.jobs.models;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * The classification networks by name, all as DL4J computation graphs taking 4D NCHW batches with a softmax
 * {@code "output"} (output index 0). Full nets at their published input sizes: lenet5 (32x32, also 28x28), alexnet
 * (227x227x3), zfnet, vgg16, vgg19, googlenet, resnet18, resnet34, resnet50, resnet101, densenet121 (224x224x3), lstm
 * (any image, read row by row). Small variants for 28x28 and 32x32 inputs: the same names with "-small"; each
 * builder's Javadoc says how it is reduced.
 */
public final class ModelZoo {
    private static final Map<String, BiFunction<ModelShape, NetworkOptions, ComputationGraphConfiguration>> NETWORKS =
            networks();

    private ModelZoo() {
    }

    private static Map<String, BiFunction<ModelShape, NetworkOptions, ComputationGraphConfiguration>> networks() {
        Map<String, BiFunction<ModelShape, NetworkOptions, ComputationGraphConfiguration>> n = new LinkedHashMap<>();
        n.put("lenet5", LeNet5::build);
        n.put("alexnet", AlexNet::build);
        n.put("zfnet", ZfNet::build);
        n.put("vgg16", Vgg::vgg16);
        n.put("vgg19", Vgg::vgg19);
        n.put("googlenet", GoogLeNet::build);
        n.put("resnet18", ResNet::resnet18);
        n.put("resnet34", ResNet::resnet34);
        n.put("resnet50", ResNet::resnet50);
        n.put("resnet101", ResNet::resnet101);
        n.put("densenet121", DenseNet::densenet121);
        n.put("lstm", LstmClassifier::build);
        n.put("alexnet-small", AlexNet::small);
        n.put("zfnet-small", ZfNet::small);
        n.put("vgg16-small", Vgg::vgg16Small);
        n.put("vgg19-small", Vgg::vgg19Small);
        n.put("googlenet-small", GoogLeNet::small);
        n.put("resnet18-small", ResNet::resnet18Small);
        n.put("resnet34-small", ResNet::resnet34Small);
        n.put("resnet50-small", ResNet::resnet50Small);
        n.put("resnet101-small", ResNet::resnet101Small);
        n.put("densenet121-small", DenseNet::densenet121Small);
        return n;
    }

    /** The network {@code name} for {@code shape}, with {@code options}; unknown names list the valid ones. */
    public static ComputationGraphConfiguration build(String name, ModelShape shape, NetworkOptions options) {
        Objects.requireNonNull(shape, "ModelZoo shape must not be null");
        Objects.requireNonNull(options, "ModelZoo options must not be null");
        var builder = NETWORKS.get(name);
        if (builder == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; valid names: "
                    + String.join(", ", NETWORKS.keySet()));
        }
        return builder.apply(shape, options);
    }

    /** Every name {@link #build} accepts: the full nets first, then the small variants. */
    public static List<String> names() {
        return List.copyOf(NETWORKS.keySet());
    }

    /**
     * {@code batch} as a training MultiDataSet for {@code conf}: its features once, its labels once per output
     * (GoogLeNet's auxiliary classifiers learn the same labels as "output"). DL4J fits a multi-output graph only
     * from a MultiDataSet; single-output graphs take either.
     */
    public static MultiDataSet trainingBatch(ComputationGraphConfiguration conf, DataSet batch) {
        int outputs = conf.getNetworkOutputs().size();
        INDArray[] labels = new INDArray[outputs];
        INDArray[] labelMasks = batch.getLabelsMaskArray() == null ? null : new INDArray[outputs];
        for (int i = 0; i < outputs; i++) {
            labels[i] = batch.getLabels();
            if (labelMasks != null) {
                labelMasks[i] = batch.getLabelsMaskArray();
            }
        }
        INDArray[] featureMasks = batch.getFeaturesMaskArray() == null ? null
                : new INDArray[]{batch.getFeaturesMaskArray()};
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[]{batch.getFeatures()}, labels, featureMasks,
                labelMasks);
    }
}
