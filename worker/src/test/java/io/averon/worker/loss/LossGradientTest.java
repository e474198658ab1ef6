package io.averon.worker.loss;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference checks of every loss's gradient, through the activation as DL4J applies it (the loss gets the
 * pre-activation and the activation function), in double precision on tiny random inputs.
 */
class LossGradientTest {
    private static final int CLASSES = 4;
    private static final int PIXELS = 6;
    private static final int EXAMPLES = 2;
    private static DataType previousType;
    private static DataType previousFloatType;

    @BeforeAll
    static void doublePrecision() {
        previousType = Nd4j.dataType();
        previousFloatType = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @AfterAll
    static void restorePrecision() {
        Nd4j.setDefaultDataTypes(previousType, previousFloatType);
    }

    static List<ILossFunction> losses() {
        return List.of(
                new PixelSoftmaxCrossEntropy(PIXELS),
                new PixelSoftmaxCrossEntropy(PIXELS, new double[] {0.5, 2.0, 1.0, 3.0}),
                new FocalLoss(2.0, null, PIXELS),
                new FocalLoss(0.5, new double[] {0.25, 0.75, 1.0, 0.5}, 1),
                new DiceLoss(1.0, PIXELS),
                new DiceLoss(0.1, 1),
                new DiceCrossEntropy(0.7, 1.0, new double[] {1.0, 2.0, 1.0, 0.5}, PIXELS));
    }

    /** One-hot rows with every third row ignored (all zero). */
    static INDArray labels(int rows, long seed) {
        Random random = new Random(seed);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, CLASSES);
        for (int r = 0; r < rows; r++) {
            if (r % 3 != 1) {
                labels.putScalar(r, random.nextInt(CLASSES), 1.0);
            }
        }
        return labels;
    }

    static INDArray preOutput(int rows, long seed) {
        return Nd4j.randn(seed, new long[] {rows, CLASSES}).castTo(DataType.DOUBLE);
    }

    @Test
    void gradientsMatchFiniteDifferencesThroughSoftmaxAndSigmoid() {
        int rows = EXAMPLES * PIXELS;
        for (IActivation activation : List.of(new ActivationSoftmax(), new ActivationSigmoid())) {
            for (ILossFunction loss : losses()) {
                INDArray labels = labels(rows, 3);
                INDArray pre = preOutput(rows, 11);
                assertGradient(loss, activation, labels, pre, null);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesWithPerRowMask() {
        int rows = EXAMPLES * PIXELS;
        INDArray mask = Nd4j.ones(DataType.DOUBLE, rows, 1);
        mask.putScalar(0, 0, 0.0);
        mask.putScalar(5, 0, 0.0);
        for (ILossFunction loss : losses()) {
            INDArray labels = labels(rows, 5);
            INDArray pre = preOutput(rows, 13);
            INDArray grad = assertGradient(loss, new ActivationSoftmax(), labels, pre, mask);
            assertEquals(0.0, grad.getRow(0).norm1Number().doubleValue(), 0.0, loss.name());
            assertEquals(0.0, grad.getRow(5).norm1Number().doubleValue(), 0.0, loss.name());
        }
    }

    @Test
    void ignoredRowsHaveNoGradientAndDoNotChangeTheLoss() {
        int rows = EXAMPLES * PIXELS;
        for (ILossFunction loss : losses()) {
            INDArray labels = labels(rows, 7);
            INDArray pre = preOutput(rows, 17);
            INDArray grad = loss.computeGradient(labels, pre, new ActivationSoftmax(), null);
            double score = loss.computeScore(labels, pre, new ActivationSoftmax(), null, false);
            for (int r = 1; r < rows; r += 3) {
                assertEquals(0.0, grad.getRow(r).norm1Number().doubleValue(), 0.0, loss.name() + " row " + r);
                pre.getRow(r).assign(Nd4j.randn(r, new long[] {1, CLASSES}).castTo(DataType.DOUBLE).mul(5));
            }
            assertEquals(score, loss.computeScore(labels, pre, new ActivationSoftmax(), null, false), 1e-12,
                    loss.name() + ": the predictions at ignored pixels changed the loss");
            assertTrue(grad.norm1Number().doubleValue() > 0, loss.name());
        }
    }

    @Test
    void crossEntropyIsTheMeanOverCountedPixelsAndEqualsMcxentWithoutIgnoredPixels() {
        int rows = EXAMPLES * PIXELS;
        INDArray pre = preOutput(rows, 19);
        INDArray labels = labels(rows, 23);
        INDArray p = new ActivationSoftmax().getActivation(pre.dup(), true);
        double sum = 0;
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < CLASSES; c++) {
                if (labels.getDouble(r, c) == 1.0) {
                    sum -= Math.log(p.getDouble(r, c));
                    counted++;
                }
            }
        }
        ILossFunction perImage = new PixelSoftmaxCrossEntropy(PIXELS);
        // DL4J divides by the minibatch (EXAMPLES): the score it reports is the mean over counted pixels.
        assertEquals(sum / counted, perImage.computeScore(labels, pre, new ActivationSoftmax(), null, false)
                / EXAMPLES, 1e-12);
        assertEquals(sum / counted, perImage.computeScore(labels, pre, new ActivationSoftmax(), null, true), 1e-12);

        INDArray full = Nd4j.zeros(DataType.DOUBLE, rows, CLASSES);
        for (int r = 0; r < rows; r++) {
            full.putScalar(r, r % CLASSES, 1.0);
        }
        ILossFunction perRow = new PixelSoftmaxCrossEntropy();
        LossMCXENT mcxent = new LossMCXENT();
        assertEquals(mcxent.computeScore(full, pre, new ActivationSoftmax(), null, false),
                perRow.computeScore(full, pre, new ActivationSoftmax(), null, false), 1e-9);
        INDArray expected = mcxent.computeGradient(full, pre, new ActivationSoftmax(), null);
        INDArray actual = perRow.computeGradient(full, pre, new ActivationSoftmax(), null);
        assertEquals(0.0, expected.sub(actual).norm2Number().doubleValue(), 1e-12);
    }

    @Test
    void weightedCrossEntropyIsTheWeightedMean() {
        double[] weights = {0.5, 2.0, 1.0, 3.0};
        int rows = EXAMPLES * PIXELS;
        INDArray pre = preOutput(rows, 29);
        INDArray labels = labels(rows, 31);
        INDArray p = new ActivationSoftmax().getActivation(pre.dup(), true);
        double sum = 0;
        double weightSum = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < CLASSES; c++) {
                if (labels.getDouble(r, c) == 1.0) {
                    sum -= weights[c] * Math.log(p.getDouble(r, c));
                    weightSum += weights[c];
                }
            }
        }
        ILossFunction loss = new PixelSoftmaxCrossEntropy(PIXELS, weights);
        assertEquals(sum / weightSum, loss.computeScore(labels, pre, new ActivationSoftmax(), null, true), 1e-12);
        double[] doubled = {1.0, 4.0, 2.0, 6.0};
        assertEquals(loss.computeScore(labels, pre, new ActivationSoftmax(), null, false),
                new PixelSoftmaxCrossEntropy(PIXELS, doubled)
                        .computeScore(labels, pre, new ActivationSoftmax(), null, false), 1e-12);
    }

    @Test
    void dl4jWeightedMcxentIsTheWeightedSumWithACorrectGradient() {
        double[] weights = {0.5, 2.0, 1.0, 3.0};
        int rows = 5;
        INDArray pre = preOutput(rows, 37);
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, rows, CLASSES);
        for (int r = 0; r < rows; r++) {
            labels.putScalar(r, (r * 3) % CLASSES, 1.0);
        }
        INDArray p = new ActivationSoftmax().getActivation(pre.dup(), true);
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            int c = (r * 3) % CLASSES;
            sum -= weights[c] * Math.log(p.getDouble(r, c));
        }
        LossMCXENT mcxent = new LossMCXENT(Nd4j.createFromArray(weights).reshape(1, CLASSES));
        assertEquals(sum, mcxent.computeScore(labels, pre, new ActivationSoftmax(), null, false), 1e-9);
        assertGradient(mcxent, new ActivationSoftmax(), labels, pre, null);
    }

    @Test
    void focalLossWithoutFocusIsCrossEntropyAndFocusDownWeightsEasyPixels() {
        int rows = EXAMPLES * PIXELS;
        INDArray pre = preOutput(rows, 41);
        INDArray labels = labels(rows, 43);
        double ce = new PixelSoftmaxCrossEntropy(PIXELS).computeScore(labels, pre, new ActivationSoftmax(), null,
                false);
        double focal0 = new FocalLoss(0.0, null, PIXELS).computeScore(labels, pre, new ActivationSoftmax(), null,
                false);
        assertEquals(ce, focal0, 1e-6);
        double focal2 = new FocalLoss(2.0, null, PIXELS).computeScore(labels, pre, new ActivationSoftmax(), null,
                false);
        assertTrue(focal2 < focal0, "focusing lowers the loss of every pixel: " + focal2 + " vs " + focal0);
        // One row, p(true class) known: -(1-p)^2 log p.
        INDArray one = Nd4j.createFromArray(new double[][] {{Math.log(3), 0, 0, 0}});
        INDArray oneLabel = Nd4j.createFromArray(new double[][] {{1, 0, 0, 0}});
        double pTrue = 3.0 / 6.0;
        assertEquals(-Math.pow(1 - pTrue, 2) * Math.log(pTrue),
                new FocalLoss().computeScore(oneLabel, one, new ActivationSoftmax(), null, false), 1e-6);
    }

    @Test
    void diceLossMatchesAHandComputedBatch() {
        // Two classes, three counted pixels and one ignored; the activation is the identity, so p is given.
        INDArray p = Nd4j.createFromArray(new double[][] {{0.9, 0.1}, {0.2, 0.8}, {0.6, 0.4}, {0.3, 0.7}});
        INDArray y = Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {0, 1}, {0, 0}});
        double s = 1.0;
        double dice0 = (2 * 0.9 + s) / ((0.9 + 0.2 + 0.6) + 1 + s);
        double dice1 = (2 * (0.8 + 0.4) + s) / ((0.1 + 0.8 + 0.4) + 2 + s);
        double expected = 1 - (dice0 + dice1) / 2;
        double actual = new DiceLoss(s, 1).computeScore(y, p,
                new org.nd4j.linalg.activations.impl.ActivationIdentity(), null, true);
        assertEquals(expected, actual, 1e-12);
    }

    @Test
    void badInputIsRefusedWithAClearMessage() {
        INDArray pre = preOutput(6, 1);
        INDArray labels = labels(6, 1);
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class, () ->
                new PixelSoftmaxCrossEntropy(4).computeScore(labels, pre, new ActivationSoftmax(), null, false));
        assertTrue(rows.getMessage().contains("pixelsPerExample"), rows.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PixelSoftmaxCrossEntropy(6, new double[] {1, 2})
                .computeScore(labels, pre, new ActivationSoftmax(), null, false));
        assertThrows(IllegalArgumentException.class, () -> new FocalLoss(-1, null, 1));
        assertThrows(IllegalArgumentException.class, () -> new DiceLoss(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new PixelSoftmaxCrossEntropy(0));
        assertThrows(IllegalArgumentException.class, () -> new PixelSoftmaxCrossEntropy(1, new double[] {1, -1}));
    }

    /** Central differences of {@code computeScore(..., average=false)} against {@code computeGradient}. */
    private static INDArray assertGradient(ILossFunction loss, IActivation activation, INDArray labels,
                                           INDArray pre, INDArray mask) {
        INDArray analytic = loss.computeGradient(labels, pre.dup(), activation, mask);
        double h = 1e-6;
        double worst = 0;
        for (int r = 0; r < pre.rows(); r++) {
            for (int c = 0; c < pre.columns(); c++) {
                INDArray plus = pre.dup();
                plus.putScalar(r, c, pre.getDouble(r, c) + h);
                INDArray minus = pre.dup();
                minus.putScalar(r, c, pre.getDouble(r, c) - h);
                double numeric = (loss.computeScore(labels, plus, activation, mask, false)
                        - loss.computeScore(labels, minus, activation, mask, false)) / (2 * h);
                double a = analytic.getDouble(r, c);
                double error = Math.abs(a - numeric) / Math.max(1e-3, Math.abs(a) + Math.abs(numeric));
                worst = Math.max(worst, error);
                assertTrue(error < 1e-5, loss.name() + " with " + activation + " at [" + r + ", " + c
                        + "]: analytic " + a + " numeric " + numeric);
            }
        }
        assertNotEquals(0.0, analytic.norm2Number().doubleValue(), loss.name());
        return analytic;
    }
}
