package io.averon.worker;

import io.averon.worker.metrics.TopKAccuracy;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Counts of (actual, predicted) class pairs over an evaluated set, with the metrics derived from them: accuracy and
 * per-class precision, recall and F1, intersection over union; for per-image classification also the top-5 accuracy of
 * the scores behind the predictions. Shards evaluated on different executors merge by adding counts, which keeps the
 * result independent of how the test set was split.
 */
public final class ConfusionMatrix implements Serializable {
    private static final long serialVersionUID = 1L;

    private static final int TOP_K = 5;

    private final long[][] counts;
    private final TopKAccuracy ranks;
    private double lossSum;

    public ConfusionMatrix(int classes) {
        this.counts = new long[classes][classes];
        this.ranks = new TopKAccuracy(classes, TOP_K);
    }

    /** Ranks each example's true class among its scores ({@code [n, classes]}), for top-5 accuracy. */
    public void addScores(INDArray scores, int[] labels) {
        ranks.add(scores, labels);
    }

    /** Fraction of ranked examples whose true class is among their 5 highest scores; NaN when none was ranked. */
    public double topFiveAccuracy() {
        return ranks.examples() == 0 ? Double.NaN : ranks.accuracy(TOP_K);
    }

    public void add(int actual, int predicted) {
        counts[actual][predicted]++;
    }

    /** Adds the loss of {@code examples} examples whose mean loss was {@code meanLoss}. */
    public void addLoss(double meanLoss, int examples) {
        lossSum += meanLoss * examples;
    }

    public ConfusionMatrix merge(ConfusionMatrix other) {
        if (other.counts.length != counts.length) {
            throw new IllegalArgumentException("cannot merge " + other.counts.length + " classes into " + counts.length);
        }
        for (int i = 0; i < counts.length; i++) {
            for (int j = 0; j < counts.length; j++) {
                counts[i][j] += other.counts[i][j];
            }
        }
        ranks.merge(other.ranks);
        lossSum += other.lossSum;
        return this;
    }

    public int classes() {
        return counts.length;
    }

    public long count(int actual, int predicted) {
        return counts[actual][predicted];
    }

    public long total() {
        long n = 0;
        for (long[] row : counts) {
            for (long c : row) {
                n += c;
            }
        }
        return n;
    }

    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < counts.length; i++) {
            correct += counts[i][i];
        }
        long n = total();
        return n == 0 ? 0 : (double) correct / n;
    }

    public double meanLoss() {
        long n = total();
        return n == 0 ? Double.NaN : lossSum / n;
    }

    /** Of the examples predicted as {@code c}, the fraction that are {@code c} (0 when none was predicted). */
    public double precision(int c) {
        long predicted = 0;
        for (long[] row : counts) {
            predicted += row[c];
        }
        return predicted == 0 ? 0 : (double) counts[c][c] / predicted;
    }

    /** Of the examples of class {@code c}, the fraction predicted as {@code c}. */
    public double recall(int c) {
        long actual = Arrays.stream(counts[c]).sum();
        return actual == 0 ? 0 : (double) counts[c][c] / actual;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    /**
     * Intersection over union of class {@code c}: true positives over true positives, false positives and false
     * negatives; NaN when the class appears neither in the labels nor in the predictions.
     */
    public double intersectionOverUnion(int c) {
        long predicted = 0;
        for (long[] row : counts) {
            predicted += row[c];
        }
        long actual = Arrays.stream(counts[c]).sum();
        long union = actual + predicted - counts[c][c];
        return union == 0 ? Double.NaN : (double) counts[c][c] / union;
    }

    /** Mean IoU over the classes that appear in labels or predictions (PASCAL VOC's convention). */
    public double meanIntersectionOverUnion() {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < counts.length; c++) {
            double iou = intersectionOverUnion(c);
            if (!Double.isNaN(iou)) {
                sum += iou;
                present++;
            }
        }
        return present == 0 ? Double.NaN : sum / present;
    }

    public long[][] counts() {
        long[][] copy = new long[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }

    /** A fixed-width table for the console: one row per actual class, then precision, recall and F1. */
    public String render(String[] classNames) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-14s", "actual\\pred"));
        for (int j = 0; j < counts.length; j++) {
            out.append(String.format("%6d", j));
        }
        out.append(String.format("  %9s %9s %9s%n", "precision", "recall", "f1"));
        for (int i = 0; i < counts.length; i++) {
            String name = classNames != null && i < classNames.length ? classNames[i] : String.valueOf(i);
            out.append(String.format("%-14s", i + " " + (name.length() > 11 ? name.substring(0, 11) : name)));
            for (int j = 0; j < counts.length; j++) {
                out.append(String.format("%6d", counts[i][j]));
            }
            out.append(String.format("  %9.4f %9.4f %9.4f%n", precision(i), recall(i), f1(i)));
        }
        return out.toString();
    }
}
