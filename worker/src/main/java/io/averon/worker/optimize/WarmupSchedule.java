package io.averon.worker.optimize;

import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * Linear learning-rate warm-up in front of any DL4J schedule, as used with large global batches (Goyal et al.,
 * "Accurate, Large Minibatch SGD"): over the first {@code warmupIterations} iterations the value is the wrapped
 * schedule's times a factor rising linearly from {@code startFactor} (at iteration 0) to 1 (at iteration W); from
 * iteration W on it is the wrapped schedule's value.
 *
 * <p>How the wrapped schedule counts, chosen by {@code restartBase}:
 * <ul>
 *   <li>{@code false} (the wrapped schedule keeps the network's count): value(i) = f(i) * base(i) for i &lt; W and
 *       base(i) after. The warm-up only scales the first W iterations; an iteration-based cosine over N iterations
 *       still ends at iteration N.</li>
 *   <li>{@code true} (the wrapped schedule starts after the warm-up): value(i) = f(i) * base(0) for i &lt; W and
 *       base(i - W) after, so the whole wrapped schedule runs after the warm-up (a cosine over N iterations ends
 *       at W + N).</li>
 * </ul>
 * Here f(i) = startFactor + (1 - startFactor) * i / W. Only the iteration is shifted; the epoch is passed to the
 * wrapped schedule unchanged, so epoch-based schedules behave the same either way.
 *
 * <p>DL4J's {@code RampSchedule} was not reused: its ramp is fixed at (i + 1) / W (no start factor, no choice of
 * counting), and it has neither a Jackson creator nor {@code equals}, so a configuration holding it does not read back
 * from JSON.
 */
public final class WarmupSchedule implements ISchedule {
    @JsonProperty("baseSchedule")
    private final ISchedule baseSchedule;
    @JsonProperty("warmupIterations")
    private final int warmupIterations;
    @JsonProperty("startFactor")
    private final double startFactor;
    @JsonProperty("restartBase")
    private final boolean restartBase;

    /**
     * @param baseSchedule     the schedule after (and scaled during) the warm-up
     * @param warmupIterations W, positive
     * @param startFactor      the factor at iteration 0, in [0, 1]
     * @param restartBase      true if the wrapped schedule counts iterations from the end of the warm-up
     */
    @JsonCreator
    public WarmupSchedule(@JsonProperty("baseSchedule") ISchedule baseSchedule,
                          @JsonProperty("warmupIterations") int warmupIterations,
                          @JsonProperty("startFactor") double startFactor,
                          @JsonProperty("restartBase") boolean restartBase) {
        if (baseSchedule == null) {
            throw new IllegalArgumentException("warm-up needs a base schedule, got null");
        }
        if (warmupIterations <= 0) {
            throw new IllegalArgumentException("warmupIterations must be positive, got " + warmupIterations);
        }
        if (!(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("warm-up startFactor must be in [0, 1], got " + startFactor);
        }
        this.baseSchedule = baseSchedule;
        this.warmupIterations = warmupIterations;
        this.startFactor = startFactor;
        this.restartBase = restartBase;
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        if (iteration >= warmupIterations) {
            return baseSchedule.valueAt(restartBase ? iteration - warmupIterations : iteration, epoch);
        }
        double factor = startFactor + (1 - startFactor) * iteration / warmupIterations;
        return factor * baseSchedule.valueAt(restartBase ? 0 : iteration, epoch);
    }

    public ISchedule getBaseSchedule() {
        return baseSchedule;
    }

    public int getWarmupIterations() {
        return warmupIterations;
    }

    public double getStartFactor() {
        return startFactor;
    }

    public boolean isRestartBase() {
        return restartBase;
    }

    @Override
    public WarmupSchedule clone() {
        return new WarmupSchedule(baseSchedule.clone(), warmupIterations, startFactor, restartBase);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WarmupSchedule other
                && warmupIterations == other.warmupIterations
                && Double.compare(startFactor, other.startFactor) == 0
                && restartBase == other.restartBase
                && baseSchedule.equals(other.baseSchedule);
    }

    @Override
    public int hashCode() {
        return Objects.hash(baseSchedule, warmupIterations, startFactor, restartBase);
    }

    @Override
    public String toString() {
        return "WarmupSchedule(" + warmupIterations + " iterations from x" + startFactor
                + (restartBase ? ", then restarted " : ", then ") + baseSchedule + ")";
    }
}
