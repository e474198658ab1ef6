package io.averon.worker.optimize;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Cosine annealing (Loshchilov and Hutter's SGDR without restarts) as a DL4J schedule: the value falls from
 * {@code initialValue} to {@code minValue} along half a cosine over {@code period} iterations or epochs,
 * {@code min + (initial - min) * (1 + cos(pi * t / period)) / 2}, and stays at {@code minValue} for
 * {@code t >= period}. {@code t} is the iteration or the epoch number DL4J passes, according to the schedule type,
 * both counted from 0.
 */
public final class CosineSchedule implements ISchedule {
    @JsonProperty("scheduleType")
    private final ScheduleType scheduleType;
    @JsonProperty("initialValue")
    private final double initialValue;
    @JsonProperty("minValue")
    private final double minValue;
    @JsonProperty("period")
    private final int period;

    /**
     * @param scheduleType whether {@code t} counts iterations or epochs
     * @param initialValue value at t = 0
     * @param minValue     value from t = period on; may exceed initialValue (a cosine ramp up) but usually does not
     * @param period       number of iterations or epochs the annealing takes, positive
     */
    @JsonCreator
    public CosineSchedule(@JsonProperty("scheduleType") ScheduleType scheduleType,
                          @JsonProperty("initialValue") double initialValue,
                          @JsonProperty("minValue") double minValue,
                          @JsonProperty("period") int period) {
        if (scheduleType == null) {
            throw new IllegalArgumentException("scheduleType must be ITERATION or EPOCH, got null");
        }
        if (!Double.isFinite(initialValue) || !Double.isFinite(minValue)) {
            throw new IllegalArgumentException("cosine schedule values must be finite, got initialValue="
                    + initialValue + " minValue=" + minValue);
        }
        if (period <= 0) {
            throw new IllegalArgumentException("cosine schedule period must be positive, got " + period);
        }
        this.scheduleType = scheduleType;
        this.initialValue = initialValue;
        this.minValue = minValue;
        this.period = period;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        int t = scheduleType == ScheduleType.ITERATION ? iteration : epoch;
        if (t >= period) {
            return minValue;
        }
        return minValue + (initialValue - minValue) * 0.5 * (1 + Math.cos(Math.PI * t / period));
    }

    public ScheduleType getScheduleType() {
        return scheduleType;
    }

    public double getInitialValue() {
        return initialValue;
    }

    public double getMinValue() {
        return minValue;
    }

    public int getPeriod() {
        return period;
    }

    @Override
    public CosineSchedule clone() {
        return new CosineSchedule(scheduleType, initialValue, minValue, period);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CosineSchedule other
                && scheduleType == other.scheduleType
                && Double.compare(initialValue, other.initialValue) == 0
                && Double.compare(minValue, other.minValue) == 0
                && period == other.period;
    }

    @Override
    public int hashCode() {
        return Objects.hash(scheduleType, initialValue, minValue, period);
    }

    @Override
    public String toString() {
        return "CosineSchedule(" + scheduleType + ", " + initialValue + " -> " + minValue + " over " + period + ")";
    }
}
