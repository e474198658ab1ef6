package io.averon.worker.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * Focal loss (Lin et al., 2017) of softmax outputs: {@code -alpha[y] * (1 - p[y])^gamma * log p[y]}, the mean over
 * counted rows. It down-weights examples the network already gets right, for class-imbalanced classification
 * ([n, classes]) or segmentation (per pixel behind a {@code CnnLossLayer}). Labels are one-hot; an all-zero label
 * row is ignored, as in {@link PixelSoftmaxCrossEntropy}. With {@code gamma = 0} and no alpha it is cross-entropy.
 * The mean is over counted rows, not over alpha (alpha reweights classes as in the paper).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class FocalLoss extends IgnoreAwareLoss {
    private static final long serialVersionUID = 1L;
    /** Keeps log p finite and (1 - p)^(gamma - 1) defined for gamma below 1. */
    private static final double CLAMP = 1e-7;

    @JsonProperty("gamma")
    private final double gamma;
    @JsonProperty("alpha")
    private final double[] alpha;

    /** The paper's gamma = 2, no alpha, one example per row. */
    public FocalLoss() {
        this(2.0, null, 1);
    }

    /**
     * @param gamma            focusing exponent, >= 0
     * @param alpha            one non-negative weight per class, or null for 1
     * @param pixelsPerExample rows per example: the output's h*w behind a CnnLossLayer, 1 for a dense output
     */
    @JsonCreator
    public FocalLoss(@JsonProperty("gamma") double gamma, @JsonProperty("alpha") double[] alpha,
                     @JsonProperty("pixelsPerExample") int pixelsPerExample) {
        super(pixelsPerExample);
        if (!(gamma >= 0) || Double.isInfinite(gamma)) {
            throw new IllegalArgumentException("focal loss gamma must be a finite value >= 0, got " + gamma);
        }
        this.gamma = gamma;
        this.alpha = checkedWeights(alpha, "alpha");
    }

    public double gamma() {
        return gamma;
    }

    public double[] alpha() {
        return alpha == null ? null : alpha.clone();
    }

    @Override
    Terms terms(INDArray labels, INDArray output, INDArray counted, boolean softmax, boolean gradient) {
        double rows = counted.sumNumber().doubleValue();
        if (rows <= 0) {
            return new Terms(0, counted.mul(0), gradient ? output.mul(0) : null, null);
        }
        INDArray weighted = alpha == null ? labels
                : labels.mulRowVector(weightRow(alpha, labels.size(1), labels.dataType(), "alpha"));
        INDArray p = Transforms.min(Transforms.max(output, CLAMP, true), 1 - CLAMP, false);
        INDArray q = p.rsub(1);
        INDArray logP = Transforms.log(p, true);
        INDArray focus = Transforms.pow(q, gamma, true);
        INDArray rowLoss = weighted.mul(focus).muli(logP).sum(true, 1).divi(-rows);
        double loss = rowLoss.sumNumber().doubleValue();
        if (!gradient) {
            return new Terms(loss, rowLoss, null, null);
        }
        // d/dp of -(1-p)^g log p = g (1-p)^(g-1) log p - (1-p)^g / p
        INDArray dOut = Transforms.pow(q, gamma - 1, true).muli(logP).muli(gamma)
                .subi(focus.div(p))
                .muli(weighted)
                .divi(rows);
        return new Terms(loss, rowLoss, dOut, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FocalLoss other && other.pixelsPerExample == pixelsPerExample
                && Double.compare(other.gamma, gamma) == 0 && Arrays.equals(other.alpha, alpha);
    }

    @Override
    public int hashCode() {
        return (31 * pixelsPerExample + Double.hashCode(gamma)) * 31 + Arrays.hashCode(alpha);
    }

    @Override
    public String toString() {
        return "FocalLoss(gamma=" + gamma + (alpha == null ? "" : ", alpha=" + Arrays.toString(alpha))
                + ", pixelsPerExample=" + pixelsPerExample + ")";
    }
}
