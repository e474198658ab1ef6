package io.averon.driver.checkpoint;

import java.util.Objects;

/**
 * Where a training run stands when a checkpoint is taken: enough to continue it with the same data order and to
 * refuse resuming into a different model. {@code epoch} counts completed epochs when {@code stepInEpoch == 0} and is
 * the epoch in progress otherwise; {@code step} is the parameter server's global step; {@code jobConfig} is the
 * rendered job configuration text the run was started with.
 */
public record CheckpointState(long epoch, long step, long stepInEpoch, long seed, int workers, String modelFingerprint,
                              String jobConfig) {

    public CheckpointState {
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
    }
}
