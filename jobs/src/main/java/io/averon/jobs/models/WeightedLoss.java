package io.averon.jobs.models;

import java.util.Objects;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * A loss function scaled by a constant: score and gradient of the wrapped loss, both multiplied by {@code weight}.
 * A DL4J {@code ComputationGraph} adds the losses of its outputs with equal weight; wrapping an auxiliary output's
 * loss in this class gives it a smaller share, e.g. GoogLeNet's auxiliary classifiers at 0.3 of the main one.
 * Serialises to and from DL4J's configuration JSON.
 */
public final class WeightedLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    @JsonProperty("loss")
    private final ILossFunction loss;
    @JsonProperty("weight")
    private final double weight;

    @JsonCreator
    public WeightedLoss(@JsonProperty("loss") ILossFunction loss, @JsonProperty("weight") double weight) {
        Objects.requireNonNull(loss, "WeightedLoss loss must not be null");
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("WeightedLoss weight must be a finite number > 0, got " + weight);
        }
        this.loss = loss;
        this.weight = weight;
    }

    public ILossFunction loss() {
        return loss;
    }

    public double weight() {
        return weight;
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        return weight * loss.computeScore(labels, preOutput, activationFn, mask, average);
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return loss.computeScoreArray(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return loss.computeGradient(labels, preOutput, activationFn, mask).muli(weight);
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask,
                                                          boolean average) {
        Pair<Double, INDArray> inner = loss.computeGradientAndScore(labels, preOutput, activationFn, mask, average);
        return new Pair<>(weight * inner.getFirst(), inner.getSecond().muli(weight));
    }

    @Override
    public String name() {
        return "WeightedLoss(" + weight + " x " + loss.name() + ")";
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WeightedLoss that && that.weight == weight && that.loss.equals(loss);
    }

    @Override
    public int hashCode() {
        return 31 * loss.hashCode() + Double.hashCode(weight);
    }

    @Override
    public String toString() {
        return name();
    }
}
