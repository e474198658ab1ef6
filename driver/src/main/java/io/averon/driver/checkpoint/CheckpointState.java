package io.averon.driver.checkpoint;

import io.averon.worker.MissedBatches;

import java.util.Objects;

/**
 * Where a training run stands when a checkpoint is taken: enough to continue it with the same data order and to
 * refuse resuming into a different model. {@code epoch} counts completed epochs when {@code stepInEpoch == 0} and is
 * the epoch in progress otherwise; {@code step} is the parameter server's global step; {@code jobConfig} is the
 * rendered job configuration text the run was started with; {@code bestScore} and {@code epochsSinceBest} are early
 * stopping's memory (negative infinity and 0 before the first evaluated epoch); {@code missed} are the minibatches of
 * the epoch in progress, before {@code step}, that no applied step trained (a lost or stalled worker's), still to be
 * trained in a catch-up round of that epoch.
 */
public record CheckpointState(long epoch, long step, long stepInEpoch, long seed, int workers, String modelFingerprint,
                              String jobConfig, double bestScore, int epochsSinceBest, MissedBatches missed) {

    /** A state with nothing missed in the epoch in progress. */
    public CheckpointState(long epoch, long step, long stepInEpoch, long seed, int workers, String modelFingerprint,
                           String jobConfig, double bestScore, int epochsSinceBest) {
        this(epoch, step, stepInEpoch, seed, workers, modelFingerprint, jobConfig, bestScore, epochsSinceBest,
                MissedBatches.none());
    }

    /** A state before any epoch was evaluated. */
    public CheckpointState(long epoch, long step, long stepInEpoch, long seed, int workers, String modelFingerprint,
                           String jobConfig) {
        this(epoch, step, stepInEpoch, seed, workers, modelFingerprint, jobConfig, Double.NEGATIVE_INFINITY, 0);
    }

    public CheckpointState {
        if (Double.isNaN(bestScore) || epochsSinceBest < 0) {
            throw new IllegalArgumentException("bestScore must be a number and epochsSinceBest >= 0, got bestScore="
                    + bestScore + " epochsSinceBest=" + epochsSinceBest);
        }
        if (epoch < 0 || step < 0 || stepInEpoch < 0) {
            throw new IllegalArgumentException("epoch, step and stepInEpoch must be >= 0, got epoch=" + epoch
                    + " step=" + step + " stepInEpoch=" + stepInEpoch);
        }
        if (stepInEpoch > step) {
            throw new IllegalArgumentException("stepInEpoch " + stepInEpoch + " exceeds the global step " + step);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        Objects.requireNonNull(jobConfig, "jobConfig");
        Objects.requireNonNull(missed, "missed");
        if (stepInEpoch == 0 && !missed.isEmpty()) {
            throw new IllegalArgumentException("a completed epoch has no missed batches, got " + missed.render());
        }
    }
}
