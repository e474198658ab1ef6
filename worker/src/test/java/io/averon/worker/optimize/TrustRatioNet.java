package io.averon.worker.optimize;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The small network the LARS/LAMB tests train (dense 5-6 tanh, batch norm, softmax output 6-3), where each of its
 * parameter tensors sits in the flat parameter vector, and synthetic data for it.
 */
final class TrustRatioNet {
    /** One parameter tensor: its key ("0_W"), its [from, to) range in the flat vector, and how it is updated. */
    record Tensor(String key, int from, int to, Kind kind) {
    }

    enum Kind {
        /** Weight matrix: gets the trust ratio and the decay. */
        WEIGHT,
        /** Bias or batch-norm gamma/beta: plain updater step, no decay. */
        EXEMPT,
        /** Batch-norm running statistic: no updater, the "gradient" is subtracted as it is. */
        STATISTIC
    }

    private TrustRatioNet() {
    }

    static MultiLayerConfiguration config(IUpdater updater, List<Regularization> weights) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(33)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(6).activation(Activation.TANH).build())
                .layer(new BatchNormalization.Builder().nOut(6).build())
                .layer(new OutputLayer.Builder().lossFunction(new LossMCXENT()).nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build())
                .build();
        Optimizers.applyRegularization(conf, weights, List.of());
        return conf;
    }

    /**
     * The tensors of an initialised network in parameter order. The kind comes from the parameter's name, not from
     * DL4J's lookup, so that the tests check DL4J's exemption of biases and batch norm rather than restate it.
     */
    static List<Tensor> tensors(MultiLayerNetwork net) {
        long base = net.params().offset();
        List<Tensor> tensors = new ArrayList<>();
        Layer[] layers = net.getLayers();
        for (int i = 0; i < layers.length; i++) {
            for (Map.Entry<String, INDArray> e : layers[i].paramTable(false).entrySet()) {
                int from = (int) (e.getValue().offset() - base);
                Kind kind = switch (e.getKey()) {
                    case "W" -> Kind.WEIGHT;
                    case "b", "gamma", "beta" -> Kind.EXEMPT;
                    default -> Kind.STATISTIC;
                };
                tensors.add(new Tensor(i + "_" + e.getKey(), from, from + (int) e.getValue().length(), kind));
            }
        }
        tensors.sort((a, b) -> Integer.compare(a.from(), b.from()));
        return tensors;
    }

    /**
     * A gradient with a different scale per tensor (so that the trust ratios differ from each other and from 1),
     * zero on the running statistics.
     */
    static float[] gradient(List<Tensor> tensors, int length, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] g = new float[length];
        double scale = 0.05;
        for (Tensor t : tensors) {
            scale *= 3;
            for (int i = t.from(); i < t.to(); i++) {
                g[i] = t.kind() == Kind.STATISTIC ? 0f : (float) (scale * random.nextDouble(-1, 1));
            }
        }
        return g;
    }

    /** A minibatch of 16 (a power of two: dividing by it is exact, as the parity tests need). */
    static DataSet batch(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int n = 16;
        float[][] x = new float[n][5];
        float[][] y = new float[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 5; j++) {
                x[i][j] = (float) random.nextDouble(-1, 1);
            }
            y[i][x[i][0] > 0.3 ? 0 : x[i][1] > 0 ? 1 : 2] = 1;
        }
        return new DataSet(Nd4j.createFromArray(x), Nd4j.createFromArray(y));
    }

    static double norm(double[] values, int from, int to) {
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i] * values[i];
        }
        return Math.sqrt(sum);
    }

    static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }

    /** Each tensor's step (before - after) within {@code relative} of the tensor's largest expected step. */
    static void assertSteps(List<Tensor> tensors, double[] before, double[] expectedAfter, float[] actualAfter,
                            double relative) {
        for (Tensor t : tensors) {
            double scale = 0;
            for (int i = t.from(); i < t.to(); i++) {
                scale = Math.max(scale, Math.abs(before[i] - expectedAfter[i]));
            }
            for (int i = t.from(); i < t.to(); i++) {
                double expected = before[i] - expectedAfter[i];
                double actual = before[i] - actualAfter[i];
                if (Math.abs(expected - actual) > relative * scale + 1e-7) {
                    throw new AssertionError(t.key() + "[" + (i - t.from()) + "]: expected step " + expected
                            + " but was " + actual + " (tensor's largest step " + scale + ")");
                }
            }
        }
    }
}
