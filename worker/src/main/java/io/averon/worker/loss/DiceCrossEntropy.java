package io.averon.worker.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonInclude;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * {@link PixelSoftmaxCrossEntropy} plus {@code diceWeight} times {@link DiceLoss}: cross-entropy's per-pixel
 * gradient signal with Dice's insensitivity to class imbalance, as commonly used for medical and foreground
 * segmentation. Both parts ignore all-zero label rows; the scale is that of {@link IgnoreAwareLoss}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class DiceCrossEntropy extends IgnoreAwareLoss {
    private static final long serialVersionUID = 1L;

    @JsonProperty("diceWeight")
    private final double diceWeight;
    @JsonProperty("smooth")
    private final double smooth;
    @JsonProperty("classWeights")
    private final double[] classWeights;
    @JsonIgnore
    private final PixelSoftmaxCrossEntropy crossEntropy;
    @JsonIgnore
    private final DiceLoss dice;

    /** Equal parts, smooth term 1, unweighted cross-entropy. */
    public DiceCrossEntropy(int pixelsPerExample) {
        this(1.0, 1.0, null, pixelsPerExample);
    }

    /**
     * @param diceWeight       weight of the Dice term (the cross-entropy term weighs 1), >= 0
     * @param smooth           Dice smooth term, > 0
     * @param classWeights     cross-entropy class weights, or null
     * @param pixelsPerExample rows per example: the output's h*w behind a CnnLossLayer, 1 for a dense output
     */
    @JsonCreator
    public DiceCrossEntropy(@JsonProperty("diceWeight") double diceWeight, @JsonProperty("smooth") double smooth,
                            @JsonProperty("classWeights") double[] classWeights,
                            @JsonProperty("pixelsPerExample") int pixelsPerExample) {
        super(pixelsPerExample);
        if (!(diceWeight >= 0) || Double.isInfinite(diceWeight)) {
            throw new IllegalArgumentException("diceWeight must be a finite value >= 0, got " + diceWeight);
        }
        this.diceWeight = diceWeight;
        this.smooth = smooth;
        this.classWeights = checkedWeights(classWeights, "classWeights");
        this.crossEntropy = new PixelSoftmaxCrossEntropy(pixelsPerExample, classWeights);
        this.dice = new DiceLoss(smooth, pixelsPerExample);
    }

    public double diceWeight() {
        return diceWeight;
    }

    @Override
    Terms terms(INDArray labels, INDArray output, INDArray counted, boolean softmax, boolean gradient) {
        Terms ce = crossEntropy.terms(labels, output, counted, softmax, gradient);
        Terms d = dice.terms(labels, output, counted, softmax, gradient);
        INDArray rowLoss = ce.rowLoss().add(d.rowLoss().mul(diceWeight));
        double loss = ce.loss() + diceWeight * d.loss();
        if (!gradient) {
            return new Terms(loss, rowLoss, null, null);
        }
        INDArray dOut = d.dOutput().mul(diceWeight);
        if (ce.dOutput() != null) {
            dOut.addi(ce.dOutput());
        }
        return new Terms(loss, rowLoss, dOut, ce.dPreOutput());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiceCrossEntropy other && other.pixelsPerExample == pixelsPerExample
                && Double.compare(other.diceWeight, diceWeight) == 0 && Double.compare(other.smooth, smooth) == 0
                && Arrays.equals(other.classWeights, classWeights);
    }

    @Override
    public int hashCode() {
        return ((31 * pixelsPerExample + Double.hashCode(diceWeight)) * 31 + Double.hashCode(smooth)) * 31
                + Arrays.hashCode(classWeights);
    }

    @Override
    public String toString() {
        return "DiceCrossEntropy(diceWeight=" + diceWeight + ", smooth=" + smooth
                + (classWeights == null ? "" : ", classWeights=" + Arrays.toString(classWeights))
                + ", pixelsPerExample=" + pixelsPerExample + ")";
    }
}
