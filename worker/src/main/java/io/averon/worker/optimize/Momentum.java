package io.averon.worker.optimize;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Map;
import java.util.Objects;

/**
 * Classic (heavy-ball) SGD momentum as a DL4J updater configuration: {@code v = mu * v + g; param -= lr * v}, the
 * form PyTorch's {@code SGD(momentum=mu)} uses, which DL4J 1.0.0-M2.1 lacks (it has only Nesterov momentum). The
 * learning rate is either fixed or an {@link ISchedule}; the velocity {@code v} is the updater state (one value per
 * parameter), so it travels with Averon's checkpoints and parameter-server updater state like any DL4J updater's.
 * Because the learning rate multiplies {@code v} at each step rather than being folded into it, changing the rate
 * (a schedule) takes effect immediately and does not rescale the accumulated velocity.
 */
public final class Momentum implements IUpdater {
    /** Name of the single state array, as {@link #instantiate(Map, boolean)} expects it. */
    public static final String VELOCITY = "V";

    @JsonProperty("learningRate")
    private double learningRate;
    @JsonProperty("learningRateSchedule")
    private ISchedule learningRateSchedule;
    @JsonProperty("momentum")
    private final double momentum;

    /**
     * @param learningRate fixed learning rate, positive
     * @param momentum     momentum coefficient mu, in [0, 1)
     */
    public Momentum(double learningRate, double momentum) {
        this(learningRate, null, momentum);
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive and finite, got " + learningRate);
        }
    }

    /**
     * @param learningRateSchedule learning rate by iteration/epoch
     * @param momentum             momentum coefficient mu, in [0, 1)
     */
    public Momentum(ISchedule learningRateSchedule, double momentum) {
        this(Double.NaN, Objects.requireNonNull(learningRateSchedule, "learningRateSchedule"), momentum);
    }

    @JsonCreator
    private Momentum(@JsonProperty("learningRate") double learningRate,
                     @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                     @JsonProperty("momentum") double momentum) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.learningRate = learningRate;
        this.learningRateSchedule = learningRateSchedule;
        this.momentum = momentum;
    }

    public double getMomentum() {
        return momentum;
    }

    /** The fixed learning rate, or NaN when a schedule sets it. */
    public double getLearningRate() {
        return learningRate;
    }

    /** The learning-rate schedule, or null when the rate is fixed. */
    public ISchedule getLearningRateSchedule() {
        return learningRateSchedule;
    }

    @Override
    public long stateSize(long numParams) {
        return numParams;
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        MomentumUpdater updater = new MomentumUpdater(this);
        updater.setStateViewArray(viewArray, viewArray.shape(), viewArray.ordering(), initializeViewArray);
        return updater;
    }

    @Override
    public GradientUpdater instantiate(Map<String, INDArray> state, boolean initializeState) {
        MomentumUpdater updater = new MomentumUpdater(this);
        updater.setState(state, initializeState);
        return updater;
    }

    @Override
    public Momentum clone() {
        return new Momentum(learningRate, learningRateSchedule == null ? null : learningRateSchedule.clone(), momentum);
    }

    @Override
    public double getLearningRate(int iteration, int epoch) {
        return learningRateSchedule != null ? learningRateSchedule.valueAt(iteration, epoch) : learningRate;
    }

    @Override
    public boolean hasLearningRate() {
        return true;
    }

    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        this.learningRate = lr;
        this.learningRateSchedule = lrSchedule;
    }

    @Override
    public boolean equals(Object o) {
        // DL4J groups parameters into one updater block only when their updater configurations are equal.
        if (this == o) {
            return true;
        }
        if (!(o instanceof Momentum other)) {
            return false;
        }
        return Double.compare(learningRate, other.learningRate) == 0
                && Double.compare(momentum, other.momentum) == 0
                && Objects.equals(learningRateSchedule, other.learningRateSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(learningRate, learningRateSchedule, momentum);
    }

    @Override
    public String toString() {
        return "Momentum(learningRate=" + (learningRateSchedule != null ? learningRateSchedule : learningRate)
                + ", momentum=" + momentum + ")";
    }
}
