package io.averon.worker;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The evaluation metrics every epoch reports, against hand-computed cases. */
class ConfusionMatrixTest {
    /**
     * [label][prediction] over 4 classes. Class 2 is predicted once but never labelled (IoU 0, counted in the mean);
     * class 3 appears nowhere (IoU undefined, left out of the mean).
     * IoU0 = 4 / (4 + 2 FP + 2 FN) = 0.5, IoU1 = 3 / (3 + 1 FP + 2 FN) = 0.5, IoU2 = 0 / (0 + 1 FP + 0 FN) = 0,
     * mean IoU = (0.5 + 0.5 + 0) / 3 = 1/3, pixel accuracy = 7 / 11.
     */
    private static final long[][] COUNTS = {
            {4, 1, 1, 0},
            {2, 3, 0, 0},
            {0, 0, 0, 0},
            {0, 0, 0, 0}};

    private static ConfusionMatrix filled() {
        ConfusionMatrix m = new ConfusionMatrix(4);
        for (int a = 0; a < 4; a++) {
            for (int p = 0; p < 4; p++) {
                for (long k = 0; k < COUNTS[a][p]; k++) {
                    m.add(a, p);
                }
            }
        }
        return m;
    }

    @Test
    void meanIoUOfAHandComputedConfusionMatrix() {
        ConfusionMatrix m = filled();
        assertEquals(11, m.total());
        assertEquals(7.0 / 11, m.accuracy(), 1e-12);
        assertEquals(0.5, m.intersectionOverUnion(0), 1e-12);
        assertEquals(0.5, m.intersectionOverUnion(1), 1e-12);
        assertEquals(0.0, m.intersectionOverUnion(2), 1e-12);
        assertTrue(Double.isNaN(m.intersectionOverUnion(3)));
        assertEquals(1.0 / 3, m.meanIntersectionOverUnion(), 1e-12);
        // precision0 = 4 / 6, recall0 = 4 / 6; precision1 = 3 / 4, recall1 = 3 / 5
        assertEquals(4.0 / 6, m.precision(0), 1e-12);
        assertEquals(3.0 / 5, m.recall(1), 1e-12);
        assertEquals(2 * 0.75 * 0.6 / 1.35, m.f1(1), 1e-12);
    }

    @Test
    void topFiveCountsTheTrueClassAmongTheFiveHighestScores() {
        ConfusionMatrix m = new ConfusionMatrix(7);
        // Scores 0..6 ascending: class 6 ranks first, class 2 fifth, class 1 sixth.
        float[] ascending = {0, 1, 2, 3, 4, 5, 6};
        m.addScores(Nd4j.createFromArray(new float[][] {ascending, ascending, ascending, ascending}),
                new int[] {6, 2, 1, 0});
        assertEquals(0.5, m.topFiveAccuracy(), 1e-12);
        assertTrue(Double.isNaN(new ConfusionMatrix(7).topFiveAccuracy()), "nothing ranked yet");
    }

    @Test
    void shardsMergeToTheWholeAndSurviveSerialisation() throws Exception {
        ConfusionMatrix a = filled();
        a.addScores(Nd4j.createFromArray(new float[][] {{4, 3, 2, 1}}), new int[] {3});
        ConfusionMatrix b = filled();
        b.addLoss(0.5, 11);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(b);
        }
        ConfusionMatrix copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (ConfusionMatrix) in.readObject();
        }
        a.merge(copy);
        assertEquals(22, a.total());
        assertEquals(8, a.count(0, 0));
        assertEquals(1.0 / 3, a.meanIntersectionOverUnion(), 1e-12);
        assertEquals(1.0, a.topFiveAccuracy(), 1e-12);
        assertEquals(5.5 / 22, a.meanLoss(), 1e-12);
    }
}
