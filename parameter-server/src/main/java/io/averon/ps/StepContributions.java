package io.averon.ps;

import java.util.Arrays;

/**
 * The agent's record of whose gradient went into each completed step: one bit per worker id per step, appended as
 * steps complete. A worker's minibatch counts as trained exactly when its gradient was applied, so a driver that deals
 * minibatches to steps learns from this record which ones were lost (a dead, stalled or evicted worker) and must be
 * trained again. Owned by the agent thread; other threads get immutable {@link Contributions} copies through a step
 * boundary task. The array grows by doubling, so appending allocates only at a power of two.
 */
final class StepContributions
{
    private static final int INITIAL_STEPS = 1024;

    private final int wordsPerStep;
    private long firstStep;
    private int stepCount;
    private long[] bits;

    StepContributions(final int maxWorkers, final long firstStep)
    {
        this.wordsPerStep = (maxWorkers + Long.SIZE - 1) / Long.SIZE;
        this.firstStep = firstStep;
        this.bits = new long[INITIAL_STEPS * wordsPerStep];
    }

    /**
     * Record a completed step: the members whose gradient for it was applied.
     *
     * @param completing the step completed; steps are recorded in order, one after the other.
     * @param members    the step's members, any order.
     */
    void completed(final long completing, final WorkerSession[] members)
    {
        if (completing != firstStep + stepCount)
        {
            throw new IllegalStateException("step " + completing + " recorded after step " + (firstStep + stepCount - 1));
        }
        final int base = stepCount * wordsPerStep;
        if (base + wordsPerStep > bits.length)
        {
            bits = Arrays.copyOf(bits, bits.length * 2);
        }
        Arrays.fill(bits, base, base + wordsPerStep, 0L);
        for (final WorkerSession member : members)
        {
            if (member.hasContributed(completing))
            {
                bits[base + (member.workerId >>> 6)] |= 1L << member.workerId;
            }
        }
        stepCount++;
    }

    /**
     * Copy the record from a step on and forget everything before it: a driver asks for the steps of the round it is
     * accounting for, never again for older ones.
     *
     * @param fromStep first step wanted; steps before the record's start are simply absent from the copy.
     * @return the steps from max(fromStep, first recorded step) to the last completed one.
     */
    Contributions since(final long fromStep)
    {
        final int drop = (int)Math.min(stepCount, Math.max(0, fromStep - firstStep));
        if (drop > 0)
        {
            System.arraycopy(bits, drop * wordsPerStep, bits, 0, (stepCount - drop) * wordsPerStep);
            firstStep += drop;
            stepCount -= drop;
        }
        return new Contributions(firstStep, stepCount, wordsPerStep,
            Arrays.copyOf(bits, stepCount * wordsPerStep));
    }
}
