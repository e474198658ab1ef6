package io.averon.worker.metrics;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TopKAccuracyTest {
    /** Six classes; the true class of each row is at rank 0, 2, 5 and (tied with class 0) 1. */
    private static final double[][] SCORES = {
            {0.1, 0.5, 0.1, 0.1, 0.1, 0.1},
            {0.30, 0.25, 0.05, 0.2, 0.1, 0.1},
            {0.05, 0.2, 0.2, 0.2, 0.2, 0.15},
            {0.4, 0.4, 0.05, 0.05, 0.05, 0.05}};
    private static final int[] LABELS = {1, 3, 0, 1};

    @Test
    void countsExamplesByTheRankOfTheirTrueClass() {
        TopKAccuracy accuracy = new TopKAccuracy(6, 5).add(Nd4j.createFromArray(SCORES), LABELS);
        assertEquals(4, accuracy.examples());
        assertEquals(1, accuracy.hits(1));
        assertEquals(2, accuracy.hits(2));
        assertEquals(3, accuracy.hits(3));
        assertEquals(3, accuracy.hits(5));
        assertEquals(0.25, accuracy.top1(), 1e-12);
        assertEquals(0.75, accuracy.accuracy(5), 1e-12);
        // Argmax picks class 0 on the tie of the last row, so the true class 1 is not the top-1 prediction.
        assertEquals(0, Nd4j.argMax(Nd4j.createFromArray(SCORES[3]), 0).getInt(0));
    }

    @Test
    void shardsMergeAndOneHotLabelsAgree() {
        INDArray scores = Nd4j.createFromArray(SCORES);
        TopKAccuracy first = new TopKAccuracy(6, 5).add(scores.get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2),
                org.nd4j.linalg.indexing.NDArrayIndex.all()), new int[] {LABELS[0], LABELS[1]});
        INDArray oneHot = Nd4j.zeros(2, 6);
        oneHot.putScalar(0, LABELS[2], 1);
        oneHot.putScalar(1, LABELS[3], 1);
        TopKAccuracy second = new TopKAccuracy(6, 5).addOneHot(scores.get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 4),
                org.nd4j.linalg.indexing.NDArrayIndex.all()), oneHot);
        TopKAccuracy merged = first.merge(second);
        assertEquals(4, merged.examples());
        assertEquals(0.25, merged.top1(), 1e-12);
        assertEquals(0.75, merged.accuracy(5), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> merged.merge(new TopKAccuracy(6, 3)));
        assertThrows(IllegalArgumentException.class, () -> merged.accuracy(6));
        assertThrows(IllegalArgumentException.class, () -> merged.add(scores, new int[] {0, 1, 2, 6}));
    }

    @Test
    void kBeyondTheClassCountCountsEveryExample() {
        TopKAccuracy accuracy = new TopKAccuracy(3, 5).add(
                Nd4j.createFromArray(new double[][] {{0.1, 0.2, 0.7}, {0.5, 0.3, 0.2}}), new int[] {0, 2});
        assertEquals(0.0, accuracy.top1(), 1e-12);
        assertEquals(1.0, accuracy.accuracy(3), 1e-12);
        assertEquals(1.0, accuracy.accuracy(5), 1e-12);
    }
}
