package io.averon.worker.metrics;

import io.averon.worker.ConfusionMatrix;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Pixel-level evaluation of a segmentation network: a classes x classes confusion matrix of (label, prediction)
 * pixel pairs with pixel accuracy, per-class IoU and mean IoU. Shards evaluated on different executors merge by
 * adding counts, as {@link ConfusionMatrix} (which holds the counts) does for classification.
 *
 * <p>Pixels labelled {@value #IGNORE} (or with an all-zero one-hot label) are not counted. IoU of class c is
 * {@code TP / (TP + FP + FN)}; it is undefined (NaN) for a class that appears neither in the labels nor in the
 * predictions, and mean IoU averages over the classes where it is defined: the classes present in the labels or
 * the predictions of the evaluated pixels. A class predicted but never labelled therefore counts with IoU 0.
 */
public final class SegmentationMetrics implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The ignored class id, as encoded by the batch builders. */
    public static final int IGNORE = 255;

    private final ConfusionMatrix confusion;

    public SegmentationMetrics(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("segmentation metrics need at least 1 class, got " + classes);
        }
        this.confusion = new ConfusionMatrix(classes);
    }

    /**
     * Adds a batch whose labels are class ids.
     *
     * @param predictions scores or probabilities [n, classes, h, w]; the prediction is the arg-max over classes
     * @param classIds    labels in [n, h, w] order (length n*h*w), each in [0, classes) or {@value #IGNORE}
     */
    public SegmentationMetrics addClassIds(INDArray predictions, int[] classIds) {
        int[] predicted = predictedClasses(predictions);
        if (classIds.length != predicted.length) {
            throw new IllegalArgumentException("labels hold " + classIds.length + " pixels but predictions "
                    + Arrays.toString(predictions.shape()) + " hold " + predicted.length);
        }
        int classes = confusion.classes();
        // Checked before counting, so a refused batch leaves the counts as they were.
        for (int i = 0; i < classIds.length; i++) {
            int label = classIds[i];
            if (label != IGNORE && (label < 0 || label >= classes)) {
                throw new IllegalArgumentException("label " + label + " at pixel " + i + " is outside 0.."
                        + (classes - 1) + " and not the ignore label " + IGNORE);
            }
        }
        for (int i = 0; i < predicted.length; i++) {
            if (classIds[i] != IGNORE) {
                confusion.add(classIds[i], predicted[i]);
            }
        }
        return this;
    }

    /**
     * Adds a batch whose labels are one-hot [n, classes, h, w], as the networks are trained on; an all-zero label
     * vector marks an ignored pixel.
     */
    public SegmentationMetrics addOneHot(INDArray predictions, INDArray labels) {
        if (!Arrays.equals(predictions.shape(), labels.shape())) {
            throw new IllegalArgumentException("one-hot labels " + Arrays.toString(labels.shape())
                    + " and predictions " + Arrays.toString(predictions.shape()) + " must have the same shape");
        }
        int[] ids = flat(Nd4j.argMax(labels, 1));
        int[] present = flat(labels.max(1).gt(0).castTo(org.nd4j.linalg.api.buffer.DataType.INT32));
        for (int i = 0; i < ids.length; i++) {
            if (present[i] == 0) {
                ids[i] = IGNORE;
            }
        }
        return addClassIds(predictions, ids);
    }

    public SegmentationMetrics merge(SegmentationMetrics other) {
        confusion.merge(other.confusion);
        return this;
    }

    public int classes() {
        return confusion.classes();
    }

    /** Counted (non-ignored) pixels. */
    public long pixels() {
        return confusion.total();
    }

    /** Pixels of class {@code actual} predicted as {@code predicted}. */
    public long count(int actual, int predicted) {
        return confusion.count(actual, predicted);
    }

    /** Correctly classified pixels over counted pixels (0 before any pixel). */
    public double pixelAccuracy() {
        return confusion.accuracy();
    }

    /** {@code TP / (TP + FP + FN)} of class {@code c}, NaN if the class is neither labelled nor predicted. */
    public double iou(int c) {
        long truePositive = confusion.count(c, c);
        long union = -truePositive;
        for (int k = 0; k < confusion.classes(); k++) {
            union += confusion.count(c, k) + confusion.count(k, c);
        }
        return union == 0 ? Double.NaN : (double) truePositive / union;
    }

    /** Mean of {@link #iou} over the classes where it is defined; NaN before any pixel. */
    public double meanIoU() {
        double sum = 0;
        int defined = 0;
        for (int c = 0; c < confusion.classes(); c++) {
            double iou = iou(c);
            if (!Double.isNaN(iou)) {
                sum += iou;
                defined++;
            }
        }
        return defined == 0 ? Double.NaN : sum / defined;
    }

    /** A copy of the counts, [label][prediction]. */
    public long[][] counts() {
        return confusion.counts();
    }

    private int[] predictedClasses(INDArray predictions) {
        if (predictions.rank() != 4 || predictions.size(1) != confusion.classes()) {
            throw new IllegalArgumentException("predictions must be [n, " + confusion.classes()
                    + ", h, w], got " + Arrays.toString(predictions.shape()));
        }
        return flat(Nd4j.argMax(predictions, 1));
    }

    private static int[] flat(INDArray values) {
        return values.castTo(org.nd4j.linalg.api.buffer.DataType.INT32).reshape('c', new long[] {values.length()})
                .toIntVector();
    }
}
