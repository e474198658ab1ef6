package io.averon.worker.optimize;

import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * DL4J's AdaGrad with a {@code clone()} that keeps the learning-rate schedule. In DL4J 1.0.0-M2.1
 * {@code AdaGrad.clone()} copies only the fixed learning rate and epsilon, and the configuration builder clones the
 * updater into every layer, so an AdaGrad built with a schedule trains with a NaN learning rate. Behaviour and JSON
 * otherwise are AdaGrad's (same updater, same state); it compares equal to an AdaGrad with the same settings.
 */
public final class ScheduledAdaGrad extends AdaGrad {
    private static final long serialVersionUID = 1L;

    /**
     * @param learningRateSchedule the learning rate by iteration/epoch
     * @param epsilon              denominator guard, positive
     */
    public ScheduledAdaGrad(ISchedule learningRateSchedule, double epsilon) {
        super(learningRateSchedule, epsilon);
    }

    // Takes the fixed rate too: DL4J's setLrAndSchedule may replace the schedule by a fixed rate.
    @JsonCreator
    private ScheduledAdaGrad(@JsonProperty("learningRate") double learningRate,
                             @JsonProperty("learningRateSchedule") ISchedule learningRateSchedule,
                             @JsonProperty("epsilon") double epsilon) {
        super(learningRateSchedule, epsilon);
        setLearningRate(learningRate);
    }

    @Override
    public ScheduledAdaGrad clone() {
        ISchedule schedule = getLearningRateSchedule();
        return new ScheduledAdaGrad(getLearningRate(), schedule == null ? null : schedule.clone(), getEpsilon());
    }
}
