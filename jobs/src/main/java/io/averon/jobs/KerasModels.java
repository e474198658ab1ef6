package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.worker.ChannelsLastInput;
import io.averon.worker.InputException;
import io.averon.worker.Network;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.preprocessor.ComposableInputPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keras HDF5 models as Averon networks, through DL4J's Keras importer: the file is copied to a local temporary file
 * when it is not local (HDF5 is read by a native library that knows no Hadoop FileSystem), imported as a
 * MultiLayerNetwork (Sequential) or ComputationGraph (functional) with its weights, and the copy deleted. The
 * training configuration in the file is not enforced: Averon fine-tunes with the job's optimizer. Keras nets are
 * usually channels-last and end in a plain dense layer; {@code trainable} adapts both to Averon's training path.
 */
final class KerasModels {
    private KerasModels() {
    }

    static boolean isKerasFile(String uri) {
        String name = uri.toLowerCase(Locale.ROOT);
        return name.endsWith(".h5") || name.endsWith(".hdf5");
    }

    /** @param what the key and file, for messages */
    static Network read(FileSystem fs, Path path, String what) throws IOException {
        File local = new File(path.toUri().getPath());
        File copy = null;
        if (!"file".equals(fs.getUri().getScheme()) || !local.isFile()) {
            copy = Files.createTempFile("averon-keras-", ".h5").toFile();
            fs.copyToLocalFile(false, path, new Path(copy.getAbsolutePath()), true);
            local = copy;
        }
        try {
            String file = local.getAbsolutePath();
            if (sequential(file, what)) {
                return Network.of(trainable(KerasModelImport.importKerasSequentialModelAndWeights(file, false)));
            }
            return Network.of(trainable(KerasModelImport.importKerasModelAndWeights(file, false)));
        } catch (InputException e) {
            throw e;
        } catch (Exception e) {
            throw new InputException(what + ": cannot import this Keras model: " + e.getMessage());
        } finally {
            if (copy != null) {
                Files.deleteIfExists(copy.toPath());
            }
        }
    }

    /**
     * The imported stack made trainable on Averon's batches: channels-first input permuted for a channels-last
     * first layer, and a final softmax/sigmoid/linear dense layer (Keras has no separate output layer) turned into
     * DL4J's output layer with the matching loss, keeping its weights.
     */
    static MultiLayerNetwork trainable(MultiLayerNetwork imported) {
        MultiLayerConfiguration conf = imported.getLayerWiseConfigurations();
        INDArray params = imported.params().dup();
        if (channelsLast(conf.getConf(0).getLayer())) {
            conf.getInputPreProcessors().put(0, withChannelsLast(conf.getInputPreProcess(0)));
        }
        conf.getConfs().forEach(layer -> dropNoOpDropout(layer.getLayer()));
        NeuralNetConfiguration last = conf.getConf(conf.getConfs().size() - 1);
        if (last.getLayer() instanceof DenseLayer dense) {
            last.setLayer(outputLayer(dense));
        }
        MultiLayerNetwork stack = new MultiLayerNetwork(conf);
        stack.init(params, false);
        return stack;
    }

    /** As {@link #trainable(MultiLayerNetwork)}, for every layer fed by a network input and every output. */
    static ComputationGraph trainable(ComputationGraph imported) {
        ComputationGraphConfiguration conf = imported.getConfiguration();
        INDArray params = imported.params().dup();
        for (Map.Entry<String, List<String>> inputs : conf.getVertexInputs().entrySet()) {
            if (conf.getVertices().get(inputs.getKey()) instanceof LayerVertex vertex
                    && conf.getNetworkInputs().containsAll(inputs.getValue())
                    && channelsLast(vertex.getLayerConf().getLayer())) {
                vertex.setPreProcessor(withChannelsLast(vertex.getPreProcessor()));
            }
        }
        conf.getVertices().values().forEach(v -> {
            if (v instanceof LayerVertex vertex) {
                dropNoOpDropout(vertex.getLayerConf().getLayer());
            }
        });
        for (String output : conf.getNetworkOutputs()) {
            if (conf.getVertices().get(output) instanceof LayerVertex vertex
                    && vertex.getLayerConf().getLayer() instanceof DenseLayer dense) {
                vertex.getLayerConf().setLayer(outputLayer(dense));
            }
        }
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init(params, false);
        return graph;
    }

    /**
     * The importer gives layers without Keras dropout a {@code Dropout} that retains everything (p = 1); besides
     * wasting a mask per step, its backward pass fails on a layer whose input was permuted (channels-last).
     */
    private static void dropNoOpDropout(Layer layer) {
        if (layer.getIDropout() instanceof Dropout d && d.getP() >= 1.0 && d.getPSchedule() == null) {
            layer.setIDropout(null);
        }
    }

    private static boolean channelsLast(Layer layer) {
        CNN2DFormat format = layer instanceof ConvolutionLayer c ? c.getCnn2dDataFormat()
                : layer instanceof SubsamplingLayer s ? s.getCnn2dDataFormat()
                : layer instanceof ZeroPaddingLayer z ? z.getDataFormat()
                : null;
        return format == CNN2DFormat.NHWC;
    }

    private static InputPreProcessor withChannelsLast(InputPreProcessor existing) {
        return existing == null ? new ChannelsLastInput()
                : new ComposableInputPreProcessor(new ChannelsLastInput(), existing);
    }

    private static OutputLayer outputLayer(DenseLayer dense) {
        IActivation activation = dense.getActivationFn();
        ILossFunction loss = activation instanceof ActivationSoftmax ? new LossMCXENT()
                : activation instanceof ActivationSigmoid ? new LossBinaryXENT()
                : new LossMSE();
        OutputLayer out = new OutputLayer.Builder(loss).name(dense.getLayerName()).nIn(dense.getNIn())
                .nOut(dense.getNOut()).activation(activation).hasBias(dense.hasBias()).build();
        out.setIUpdater(dense.getIUpdater());
        out.setBiasUpdater(dense.getBiasUpdater());
        out.setWeightInitFn(dense.getWeightInitFn());
        out.setBiasInit(dense.getBiasInit());
        out.setRegularization(dense.getRegularization());
        out.setRegularizationBias(dense.getRegularizationBias());
        out.setIDropout(dense.getIDropout());
        out.setGradientNormalization(dense.getGradientNormalization());
        out.setGradientNormalizationThreshold(dense.getGradientNormalizationThreshold());
        return out;
    }

    private static boolean sequential(String file, String what) {
        Hdf5Archive archive;
        try {
            archive = new Hdf5Archive(file);
        } catch (RuntimeException e) {
            throw new InputException(what + " is not an HDF5 file: " + e.getMessage());
        }
        try {
            if (!archive.hasAttribute("model_config")) {
                throw new InputException(what + " holds no model_config: a Keras file saved with weights only "
                        + "(save_weights) has no architecture to import; save it with model.save(...)");
            }
            JsonNode config = new ObjectMapper().readTree(archive.readAttributeAsJson("model_config"));
            return "Sequential".equals(config.path("class_name").asText());
        } catch (InputException e) {
            throw e;
        } catch (Exception e) {
            throw new InputException(what + ": unreadable Keras model_config: " + e.getMessage());
        } finally {
            archive.close();
        }
    }
}
