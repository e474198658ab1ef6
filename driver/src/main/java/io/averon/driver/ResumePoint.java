package io.averon.driver;

import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.MissedBatches;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.util.List;
import java.util.OptionalInt;

/**
 * Where a run starts: from its first step, or from a checkpoint, and what a resume keeps of the interrupted run. A
 * resume is bit-identical to the uninterrupted run only if the data order and the global batch are those the checkpoint
 * was written under, so a changed configuration is reconciled here, each case saying what it costs: a changed seed is
 * overruled by the checkpoint's (the data order stays the run's); a changed worker count or batch size is accepted,
 * with a warning that the run is no longer exact, and an interrupted epoch then restarts from its first step, because
 * its remaining minibatches (and those a checkpoint records as missed) only exist under the old slicing.
 *
 * @param epoch          the epoch to start (0-based): completed epochs, or the epoch in progress
 * @param step           the parameter server's global step to start at
 * @param stepInEpoch    steps of {@code epoch} already applied (0 = start the epoch from its first step)
 * @param missed         minibatches of {@code epoch} before {@code stepInEpoch} still to be caught up
 * @param seed           the data-order seed the run continues with
 * @param parameters     parameters to start from
 * @param updaterState   the updater's state to start from, or null for a fresh updater
 * @param bestScore      early stopping's best score so far
 * @param epochsSinceBest early stopping's count of epochs without gain
 * @param location       the checkpoint resumed from, or null for a fresh start
 */
record ResumePoint(int epoch, long step, long stepInEpoch, MissedBatches missed, long seed, float[] parameters,
                   float[] updaterState, double bestScore, int epochsSinceBest, String location) {
    private static final Logger LOG = LoggerFactory.getLogger(ResumePoint.class);

    /** A run from its first step with the job's initial parameters. */
    static ResumePoint fresh(long seed, float[] parameters) {
        return new ResumePoint(0, 0, 0, MissedBatches.none(), seed, parameters, null, Double.NEGATIVE_INFINITY, 0,
                null);
    }

    /**
     * Continues from a checkpoint under this run's settings.
     *
     * @throws InputException when the checkpoint already completed the run's epochs
     */
    static ResumePoint from(Checkpoint checkpoint, long seed, int workers, int batch, int epochs, PrintStream out) {
        CheckpointState s = checkpoint.state();
        int epoch = (int) s.epoch();
        if (epoch >= epochs) {
            throw new InputException("checkpoint " + checkpoint.location() + " already completed " + epoch
                    + " epochs and train.epochs = " + epochs + ": raise train.epochs to train further");
        }
        if (s.seed() != seed) {
            LOG.warn("train.seed = {} but the checkpoint was written with seed {}: continuing with {}, so that the "
                    + "data order stays the run's", seed, s.seed(), s.seed());
            out.printf("train.seed %d ignored: resuming with the checkpoint's seed %d%n", seed, s.seed());
        }
        long stepInEpoch = s.stepInEpoch();
        MissedBatches missed = s.missed();
        String changed = null;
        if (s.workers() != workers) {
            changed = "checkpoint was written with " + s.workers() + " workers, this run has " + workers;
        }
        OptionalInt checkpointBatch = batchSizeOf(s);
        if (checkpointBatch.isPresent() && checkpointBatch.getAsInt() != batch) {
            changed = (changed == null ? "checkpoint was written with" : changed + ", and with")
                    + " train.batch-size = " + checkpointBatch.getAsInt() + ", this run has " + batch;
        } else if (checkpointBatch.isEmpty() && stepInEpoch > 0) {
            changed = (changed == null ? "" : changed + "; ") + "the checkpoint's train.batch-size cannot be read "
                    + "from its job configuration";
        }
        if (changed != null) {
            String restart = stepInEpoch > 0 ? "; epoch " + (epoch + 1) + " restarts from its first step (the "
                    + "examples of its first " + stepInEpoch + " step(s) are trained again)" : "";
            out.printf("%s: the global batch and data partitions change, so the run is no longer bit-identical to an "
                    + "uninterrupted one%s%n", changed, restart);
            LOG.warn("{}: the run is no longer bit-identical to an uninterrupted one{}", changed, restart);
            stepInEpoch = 0;
            missed = MissedBatches.none();
        }
        float[] updaterState = checkpoint.updaterState().length == 0 ? null : checkpoint.updaterState();
        return new ResumePoint(epoch, s.step(), stepInEpoch, missed, s.seed(), checkpoint.parameters(), updaterState,
                s.bestScore(), s.epochsSinceBest(), checkpoint.location());
    }

    boolean resumed() {
        return location != null;
    }

    /** The batch size in the job configuration a checkpoint carries, if it can be read. */
    private static OptionalInt batchSizeOf(CheckpointState state) {
        try {
            return OptionalInt.of(JobConfig.load(state.jobConfig(), "the checkpoint's job configuration", List.of())
                    .positive("train.batch-size"));
        } catch (InputException unreadable) {
            return OptionalInt.empty();
        }
    }
}
