package io.averon.ps;

/**
 * An immutable copy of which workers' gradients the parameter server applied in a range of completed steps, from
 * {@link ParameterServer#contributionsSince(long)}. A step that completed without a worker (its gradient arrived late,
 * was non-finite, or never came) is exactly a step in which that worker's minibatch was not trained.
 */
public final class Contributions
{
    private final long firstStep;
    private final int stepCount;
    private final int wordsPerStep;
    private final long[] bits;

    Contributions(final long firstStep, final int stepCount, final int wordsPerStep, final long[] bits)
    {
        this.firstStep = firstStep;
        this.stepCount = stepCount;
        this.wordsPerStep = wordsPerStep;
        this.bits = bits;
    }

    /** @return the first step this copy covers. */
    public long firstStep()
    {
        return firstStep;
    }

    /** @return one past the last step this copy covers: the server's step when the copy was taken. */
    public long endStep()
    {
        return firstStep + stepCount;
    }

    /**
     * @param step     a step in [{@link #firstStep()}, {@link #endStep()}).
     * @param workerId a worker id the server accepts.
     * @return whether that worker's gradient was applied in that step.
     * @throws IllegalArgumentException for a step outside the copy or a worker id beyond the server's bound.
     */
    public boolean applied(final long step, final int workerId)
    {
        if (step < firstStep || step >= endStep())
        {
            throw new IllegalArgumentException("step " + step + " outside the recorded steps [" + firstStep + ", " +
                endStep() + ")");
        }
        if (workerId < 0 || workerId >= wordsPerStep * Long.SIZE)
        {
            throw new IllegalArgumentException("worker id " + workerId + " outside [0, " + wordsPerStep * Long.SIZE +
                ")");
        }
        final int base = (int)(step - firstStep) * wordsPerStep;
        return (bits[base + (workerId >>> 6)] & (1L << workerId)) != 0;
    }

    @Override
    public String toString()
    {
        return "Contributions{steps=[" + firstStep + ", " + endStep() + ")}";
    }
}
