package io.averon.worker.optimize;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * The layer-wise half of LARS (You, Gitman and Ginsburg, "Large Batch Training of Convolutional Networks", 2017) as a
 * DL4J regularization that runs before the updater: for each weight tensor {@code w} with gradient {@code g} it
 * replaces the gradient by {@code trust * (g + wd * w)}, {@code trust = eta * ||w|| / (||g|| + wd * ||w|| + eps)}
 * (1 when either norm is 0), and the heavy-ball {@link Momentum} updater then does {@code v = mu * v + g';
 * w -= lr * v}. It is a regularization rather than an updater because DL4J's {@code UpdaterBlock} runs one updater
 * over a block of many tensors (a whole layer, often several layers) but hands each regularization a single
 * parameter tensor with its own gradient view, which is exactly the granularity the trust ratio needs; and because
 * DL4J looks a tensor's regularization up through the layer ({@code BaseLayer.getRegularizationByParam}: the weight
 * list for weights, the bias list for biases, nothing at all for batch-norm gamma and beta), putting it on the weight
 * list only is what exempts biases and batch-norm parameters from both the adaptation and the decay. Being part of
 * the network configuration, it runs identically in a single-JVM {@code fit} and in the parameter server's update
 * rule, and it holds no state: the velocity is {@link Momentum}'s, in DL4J's updater state.
 */
public final class LarsTrustRatio implements Regularization {
    private static final long serialVersionUID = 1L;

    @JsonProperty("trustCoefficient")
    private final double trustCoefficient;
    @JsonProperty("weightDecay")
    private final double weightDecay;
    @JsonProperty("epsilon")
    private final double epsilon;

    /**
     * @param trustCoefficient eta, positive (the paper uses 0.001)
     * @param weightDecay      wd, zero or positive: coupled into the gradient before the trust ratio scales it
     * @param epsilon          denominator guard, zero or positive
     */
    @JsonCreator
    public LarsTrustRatio(@JsonProperty("trustCoefficient") double trustCoefficient,
                          @JsonProperty("weightDecay") double weightDecay,
                          @JsonProperty("epsilon") double epsilon) {
        if (!(trustCoefficient > 0) || Double.isInfinite(trustCoefficient)) {
            throw new IllegalArgumentException("LARS trust coefficient must be positive and finite, got "
                    + trustCoefficient);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("LARS weight decay must be zero or positive and finite, got "
                    + weightDecay);
        }
        if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("LARS epsilon must be zero or positive and finite, got " + epsilon);
        }
        this.trustCoefficient = trustCoefficient;
        this.weightDecay = weightDecay;
        this.epsilon = epsilon;
    }

    public double getTrustCoefficient() {
        return trustCoefficient;
    }

    public double getWeightDecay() {
        return weightDecay;
    }

    public double getEpsilon() {
        return epsilon;
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.BEFORE_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        // Both norms are taken before the decay enters the gradient: the paper's ratio uses ||g||, not ||g + wd w||.
        double paramNorm = param.norm2Number().doubleValue();
        double gradNorm = gradView.norm2Number().doubleValue();
        if (weightDecay > 0) {
            Nd4j.exec(new Axpy(param, gradView, gradView, weightDecay));
        }
        if (paramNorm > 0 && gradNorm > 0) {
            gradView.muli(trustCoefficient * paramNorm / (gradNorm + weightDecay * paramNorm + epsilon));
        }
    }

    /** The decay is part of the step rule, not of the loss: the reported score stays the data loss. */
    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0;
    }

    @Override
    public LarsTrustRatio clone() {
        return new LarsTrustRatio(trustCoefficient, weightDecay, epsilon);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LarsTrustRatio other
                && Double.compare(trustCoefficient, other.trustCoefficient) == 0
                && Double.compare(weightDecay, other.weightDecay) == 0
                && Double.compare(epsilon, other.epsilon) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(trustCoefficient, weightDecay, epsilon);
    }

    @Override
    public String toString() {
        return "LarsTrustRatio(eta=" + trustCoefficient + ", weightDecay=" + weightDecay + ", epsilon=" + epsilon + ")";
    }
}
