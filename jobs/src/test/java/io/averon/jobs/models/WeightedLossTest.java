package io.averon.jobs.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/** {@link WeightedLoss} scales score, per-example scores and gradient of the loss it wraps, and nothing else. */
class WeightedLossTest {
    private final INDArray labels = Nd4j.createFromArray(new float[][]{{1, 0, 0}, {0, 0, 1}});
    private final INDArray preOutput = Nd4j.createFromArray(new float[][]{{0.5f, -1, 2}, {0, 1, 3}});
    private final LossMCXENT plain = new LossMCXENT();
    private final WeightedLoss weighted = new WeightedLoss(new LossMCXENT(), 0.3);

    @Test
    void scoresAndGradientsAreThoseOfTheWrappedLossTimesTheWeight() {
        ActivationSoftmax softmax = new ActivationSoftmax();
        assertEquals(0.3 * plain.computeScore(labels, preOutput.dup(), softmax, null, true),
                weighted.computeScore(labels, preOutput.dup(), softmax, null, true), 1e-6);
        assertEquals(plain.computeScoreArray(labels, preOutput.dup(), softmax, null).mul(0.3),
                weighted.computeScoreArray(labels, preOutput.dup(), softmax, null));
        assertEquals(plain.computeGradient(labels, preOutput.dup(), softmax, null).mul(0.3),
                weighted.computeGradient(labels, preOutput.dup(), softmax, null));
        Pair<Double, INDArray> both = weighted.computeGradientAndScore(labels, preOutput.dup(), softmax, null, false);
        assertEquals(0.3 * plain.computeScore(labels, preOutput.dup(), softmax, null, false), both.getFirst(), 1e-6);
        assertEquals(plain.computeGradient(labels, preOutput.dup(), softmax, null).mul(0.3), both.getSecond());
        assertEquals(DataType.FLOAT, both.getSecond().dataType());
    }

    @Test
    void weightMustBePositive() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeightedLoss(new LossMCXENT(), 0));
        assertEquals("WeightedLoss weight must be a finite number > 0, got 0.0", e.getMessage());
    }
}
