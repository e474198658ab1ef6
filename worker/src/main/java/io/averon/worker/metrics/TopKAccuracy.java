package io.averon.worker.metrics;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Top-k accuracy of a classifier (top-1 and top-5 for ImageNet-style reports): the fraction of examples whose true
 * class is among the k highest scores. It keeps, per rank below {@code maxK}, how many examples had their true
 * class at that rank, so every k up to {@code maxK} is available and shards merge by adding counts. Ties are
 * broken as arg-max breaks them: an equal score at a lower class index ranks first.
 */
public final class TopKAccuracy implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int classes;
    private final int maxK;
    /** Examples by the rank of their true class, for ranks below min(maxK, classes). */
    private final long[] atRank;
    private long examples;

    /** Tracks top-1 .. top-{@code maxK} accuracy over {@code classes} classes. */
    public TopKAccuracy(int classes, int maxK) {
        if (classes < 1 || maxK < 1) {
            throw new IllegalArgumentException("top-k accuracy needs classes >= 1 and maxK >= 1, got classes="
                    + classes + " maxK=" + maxK);
        }
        this.classes = classes;
        this.maxK = maxK;
        this.atRank = new long[Math.min(maxK, classes)];
    }

    /**
     * @param scores [n, classes] scores or probabilities
     * @param labels the n true class ids
     */
    public TopKAccuracy add(INDArray scores, int[] labels) {
        if (scores.rank() != 2 || scores.size(1) != classes || scores.size(0) != labels.length) {
            throw new IllegalArgumentException("scores must be [" + labels.length + ", " + classes + "] for "
                    + labels.length + " labels, got " + Arrays.toString(scores.shape()));
        }
        double[][] rows = scores.toDoubleMatrix();
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of example " + i + " is outside 0.."
                        + (classes - 1));
            }
            double target = rows[i][label];
            int rank = 0;
            for (int c = 0; c < classes; c++) {
                double s = rows[i][c];
                if (s > target || (s == target && c < label)) {
                    rank++;
                }
            }
            if (rank < atRank.length) {
                atRank[rank]++;
            }
            examples++;
        }
        return this;
    }

    /** Adds examples with one-hot labels [n, classes]. */
    public TopKAccuracy addOneHot(INDArray scores, INDArray oneHotLabels) {
        if (oneHotLabels.rank() != 2 || oneHotLabels.size(1) != classes) {
            throw new IllegalArgumentException("one-hot labels must be [n, " + classes + "], got "
                    + Arrays.toString(oneHotLabels.shape()));
        }
        return add(scores, org.nd4j.linalg.factory.Nd4j.argMax(oneHotLabels, 1)
                .castTo(org.nd4j.linalg.api.buffer.DataType.INT32).toIntVector());
    }

    public TopKAccuracy merge(TopKAccuracy other) {
        if (other.classes != classes || other.maxK != maxK) {
            throw new IllegalArgumentException("cannot merge top-" + other.maxK + " accuracy over "
                    + other.classes + " classes into top-" + maxK + " over " + classes);
        }
        for (int r = 0; r < atRank.length; r++) {
            atRank[r] += other.atRank[r];
        }
        examples += other.examples;
        return this;
    }

    public long examples() {
        return examples;
    }

    /** Examples whose true class is among the {@code k} highest scores. */
    public long hits(int k) {
        if (k < 1 || k > maxK) {
            throw new IllegalArgumentException("k must be in 1.." + maxK + " (maxK), got " + k);
        }
        long hits = 0;
        for (int r = 0; r < Math.min(k, atRank.length); r++) {
            hits += atRank[r];
        }
        return hits;
    }

    /** Fraction of examples whose true class is among the {@code k} highest scores (0 before any example). */
    public double accuracy(int k) {
        return examples == 0 ? 0 : (double) hits(k) / examples;
    }

    public double top1() {
        return accuracy(1);
    }
}
