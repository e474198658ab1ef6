package io.averon.worker.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * Cross-entropy of per-pixel softmax outputs, for a DL4J {@code CnnLossLayer} with activation SOFTMAX over
 * [n, classes, h, w] (DL4J reshapes to one row per pixel before calling the loss), or a dense softmax output.
 *
 * <p>Labels are one-hot. A pixel whose label vector is all zero is ignored: this is how the batch builder encodes the
 * ignore class 255 ({@link PixelLabels#oneHot}). Ignored pixels add neither loss nor gradient and do not count in the
 * mean. With optional class weights {@code w}, the loss is {@code sum_i w[y_i] * -log p_i[y_i] / sum_i w[y_i]} over
 * the counted pixels (PyTorch's weighted mean), so scaling all weights alike changes nothing. The scale DL4J sees is
 * described in {@link IgnoreAwareLoss}: pass {@code pixelsPerExample = h*w} for a network score that is exactly this
 * mean. Without ignored pixels, weights and with {@code pixelsPerExample = 1} it equals DL4J's {@code LossMCXENT}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class PixelSoftmaxCrossEntropy extends IgnoreAwareLoss {
    private static final long serialVersionUID = 1L;
    /** Smallest probability inside the log, so a saturated softmax gives a large finite loss, not infinity. */
    static final double PROBABILITY_FLOOR = 1e-10;

    @JsonProperty("classWeights")
    private final double[] classWeights;

    /** Unweighted, each row an example (DL4J's scale). */
    public PixelSoftmaxCrossEntropy() {
        this(1, null);
    }

    /** Unweighted, with {@code pixelsPerExample} rows per example (h*w behind a CnnLossLayer). */
    public PixelSoftmaxCrossEntropy(int pixelsPerExample) {
        this(pixelsPerExample, null);
    }

    /**
     * @param pixelsPerExample rows per example: the output's h*w behind a CnnLossLayer, 1 for a dense output
     * @param classWeights     one non-negative weight per class, or null for equal weights
     */
    @JsonCreator
    public PixelSoftmaxCrossEntropy(@JsonProperty("pixelsPerExample") int pixelsPerExample,
                                    @JsonProperty("classWeights") double[] classWeights) {
        super(pixelsPerExample);
        this.classWeights = checkedWeights(classWeights, "classWeights");
    }

    public double[] classWeights() {
        return classWeights == null ? null : classWeights.clone();
    }

    @Override
    Terms terms(INDArray labels, INDArray output, INDArray counted, boolean softmax, boolean gradient) {
        INDArray weighted = classWeights == null ? labels
                : labels.mulRowVector(weightRow(classWeights, labels.size(1), labels.dataType(), "classWeights"));
        INDArray rowWeight = weighted.sum(true, 1);
        double total = rowWeight.sumNumber().doubleValue();
        if (total <= 0) {
            INDArray zeroRows = counted.mul(0);
            return new Terms(0, zeroRows, null, gradient ? output.mul(0) : null);
        }
        INDArray logP = Transforms.log(Transforms.max(output, PROBABILITY_FLOOR, true), false);
        INDArray rowLoss = weighted.mul(logP).sum(true, 1).divi(-total);
        double loss = rowLoss.sumNumber().doubleValue();
        if (!gradient) {
            return new Terms(loss, rowLoss, null, null);
        }
        if (softmax) {
            // d/dz of -sum_c v_c log softmax(z)_c is p * sum_c v_c - v: stable, no division by p.
            INDArray dPre = output.mulColumnVector(rowWeight).subi(weighted).divi(total);
            return new Terms(loss, rowLoss, null, dPre);
        }
        INDArray dOut = weighted.div(Transforms.max(output, PROBABILITY_FLOOR, true)).divi(-total);
        return new Terms(loss, rowLoss, dOut, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelSoftmaxCrossEntropy other && other.pixelsPerExample == pixelsPerExample
                && Arrays.equals(other.classWeights, classWeights);
    }

    @Override
    public int hashCode() {
        return 31 * pixelsPerExample + Arrays.hashCode(classWeights);
    }

    @Override
    public String toString() {
        return "PixelSoftmaxCrossEntropy(pixelsPerExample=" + pixelsPerExample
                + (classWeights == null ? "" : ", classWeights=" + Arrays.toString(classWeights)) + ")";
    }
}
