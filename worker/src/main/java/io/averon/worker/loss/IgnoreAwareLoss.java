package io.averon.worker.loss;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * What the segmentation losses share: the ignore convention, DL4J's masks, and the scale DL4J expects.
 *
 * <p>DL4J hands a loss 2D arrays of shape [rows, classes]: one row per example for a dense output, one row per
 * pixel ({@code n*h*w} rows) behind a {@code CnnLossLayer}. A row whose label vector is all zero is ignored (that is
 * how an ignore label such as 255 is encoded, see {@link PixelLabels}), and so is a row whose DL4J mask is 0. Each
 * subclass computes a loss {@code L} that is already a mean over the rows that count. DL4J then divides whatever a
 * loss returns by the minibatch size (the score in the output layer, the gradient in the updater), so the loss
 * returns {@code E * L} with {@code E = rows / pixelsPerExample} examples: with {@code pixelsPerExample = h*w} the
 * network's score is exactly {@code L}; with 1 (the default) each row counts as an example, which is exact for
 * dense outputs and, behind a {@code CnnLossLayer}, keeps DL4J's own scale of a sum over the pixels of an image.
 */
abstract class IgnoreAwareLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    @JsonProperty("pixelsPerExample")
    protected final int pixelsPerExample;

    IgnoreAwareLoss(int pixelsPerExample) {
        if (pixelsPerExample < 1) {
            throw new IllegalArgumentException("pixelsPerExample must be at least 1, got " + pixelsPerExample);
        }
        this.pixelsPerExample = pixelsPerExample;
    }

    public int pixelsPerExample() {
        return pixelsPerExample;
    }

    /**
     * The mean loss {@code L} over the counted rows, its split over rows, and its derivative, either with respect
     * to the activation's output ({@code dOutput}), to its input ({@code dPreOutput}, when the loss has a closed
     * form through softmax), or both (the two add).
     */
    record Terms(double loss, INDArray rowLoss, INDArray dOutput, INDArray dPreOutput) {
    }

    /**
     * @param labels  [rows, classes], in the output's data type, all-zero rows already include the mask
     * @param output  the activation's output [rows, classes]
     * @param counted [rows, 1], 1 for a row that counts, 0 for an ignored or masked one
     * @param softmax whether the activation is softmax (a closed-form {@code dPreOutput} may then be returned)
     * @param gradient whether derivatives are needed
     */
    abstract Terms terms(INDArray labels, INDArray output, INDArray counted, boolean softmax, boolean gradient);

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        Evaluation e = evaluate(labels, preOutput, activationFn, mask, false);
        return average ? e.terms.loss() : e.examples * e.terms.loss();
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        Evaluation e = evaluate(labels, preOutput, activationFn, mask, false);
        return e.terms.rowLoss().mul(e.examples);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return gradient(evaluate(labels, preOutput, activationFn, mask, true), preOutput, activationFn);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        Evaluation e = evaluate(labels, preOutput, activationFn, mask, true);
        double score = average ? e.terms.loss() : e.examples * e.terms.loss();
        return new Pair<>(score, gradient(e, preOutput, activationFn));
    }

    @Override
    public String name() {
        return toString();
    }

    private record Evaluation(Terms terms, double examples) {
    }

    private Evaluation evaluate(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                                boolean gradient) {
        if (preOutput.rank() != 2 || !Arrays.equals(labels.shape(), preOutput.shape())) {
            throw new IllegalArgumentException(name() + ": labels " + Arrays.toString(labels.shape())
                    + " and network output " + Arrays.toString(preOutput.shape())
                    + " must both be [rows, classes] of the same shape");
        }
        long rows = preOutput.size(0);
        if (rows % pixelsPerExample != 0) {
            throw new IllegalArgumentException(name() + ": " + rows + " rows is not a whole number of examples of "
                    + pixelsPerExample + " pixels; pixelsPerExample must be the output's height*width");
        }
        DataType type = preOutput.dataType();
        INDArray y = labels.dataType() == type ? labels.dup() : labels.castTo(type);
        INDArray counted = y.sum(true, 1).gt(0).castTo(type);
        if (mask != null) {
            if (mask.length() != rows) {
                throw new IllegalArgumentException(name() + ": mask " + Arrays.toString(mask.shape())
                        + " is not one value per row (" + rows + "); per-output masks are not supported");
            }
            counted.muli(mask.reshape(rows, 1).castTo(type));
        }
        y.muliColumnVector(counted);
        INDArray output = activationFn.getActivation(preOutput.dup(), true);
        Terms terms = terms(y, output, counted, activationFn instanceof ActivationSoftmax, gradient);
        return new Evaluation(terms, (double) rows / pixelsPerExample);
    }

    private static INDArray gradient(Evaluation e, INDArray preOutput, IActivation activationFn) {
        INDArray grad = null;
        if (e.terms.dOutput() != null) {
            grad = activationFn.backprop(preOutput.dup(), e.terms.dOutput()).getFirst();
        }
        if (e.terms.dPreOutput() != null) {
            grad = grad == null ? e.terms.dPreOutput() : grad.addi(e.terms.dPreOutput());
        }
        if (grad == null) {
            grad = preOutput.ulike();
            grad.assign(0);
        }
        return grad.muli(e.examples);
    }

    /** A non-negative class weight vector, copied; null stays null (all classes weigh 1). */
    static double[] checkedWeights(double[] weights, String what) {
        if (weights == null) {
            return null;
        }
        for (int c = 0; c < weights.length; c++) {
            if (!(weights[c] >= 0) || Double.isInfinite(weights[c])) {
                throw new IllegalArgumentException(what + "[" + c + "] must be a finite value >= 0, got "
                        + weights[c]);
            }
        }
        return weights.clone();
    }

    /** The weights as a [1, classes] row of {@code type}, checked against the output's class count. */
    static INDArray weightRow(double[] weights, long classes, DataType type, String what) {
        if (weights.length != classes) {
            throw new IllegalArgumentException(what + " has " + weights.length + " entries but the output has "
                    + classes + " classes");
        }
        return org.nd4j.linalg.factory.Nd4j.create(weights, new long[] {1, weights.length}, DataType.DOUBLE)
                .castTo(type);
    }
}
