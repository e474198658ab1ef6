package io.averon.worker.optimize;

import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.List;
import java.util.Locale;

/**
 * Builds the learning-rate schedules a training job names in its configuration, as DL4J {@link ISchedule}s that any
 * updater accepts and that survive DL4J's configuration JSON, and holds the linear scaling rule for data-parallel
 * training. Kinds ({@code t} is the iteration or epoch number according to {@code unit}, counted from 0):
 * <ul>
 *   <li>{@code fixed}: {@code lr}</li>
 *   <li>{@code step}: {@code lr * decay^floor(t / period)} (DL4J {@link StepSchedule})</li>
 *   <li>{@code exponential}: {@code lr * decay^t} (DL4J {@link ExponentialSchedule})</li>
 *   <li>{@code cosine}: from {@code lr} to {@code minLr} over {@code period} ({@link CosineSchedule})</li>
 * </ul>
 * Any of them may be preceded by a linear warm-up ({@link WarmupSchedule}, counted in iterations, the wrapped schedule
 * keeping the network's own iteration count).
 */
public final class LearningRates {
    /** The schedule kinds {@link #of} accepts. */
    public static final List<String> KINDS = List.of("fixed", "step", "exponential", "cosine");

    private LearningRates() {
    }

    /**
     * A schedule without warm-up; see {@link #of(String, double, ScheduleType, int, double, double, int, double)}.
     */
    public static ISchedule of(String kind, double lr, ScheduleType unit, int period, double decay, double minLr) {
        return of(kind, lr, unit, period, decay, minLr, 0, 1.0);
    }

    /**
     * @param kind              one of {@link #KINDS}, case-insensitive
     * @param lr                the initial (peak) learning rate, positive
     * @param unit              whether {@code t} counts iterations or epochs (ignored for {@code fixed})
     * @param period            step: iterations/epochs between decays; cosine: length of the annealing; otherwise
     *                          ignored
     * @param decay             step: factor applied every period; exponential: factor applied every iteration/epoch;
     *                          otherwise ignored. In (0, 1] for a decaying rate
     * @param minLr             cosine: the final learning rate; otherwise ignored
     * @param warmupIterations  0 for no warm-up, else the warm-up length W in iterations
     * @param warmupStartFactor the warm-up starts at {@code warmupStartFactor} times the schedule's value, in [0, 1]
     * @throws IllegalArgumentException for an unknown kind or an argument the kind needs that is out of range
     */
    public static ISchedule of(String kind, double lr, ScheduleType unit, int period, double decay, double minLr,
                               int warmupIterations, double warmupStartFactor) {
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + lr);
        }
        if (warmupIterations < 0) {
            throw new IllegalArgumentException("warmupIterations must be 0 (none) or positive, got " + warmupIterations);
        }
        String k = kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
        ISchedule base = switch (k) {
            case "fixed" -> new FixedSchedule(lr);
            case "step" -> {
                requireUnit(k, unit);
                requirePeriod(k, period);
                requireDecay(k, decay);
                yield new StepSchedule(unit, lr, decay, period);
            }
            case "exponential" -> {
                requireUnit(k, unit);
                requireDecay(k, decay);
                yield new ExponentialSchedule(unit, lr, decay);
            }
            case "cosine" -> {
                requireUnit(k, unit);
                requirePeriod(k, period);
                if (!(minLr >= 0 && minLr <= lr)) {
                    throw new IllegalArgumentException("cosine minLr must be in [0, lr=" + lr + "], got " + minLr);
                }
                yield new CosineSchedule(unit, lr, minLr, period);
            }
            default -> throw new IllegalArgumentException("unknown learning-rate schedule \"" + kind
                    + "\"; valid kinds are " + KINDS);
        };
        return warmupIterations == 0 ? base : withWarmup(base, warmupIterations, warmupStartFactor);
    }

    /** {@code base} preceded by a linear warm-up over {@code iterations}, base keeping the network's count. */
    public static ISchedule withWarmup(ISchedule base, int iterations, double startFactor) {
        return new WarmupSchedule(base, iterations, startFactor, false);
    }

    /**
     * The square-root scaling rule for adaptive optimizers (Adam and kin: Hoffer et al. 2017, Malladi et al. 2022):
     * when the global batch grows k-fold, the learning rate grows sqrt(k)-fold, {@code baseLr * sqrt(globalBatch /
     * baseGlobalBatch)}, since their steps are normalised by the gradient's second moment, whose noise falls with the
     * square root of the batch.
     *
     * @param baseLr          the learning rate tuned for {@code baseGlobalBatch}
     * @param baseGlobalBatch the global batch size baseLr was tuned for
     * @param globalBatch     the global batch size of this job (per-worker batch times workers)
     */
    public static double sqrtScaling(double baseLr, int baseGlobalBatch, int globalBatch) {
        double linear = linearScaling(baseLr, baseGlobalBatch, globalBatch);
        return baseLr * Math.sqrt(linear / baseLr);
    }

    /**
     * The linear scaling rule (Goyal et al. 2017): when the global batch grows k-fold, so does the learning rate,
     * {@code baseLr * globalBatch / baseGlobalBatch}. Usually combined with a warm-up.
     *
     * @param baseLr          the learning rate tuned for {@code baseGlobalBatch}
     * @param baseGlobalBatch the global batch size baseLr was tuned for
     * @param globalBatch     the global batch size of this job (per-worker batch times workers)
     */
    public static double linearScaling(double baseLr, int baseGlobalBatch, int globalBatch) {
        if (!(baseLr > 0) || Double.isInfinite(baseLr)) {
            throw new IllegalArgumentException("baseLr must be positive and finite, got " + baseLr);
        }
        if (baseGlobalBatch <= 0) {
            throw new IllegalArgumentException("baseGlobalBatch must be positive, got " + baseGlobalBatch);
        }
        if (globalBatch <= 0) {
            throw new IllegalArgumentException("globalBatch must be positive, got " + globalBatch);
        }
        return baseLr * globalBatch / baseGlobalBatch;
    }

    private static void requireUnit(String kind, ScheduleType unit) {
        if (unit == null) {
            throw new IllegalArgumentException(kind + " schedule needs a unit (ITERATION or EPOCH), got null");
        }
    }

    private static void requirePeriod(String kind, int period) {
        if (period <= 0) {
            throw new IllegalArgumentException(kind + " schedule period must be positive, got " + period);
        }
    }

    private static void requireDecay(String kind, double decay) {
        if (!(decay > 0) || Double.isInfinite(decay)) {
            throw new IllegalArgumentException(kind + " schedule decay must be positive and finite, got " + decay);
        }
    }
}
