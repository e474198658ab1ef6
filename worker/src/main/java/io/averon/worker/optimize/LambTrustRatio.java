package io.averon.worker.optimize;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * The layer-wise half of LAMB (You et al., "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * 2019) as a DL4J regularization that runs after DL4J's {@code Adam} updater. Adam leaves {@code lr * r} in the
 * gradient view, {@code r} being its bias-corrected ratio {@code m / (sqrt(v) + eps)} (DL4J adds {@code eps} to the
 * uncorrected {@code sqrt(v)}, so the paper's epsilon is {@code eps / sqrt(1 - beta2^t)} here; with the usual 1e-6 to
 * 1e-8 the difference is below float precision for non-negligible gradients). This forms
 * {@code U = lr * r + lr * wd * w = lr * u} and rescales it to the LAMB step
 * {@code lr * trust * u = (lr * ||w|| / ||U||) * U}, {@code trust = ||w|| / ||u||} (1 when either norm is 0), so
 * the learning rate is never divided out. Why a regularization and not an updater (DL4J hands regularizations one
 * tensor at a time, updaters a whole block), and why only weights get it (biases and batch-norm gamma/beta are looked
 * up elsewhere and take plain Adam without decay), is explained on {@link LarsTrustRatio}; it holds no state, Adam's
 * moments being DL4J's updater state.
 */
public final class LambTrustRatio implements Regularization {
    private static final long serialVersionUID = 1L;

    @JsonProperty("weightDecay")
    private final double weightDecay;

    /** @param weightDecay wd, zero or positive: decoupled, added to Adam's ratio before the trust ratio is taken */
    @JsonCreator
    public LambTrustRatio(@JsonProperty("weightDecay") double weightDecay) {
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("LAMB weight decay must be zero or positive and finite, got "
                    + weightDecay);
        }
        this.weightDecay = weightDecay;
    }

    public double getWeightDecay() {
        return weightDecay;
    }

    @Override
    public ApplyStep applyStep() {
        return ApplyStep.POST_UPDATER;
    }

    @Override
    public void apply(INDArray param, INDArray gradView, double lr, int iteration, int epoch) {
        if (weightDecay > 0) {
            Nd4j.exec(new Axpy(param, gradView, gradView, lr * weightDecay));
        }
        double paramNorm = param.norm2Number().doubleValue();
        double stepNorm = gradView.norm2Number().doubleValue();
        if (paramNorm > 0 && stepNorm > 0) {
            gradView.muli(lr * paramNorm / stepNorm);
        }
    }

    /** The decay is part of the step rule, not of the loss: the reported score stays the data loss. */
    @Override
    public double score(INDArray param, int iteration, int epoch) {
        return 0;
    }

    @Override
    public LambTrustRatio clone() {
        return new LambTrustRatio(weightDecay);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LambTrustRatio other && Double.compare(weightDecay, other.weightDecay) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(weightDecay);
    }

    @Override
    public String toString() {
        return "LambTrustRatio(weightDecay=" + weightDecay + ")";
    }
}
