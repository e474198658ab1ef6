package io.averon.worker.metrics;

import io.averon.worker.loss.PixelLabels;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentationMetricsTest {
    /**
     * The expected confusion matrix, [label][prediction], over 4 classes. Class 2 is predicted once but never
     * labelled (IoU 0, counted in the mean); class 3 appears nowhere (IoU undefined, left out of the mean).
     * IoU0 = 4 / (4 + 2 FP + 2 FN) = 0.5, IoU1 = 3 / (3 + 1 FP + 2 FN) = 0.5, IoU2 = 0 / (0 + 1 FP + 0 FN) = 0,
     * mean IoU = (0.5 + 0.5 + 0) / 3 = 1/3, pixel accuracy = 7 / 11.
     */
    private static final long[][] EXPECTED = {
            {4, 1, 1, 0},
            {2, 3, 0, 0},
            {0, 0, 0, 0},
            {0, 0, 0, 0}};
    private static final int CLASSES = 4;

    /** Label and prediction per pixel that give {@link #EXPECTED}, plus 3 ignored pixels, in a shuffled order. */
    private static int[][] pixels() {
        List<int[]> pairs = new ArrayList<>();
        for (int label = 0; label < CLASSES; label++) {
            for (int predicted = 0; predicted < CLASSES; predicted++) {
                for (long k = 0; k < EXPECTED[label][predicted]; k++) {
                    pairs.add(new int[] {label, predicted});
                }
            }
        }
        pairs.add(3, new int[] {PixelLabels.IGNORE, 2});
        pairs.add(7, new int[] {PixelLabels.IGNORE, 3});
        pairs.add(new int[] {PixelLabels.IGNORE, 0});
        return pairs.toArray(new int[0][]);
    }

    /** Scores [1, classes, 1, pixels] whose arg-max is {@code predicted}. */
    private static INDArray scores(int[] predicted) {
        INDArray scores = Nd4j.rand(DataType.FLOAT, 1, CLASSES, 1, predicted.length).muli(0.5);
        for (int i = 0; i < predicted.length; i++) {
            scores.putScalar(new long[] {0, predicted[i], 0, i}, 0.9);
        }
        return scores;
    }

    @Test
    void meanIoUOfAHandComputedConfusionMatrix() {
        int[][] pixels = pixels();
        int[] labels = new int[pixels.length];
        int[] predicted = new int[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            labels[i] = pixels[i][0];
            predicted[i] = pixels[i][1];
        }
        SegmentationMetrics metrics = new SegmentationMetrics(CLASSES).addClassIds(scores(predicted), labels);
        assertArrayEquals(EXPECTED, metrics.counts());
        assertEquals(11, metrics.pixels());
        assertEquals(7.0 / 11, metrics.pixelAccuracy(), 1e-12);
        assertEquals(0.5, metrics.iou(0), 1e-12);
        assertEquals(0.5, metrics.iou(1), 1e-12);
        assertEquals(0.0, metrics.iou(2), 1e-12);
        assertTrue(Double.isNaN(metrics.iou(3)));
        assertEquals(1.0 / 3, metrics.meanIoU(), 1e-12);

        SegmentationMetrics oneHot = new SegmentationMetrics(CLASSES)
                .addOneHot(scores(predicted), PixelLabels.oneHot(labels, 1, 1, labels.length, CLASSES));
        assertArrayEquals(EXPECTED, oneHot.counts());
    }

    @Test
    void shardsMergeToTheWholeAndSurviveJavaSerialisation() throws Exception {
        int[][] pixels = pixels();
        SegmentationMetrics a = new SegmentationMetrics(CLASSES);
        SegmentationMetrics b = new SegmentationMetrics(CLASSES);
        for (int i = 0; i < pixels.length; i++) {
            (i % 2 == 0 ? a : b).addClassIds(scores(new int[] {pixels[i][1]}), new int[] {pixels[i][0]});
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(b);
        }
        SegmentationMetrics shipped;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            shipped = (SegmentationMetrics) in.readObject();
        }
        SegmentationMetrics merged = a.merge(shipped);
        assertArrayEquals(EXPECTED, merged.counts());
        assertEquals(1.0 / 3, merged.meanIoU(), 1e-12);
    }

    @Test
    void multiImageBatchesUseArgMaxOverTheClassAxis() {
        // 2 images of 2x2, 2 classes; class 1 where the second channel is larger.
        INDArray scores = Nd4j.create(new float[] {
                0.9f, 0.1f, 0.2f, 0.6f,   0.1f, 0.9f, 0.8f, 0.4f,
                0.3f, 0.3f, 0.7f, 0.1f,   0.7f, 0.2f, 0.3f, 0.9f}, new long[] {2, 2, 2, 2}, 'c');
        int[] predicted = {0, 1, 1, 0, 1, 0, 0, 1};
        int[] labels = {0, 1, 0, 255, 1, 1, 0, 1};
        SegmentationMetrics metrics = new SegmentationMetrics(2).addClassIds(scores, labels);
        long[][] expected = new long[2][2];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] != 255) {
                expected[labels[i]][predicted[i]]++;
            }
        }
        assertArrayEquals(expected, metrics.counts());
        assertEquals(7, metrics.pixels());
    }

    @Test
    void badLabelsAndShapesAreRefused() {
        SegmentationMetrics metrics = new SegmentationMetrics(2);
        INDArray scores = Nd4j.rand(DataType.FLOAT, 1, 2, 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> metrics.addClassIds(scores, new int[] {0, 7, 1}));
        assertTrue(e.getMessage().contains("label 7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> metrics.addClassIds(scores, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> metrics.addClassIds(Nd4j.rand(DataType.FLOAT, 1, 3, 1, 3), new int[] {0, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> metrics.merge(new SegmentationMetrics(3)));
        assertTrue(Double.isNaN(metrics.meanIoU()));
    }
}
