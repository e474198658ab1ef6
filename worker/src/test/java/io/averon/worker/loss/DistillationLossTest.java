package io.averon.worker.loss;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DistillationLossTest {
    private static final double T = 2.0;
    private static final double ALPHA = 0.7;

    // Two examples, three classes.
    private static final double[][] LOGITS = {{2.0, 1.0, 0.1}, {0.5, 2.5, -1.0}};
    private static final double[][] TEACHER = {{0.7, 0.2, 0.1}, {0.1, 0.6, 0.3}};
    private static final double[][] HARD = {{1, 0, 0}, {0, 0, 1}};

    /*
     * Hand computation (T = 2, alpha = 0.7), values to 12 decimals.
     *
     * Example 1: z = [2, 1, 0.1], p = [0.7, 0.2, 0.1], hard class 0.
     *   teacher at T: sqrt(p) = [0.836660026534, 0.447213595500, 0.316227766017], sum 1.600101388051
     *                 t = [0.522879383008, 0.279490786546, 0.197629830446]
     *   student at T: z/2 = [1, 0.5, 0.05]; exp = [2.718281828459, 1.648721270700, 1.051271096376], sum 5.418274195535
     *                 q_T = [0.501687757090, 0.304289006278, 0.194023236632]
     *   KL(t || q_T) = sum t ln(t / q_T)
     *                = 0.522879383008 ln(1.042240668) + 0.279490786546 ln(0.918504385) + 0.197629830446 ln(1.018588463)
     *                = 0.001513815976
     *   student at 1: q = [0.659001138886, 0.242432970705, 0.098565890409]; CE = -ln(0.659001138886) = 0.417030016278
     *   L1 = 0.7 * 4 * 0.001513815976 + 0.3 * 0.417030016278 = 0.004238684733 + 0.125109004883 = 0.129347689616
     *
     * Example 2: z = [0.5, 2.5, -1], p = [0.1, 0.6, 0.3], hard class 2.
     *   sqrt(p) = [0.316227766017, 0.774596669241, 0.547722557505], sum 1.638546992763
     *   t   = [0.192992796309, 0.472733874990, 0.334273328702]
     *   q_T = softmax([0.25, 1.25, -0.5]) = [0.238626558240, 0.648654237052, 0.112719204708]
     *   KL  = 0.172855264628
     *   q   = softmax(z) = [0.116114534674, 0.857976810608, 0.025908654717]; CE = -ln(0.025908654717) = 3.653178207122
     *   L2 = 0.7 * 4 * 0.172855264628 + 0.3 * 3.653178207122 = 0.483994740958 + 1.095953462137 = 1.579948203096
     *
     * Mean over the batch: (0.129347689616 + 1.579948203096) / 2 = 0.854647946356.
     *
     * Gradient w.r.t. z: alpha T (q_T - t) + (1 - alpha)(q - y) = 1.4 (q_T - t) + 0.3 (q - y)
     *   example 1: [-0.131967934619, 0.107447398836, 0.024520535783]
     *   example 2: [ 0.098721627106, 0.503681550070, -0.602403177175]
     */
    @Test
    void scoreMatchesHandComputation() {
        // intermediate values from the comment, combined by the formula, must give the stated per-example losses
        assertEquals(0.129347689616, ALPHA * T * T * 0.001513815976 + (1 - ALPHA) * 0.417030016278, 1e-11);
        assertEquals(1.579948203096, ALPHA * T * T * 0.172855264628 + (1 - ALPHA) * 3.653178207122, 1e-11);

        DistillationLoss loss = new DistillationLoss(T, ALPHA);
        INDArray labels = DistillationLoss.distillationLabels(Nd4j.createFromArray(HARD), Nd4j.createFromArray(TEACHER));
        INDArray z = Nd4j.createFromArray(LOGITS);
        INDArray perExample = loss.computeScoreArray(labels, z, new ActivationSoftmax(), null);
        assertArrayEquals(new long[]{2, 1}, perExample.shape());
        assertArrayEquals(new double[]{0.129347689616, 1.579948203096}, perExample.toDoubleVector(), 1e-6);
        assertEquals(0.854647946356, loss.computeScore(labels, z, new ActivationSoftmax(), null, true), 1e-6);
        assertEquals(1.709295892712, loss.computeScore(labels, z, new ActivationIdentity(), null, false), 1e-6);

        INDArray gradient = loss.computeGradient(labels, z, new ActivationSoftmax(), null);
        assertArrayEquals(new double[]{-0.131967934619, 0.107447398836, 0.024520535783},
                gradient.getRow(0).toDoubleVector(), 1e-6);
        assertArrayEquals(new double[]{0.098721627106, 0.503681550070, -0.602403177175},
                gradient.getRow(1).toDoubleVector(), 1e-6);
        assertEquals(0.854647946356,
                loss.computeGradientAndScore(labels, z, new ActivationSoftmax(), null, true).getFirst(), 1e-6);
    }

    @Test
    void gradientMatchesFiniteDifferencesInDouble() {
        SplittableRandom random = new SplittableRandom(5);
        int n = 4;
        int k = 5;
        double[][] logits = new double[n][k];
        double[][] hard = new double[n][k];
        double[][] teacher = new double[n][k];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int c = 0; c < k; c++) {
                logits[i][c] = random.nextDouble(-3, 3);
                teacher[i][c] = random.nextDouble(0.01, 1);
                sum += teacher[i][c];
            }
            for (int c = 0; c < k; c++) {
                teacher[i][c] /= sum;
            }
            hard[i][random.nextInt(k)] = 1;
        }
        teacher[1][2] = 0; // a zero teacher probability must be handled (0 ln 0 = 0)
        double rest = 0;
        for (int c = 0; c < k; c++) {
            rest += teacher[1][c];
        }
        for (int c = 0; c < k; c++) {
            teacher[1][c] /= rest;
        }
        INDArray labels = DistillationLoss.distillationLabels(Nd4j.createFromArray(hard), Nd4j.createFromArray(teacher));
        INDArray mask = Nd4j.createFromArray(new double[][]{{1}, {1}, {0}, {1}});
        for (double temperature : new double[]{1.0, 3.5}) {
            DistillationLoss loss = new DistillationLoss(temperature, 0.6);
            INDArray z = Nd4j.createFromArray(logits);
            INDArray analytic = loss.computeGradient(labels, z, new ActivationSoftmax(), mask);
            double h = 1e-6;
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < k; c++) {
                    INDArray plus = z.dup();
                    plus.putScalar(i, c, logits[i][c] + h);
                    INDArray minus = z.dup();
                    minus.putScalar(i, c, logits[i][c] - h);
                    double numeric = (loss.computeScore(labels, plus, new ActivationSoftmax(), mask, false)
                            - loss.computeScore(labels, minus, new ActivationSoftmax(), mask, false)) / (2 * h);
                    assertEquals(numeric, analytic.getDouble(i, c), 1e-7, "T=" + temperature + " [" + i + "," + c + "]");
                }
            }
            assertEquals(0.0, analytic.getRow(2).norm1Number().doubleValue(), 0.0, "masked example has no gradient");
            assertEquals(0.0, loss.computeScoreArray(labels, z, new ActivationSoftmax(), mask).getDouble(2, 0), 0.0);
        }
    }

    @Test
    void alphaZeroIsCrossEntropyAndAlphaOneIsTemperedKl() {
        INDArray labels = DistillationLoss.distillationLabels(Nd4j.createFromArray(HARD), Nd4j.createFromArray(TEACHER));
        INDArray z = Nd4j.createFromArray(LOGITS);
        assertArrayEquals(new double[]{0.417030016278, 3.653178207122},
                new DistillationLoss(T, 0).computeScoreArray(labels, z, new ActivationSoftmax(), null).toDoubleVector(),
                1e-9);
        assertArrayEquals(new double[]{4 * 0.001513815976, 4 * 0.172855264628},
                new DistillationLoss(T, 1).computeScoreArray(labels, z, new ActivationSoftmax(), null).toDoubleVector(),
                1e-9);
    }

    @Test
    void labelHelpers() {
        INDArray hard = Nd4j.createFromArray(new float[][]{{0, 1}, {1, 0}});
        INDArray teacher = Nd4j.createFromArray(new float[][]{{0.3f, 0.7f}, {0.9f, 0.1f}});
        INDArray labels = DistillationLoss.distillationLabels(hard, teacher);
        assertArrayEquals(new long[]{2, 4}, labels.shape());
        assertArrayEquals(new float[]{0, 1, 0.3f, 0.7f}, labels.getRow(0).toFloatVector());
        assertEquals(hard, DistillationLoss.hardLabels(labels));
        assertEquals(teacher, DistillationLoss.teacherProbabilities(labels));
        assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.distillationLabels(hard, Nd4j.zeros(DataType.FLOAT, 2, 3)));
    }

    @Test
    void rejectsBadInput() {
        DistillationLoss loss = new DistillationLoss(T, ALPHA);
        INDArray z = Nd4j.createFromArray(LOGITS);
        INDArray good = DistillationLoss.distillationLabels(Nd4j.createFromArray(HARD), Nd4j.createFromArray(TEACHER));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(Nd4j.createFromArray(HARD), z, new ActivationSoftmax(), null));
        assertTrue(e.getMessage().contains("[2, 6]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeGradient(good, z, new ActivationSigmoid(), null));
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(good, z, new ActivationSoftmax(), Nd4j.ones(2, 3)));
        INDArray negative = good.dup();
        negative.putScalar(0, 4, -0.1);
        assertThrows(IllegalArgumentException.class, () -> loss.computeScoreArray(negative, z, new ActivationSoftmax(), null));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new DistillationLoss(2, 1.5));
    }

    @Test
    void plainOutputLayerTrainsOnTwoKLabelsAndRoundTripsThroughJson() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(12)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.05))
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().lossFunction(new DistillationLoss(2.0, 0.7))
                        .nIn(8).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        assertEquals(new DistillationLoss(2.0, 0.7), ((OutputLayer) back.getConf(1).getLayer()).getLossFn());

        DataSet data = teacherData(64, 3);
        MultiLayerNetwork net = new MultiLayerNetwork(back);
        net.init();
        double before = net.score(data);
        for (int i = 0; i < 60; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(after < 0.5 * before, "loss fell from " + before + " to " + after);
        INDArray out = net.output(data.getFeatures());
        assertArrayEquals(new long[]{64, 3}, out.shape());
        assertEquals(64.0, out.sumNumber().doubleValue(), 1e-3, "softmax outputs are probabilities");
    }

    @Test
    void graphOutputLayerTrainsOnTwoKLabelsAndRoundTripsThroughJson() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(12)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.05))
                .weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .addLayer("hidden", new DenseLayer.Builder().nIn(4).nOut(8).activation(Activation.TANH).build(), "in")
                .addLayer("out", new OutputLayer.Builder().lossFunction(new DistillationLoss(3.0, 0.5))
                        .nIn(8).nOut(3).activation(Activation.SOFTMAX).build(), "hidden")
                .setOutputs("out")
                .build();
        ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        OutputLayer out = (OutputLayer) ((LayerVertex) back.getVertices().get("out")).getLayerConf().getLayer();
        assertEquals(new DistillationLoss(3.0, 0.5), out.getLossFn());

        DataSet data = teacherData(64, 4);
        ComputationGraph net = new ComputationGraph(back);
        net.init();
        double before = net.score(data);
        for (int i = 0; i < 60; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(after < 0.5 * before, "loss fell from " + before + " to " + after);
    }

    /** Features, and [n, 6] labels: a fixed linear "teacher" softmax and its argmax as the hard label. */
    private static DataSet teacherData(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] w = {{1.5, -1, 0.5, 0}, {-0.5, 1, 1, -1}, {0, 0.5, -1.5, 1}};
        float[][] x = new float[n][4];
        double[][] teacher = new double[n][3];
        double[][] hard = new double[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) random.nextDouble(-1, 1);
            }
            double max = Double.NEGATIVE_INFINITY;
            double[] logits = new double[3];
            for (int c = 0; c < 3; c++) {
                for (int j = 0; j < 4; j++) {
                    logits[c] += 2 * w[c][j] * x[i][j];
                }
                max = Math.max(max, logits[c]);
            }
            double sum = 0;
            int best = 0;
            for (int c = 0; c < 3; c++) {
                teacher[i][c] = Math.exp(logits[c] - max);
                sum += teacher[i][c];
                if (logits[c] > logits[best]) {
                    best = c;
                }
            }
            for (int c = 0; c < 3; c++) {
                teacher[i][c] /= sum;
            }
            hard[i][best] = 1;
        }
        INDArray labels = DistillationLoss.distillationLabels(
                Nd4j.createFromArray(hard).castTo(DataType.FLOAT), Nd4j.createFromArray(teacher));
        return new DataSet(Nd4j.createFromArray(x), labels);
    }
}
