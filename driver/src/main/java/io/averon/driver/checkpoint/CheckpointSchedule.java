package io.averon.driver.checkpoint;

/**
 * When a mid-epoch checkpoint is due: every {@code checkpoint.every} of wall time and every
 * {@code checkpoint.every-steps} steps, whichever comes first (either may be off). The epoch's own checkpoint is
 * not this schedule's business; it is always taken.
 */
public final class CheckpointSchedule {
    private final long everyNanos;
    private final long everySteps;
    private long lastNanos;
    private long lastStep;

    /**
     * @param everyNanos wall time between checkpoints, 0 = never by time
     * @param everySteps steps between checkpoints, 0 = never by steps
     * @param nowNanos   System.nanoTime() at the start
     * @param step       the server's step at the start
     */
    public CheckpointSchedule(long everyNanos, long everySteps, long nowNanos, long step) {
        if (everyNanos < 0 || everySteps < 0) {
            throw new IllegalArgumentException("checkpoint intervals must be >= 0, got " + everyNanos + " ns and "
                    + everySteps + " steps");
        }
        this.everyNanos = everyNanos;
        this.everySteps = everySteps;
        this.lastNanos = nowNanos;
        this.lastStep = step;
    }

    /** @return whether a checkpoint of this step is due; a step already checkpointed never is */
    public boolean due(long step, long nowNanos) {
        if (step <= lastStep) {
            return false;
        }
        return (everySteps > 0 && step - lastStep >= everySteps) || (everyNanos > 0 && nowNanos - lastNanos >= everyNanos);
    }

    /** A checkpoint of this step was taken (or deliberately skipped) now. */
    public void taken(long step, long nowNanos) {
        lastStep = step;
        lastNanos = nowNanos;
    }
}
