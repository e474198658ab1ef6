package io.averon.worker.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Soft Dice loss over the whole batch: {@code 1 - mean_c (2 sum_i p_ic y_ic + s) / (sum_i p_ic + sum_i y_ic + s)}
 * with smooth term {@code s}, sums over the counted pixels of the minibatch. It optimises overlap directly and so
 * is insensitive to how many pixels the background takes. Ignored pixels (all-zero label rows, see
 * {@link PixelLabels}) are left out of every sum, predictions included. A class absent from both labels and
 * predictions scores 1 thanks to {@code s}. Dice is not a sum over pixels: its per-row scores
 * ({@code computeScoreArray}) spread the batch loss evenly over the counted pixels.
 */
public final class DiceLoss extends IgnoreAwareLoss {
    private static final long serialVersionUID = 1L;

    @JsonProperty("smooth")
    private final double smooth;

    /** Smooth term 1, one example per row. */
    public DiceLoss() {
        this(1.0, 1);
    }

    /**
     * @param smooth           added to numerator and denominator, > 0
     * @param pixelsPerExample rows per example: the output's h*w behind a CnnLossLayer, 1 for a dense output
     */
    @JsonCreator
    public DiceLoss(@JsonProperty("smooth") double smooth, @JsonProperty("pixelsPerExample") int pixelsPerExample) {
        super(pixelsPerExample);
        if (!(smooth > 0) || Double.isInfinite(smooth)) {
            throw new IllegalArgumentException("Dice smooth term must be a finite value > 0, got " + smooth);
        }
        this.smooth = smooth;
    }

    public double smooth() {
        return smooth;
    }

    @Override
    Terms terms(INDArray labels, INDArray output, INDArray counted, boolean softmax, boolean gradient) {
        double rows = counted.sumNumber().doubleValue();
        if (rows <= 0) {
            return new Terms(0, counted.mul(0), gradient ? output.mul(0) : null, null);
        }
        long classes = output.size(1);
        INDArray p = output.mulColumnVector(counted);
        INDArray intersection = p.mul(labels).sum(true, 0);
        INDArray denominator = p.sum(true, 0).addi(labels.sum(true, 0)).addi(smooth);
        INDArray numerator = intersection.mul(2).addi(smooth);
        double loss = 1 - numerator.div(denominator).sumNumber().doubleValue() / classes;
        INDArray rowLoss = counted.mul(loss / rows);
        if (!gradient) {
            return new Terms(loss, rowLoss, null, null);
        }
        // d/dp_ic of -(1/C) (2 I_c + s) / (S_c + s) = -(1/C) (2 y_ic (S_c + s) - (2 I_c + s)) / (S_c + s)^2
        INDArray a = denominator.rdiv(2);
        INDArray b = numerator.div(denominator.mul(denominator));
        INDArray dOut = labels.mulRowVector(a).subiRowVector(b).muliColumnVector(counted).divi(-classes);
        return new Terms(loss, rowLoss, dOut, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiceLoss other && other.pixelsPerExample == pixelsPerExample
                && Double.compare(other.smooth, smooth) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * pixelsPerExample + Double.hashCode(smooth);
    }

    @Override
    public String toString() {
        return "DiceLoss(smooth=" + smooth + ", pixelsPerExample=" + pixelsPerExample + ")";
    }
}
