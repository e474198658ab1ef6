package io.averon.ps;

import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The server's progress and rejection counters. Written only by the agent thread (so a plain read-increment-
 * release store suffices and nothing allocates per message); read by any thread through {@link #snapshot()}.
 */
final class ServerCounters
{
    private static final RejectReason[] REASONS = RejectReason.values();

    private static final int EXAMPLES_APPLIED = 0;
    private static final int GRADIENTS_ACCEPTED = 1;
    private static final int LATE_GRADIENTS = 2;
    private static final int DROPPED_FROM_STEP = 3;
    private static final int EVICTIONS = 4;
    private static final int REJECTED_MESSAGES = 5;
    private static final int STALLED_SENDS = 6;
    private static final int NON_FINITE_STEPS = 7;
    private static final int REFUSALS_WITHHELD = 8;
    private static final int COUNTER_COUNT = 9;

    private final AtomicLongArray counters = new AtomicLongArray(COUNTER_COUNT);
    private final AtomicLongArray rejectedByReason = new AtomicLongArray(REASONS.length);
    private final AtomicLongArray stepTimes = new AtomicLongArray(StepTimeHistogram.BUCKETS);
    private final Set<Integer> seen = new HashSet<>();
    private volatile long step;
    private volatile double lastStepLoss = Double.NaN;
    private volatile int registeredWorkers;
    private volatile Set<Integer> workersSeen = Set.of();
    private volatile ParameterServerException failure;

    ServerCounters(final long initialStep)
    {
        step = initialStep;
    }

    long step()
    {
        return step;
    }

    void stepCompleted(final long newStep, final long examples, final double loss)
    {
        increment(EXAMPLES_APPLIED, examples);
        if (examples > 0)
        {
            lastStepLoss = loss;
        }
        step = newStep;
    }

    /** One step's time, from the previous step's completion to this one's. */
    void stepTime(final long nanos)
    {
        final int bucket = StepTimeHistogram.bucket(nanos);
        stepTimes.lazySet(bucket, stepTimes.get(bucket) + 1);
    }

    void gradientAccepted()
    {
        increment(GRADIENTS_ACCEPTED, 1);
    }

    void lateGradient()
    {
        increment(LATE_GRADIENTS, 1);
    }

    void droppedFromStep()
    {
        increment(DROPPED_FROM_STEP, 1);
    }

    void evicted()
    {
        increment(EVICTIONS, 1);
    }

    void stalledSend()
    {
        increment(STALLED_SENDS, 1);
    }

    void nonFiniteStep()
    {
        increment(NON_FINITE_STEPS, 1);
    }

    void refusalWithheld()
    {
        increment(REFUSALS_WITHHELD, 1);
    }

    void failed(final ParameterServerException failure)
    {
        this.failure = failure;
    }

    ParameterServerException failure()
    {
        return failure;
    }

    void rejected(final RejectReason reason)
    {
        increment(REJECTED_MESSAGES, 1);
        final int index = reason.ordinal();
        rejectedByReason.lazySet(index, rejectedByReason.get(index) + 1);
    }

    long rejected()
    {
        return counters.get(REJECTED_MESSAGES);
    }

    long examplesApplied()
    {
        return counters.get(EXAMPLES_APPLIED);
    }

    void membership(final int registered, final int joinedWorkerId)
    {
        registeredWorkers = registered;
        if (joinedWorkerId >= 0 && seen.add(joinedWorkerId))
        {
            workersSeen = Collections.unmodifiableSet(new HashSet<>(seen));
        }
    }

    ServerStats snapshot()
    {
        final Map<String, Long> byReason = new TreeMap<>();
        for (final RejectReason reason : REASONS)
        {
            final long count = rejectedByReason.get(reason.ordinal());
            if (count > 0)
            {
                byReason.put(reason.name(), count);
            }
        }

        return new ServerStats(
            step,
            counters.get(EXAMPLES_APPLIED),
            lastStepLoss,
            registeredWorkers,
            counters.get(GRADIENTS_ACCEPTED),
            counters.get(LATE_GRADIENTS),
            counters.get(DROPPED_FROM_STEP),
            counters.get(EVICTIONS),
            counters.get(REJECTED_MESSAGES),
            Collections.unmodifiableMap(byReason),
            workersSeen,
            counters.get(STALLED_SENDS),
            counters.get(NON_FINITE_STEPS),
            counters.get(REFUSALS_WITHHELD),
            stepTimes());
    }

    private StepTimeHistogram stepTimes()
    {
        final long[] counts = new long[StepTimeHistogram.BUCKETS];
        for (int k = 0; k < counts.length; k++)
        {
            counts[k] = stepTimes.get(k);
        }
        return new StepTimeHistogram(counts);
    }

    private void increment(final int index, final long delta)
    {
        counters.lazySet(index, counters.get(index) + delta);
    }
}
