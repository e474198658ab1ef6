package io.averon.dl4j.spark;

import io.averon.driver.checkpoint.BackgroundCheckpoints;
import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.CheckpointSchedule;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.checkpoint.CheckpointStore;
import io.averon.driver.config.JobConfig;
import io.averon.ps.ParameterServer;
import io.averon.worker.Dl4jUpdateRule;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Averon's checkpoints of AveronTrainingMaster fits in {@code checkpoint.dir} (any Hadoop filesystem): one when a fit
 * ends, and within a fit every {@code checkpoint.every} / {@code checkpoint.every-steps}, written from a copy taken
 * between two steps on a background thread, so the workers never wait for storage. A checkpoint records the network's
 * parameters, updater state and iteration count, and the fits completed (the network's epoch count); one taken within
 * a fit also records how many of that fit's steps were taken, so that a program that lost its driver resumes the
 * interrupted fit at its next step ({@link AveronTrainingMaster#resume}).
 */
final class FitCheckpoints {
    private final CheckpointStore store;
    private final long everyNanos;
    private final int everySteps;
    private final long failureWindowNanos;

    private FitCheckpoints(CheckpointStore store, JobConfig config) {
        this.store = store;
        this.everyNanos = TimeUnit.MILLISECONDS.toNanos(config.millis("checkpoint.every"));
        this.everySteps = config.nonNegative("checkpoint.every-steps");
        this.failureWindowNanos = TimeUnit.MILLISECONDS.toNanos(config.millis("checkpoint.max-failure-window"));
    }

    /** @return the checkpoints of {@code checkpoint.dir}, or empty when the setting is empty (no checkpoints) */
    static Optional<FitCheckpoints> of(JobConfig config, Configuration hadoop) {
        String dir = config.string("checkpoint.dir");
        if (dir.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new FitCheckpoints(new CheckpointStore(dir, config.positive("checkpoint.keep"), hadoop),
                config));
    }

    /** Checks the settings without touching storage: what the master's builder runs. */
    static void validate(JobConfig config) {
        config.positive("checkpoint.keep");
        config.nonNegative("checkpoint.every-steps");
        config.millis("checkpoint.every");
        config.millis("checkpoint.max-failure-window");
    }

    String directory() {
        return store.directory();
    }

    /** The committed checkpoints, oldest first. */
    List<String> list() {
        try {
            return store.list();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints in " + store.directory() + ": " + e.getMessage(),
                    e);
        }
    }

    /** The newest checkpoint whose every file verifies; older ones are tried when the newest is damaged. */
    Optional<Checkpoint> newestValid() {
        try {
            return store.loadNewestValid();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the checkpoints in " + store.directory() + ": " + e.getMessage(),
                    e);
        }
    }

    /** Starts the writer of one fit. */
    Writer writer(long fitStartStep, long startStep, String lastLocation) {
        return new Writer(fitStartStep, startStep, lastLocation);
    }

    /** The checkpoints of one fit: mid-fit ones on the schedule, and the fit's own when it ends. */
    final class Writer implements AutoCloseable {
        private final BackgroundCheckpoints background;
        private final CheckpointSchedule schedule;
        private final long fitStartStep;

        private Writer(long fitStartStep, long startStep, String lastLocation) {
            this.fitStartStep = fitStartStep;
            this.background = new BackgroundCheckpoints(store, failureWindowNanos, lastLocation);
            this.schedule = new CheckpointSchedule(everyNanos, everySteps, System.nanoTime(), startStep);
        }

        /**
         * Takes a mid-fit checkpoint if one is due at the server's current step; fails the fit when storage has
         * failed for longer than {@code checkpoint.max-failure-window}.
         *
         * @param fitSteps steps of the whole fit: the last one is the fit's own checkpoint, not a mid-fit one
         */
        void duringFit(ParameterServer server, Dl4jUpdateRule rule, Position position, long fitSteps) {
            background.checkHealth();
            long step = server.step();
            if (!schedule.due(step, System.nanoTime())) {
                return;
            }
            Snapshot s = server.atStepBoundary((params, at) -> new Snapshot(params.clone(), rule.updaterState(), at));
            long inFit = s.step() - fitStartStep;
            // Non-finite parameters are no checkpoint to resume from: the server stops on them shortly.
            if (inFit > 0 && inFit < fitSteps && firstNonFinite(s.parameters()) < 0) {
                background.submit(new BackgroundCheckpoints.Snapshot(position.state(s.step(), inFit),
                        s.parameters(), s.updaterState()));
            }
            schedule.taken(s.step(), System.nanoTime());
        }

        /**
         * The fit's own checkpoint, committed before the fit returns: a fit that returned is never trained again by
         * a resumed program.
         *
         * @return where it was written
         */
        String fitEnded(CheckpointState state, float[] parameters, float[] updaterState) {
            background.submit(new BackgroundCheckpoints.Snapshot(state, parameters, updaterState));
            try {
                String location = background.awaitCommitted(state.step(), failureWindowNanos + TimeUnit.MINUTES
                        .toNanos(1), TimeUnit.NANOSECONDS);
                if (location == null) {
                    background.checkHealth();
                    throw new IllegalStateException("the checkpoint of step " + state.step() + " was not committed "
                            + "to " + store.directory() + " in time");
                }
                return location;
            } catch (InterruptedIOException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e.getMessage(), e);
            }
        }

        String lastCommitted() {
            return background.lastCommitted();
        }

        @Override
        public void close() {
            try {
                background.close();
            } catch (InterruptedIOException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What a checkpoint of the fit under way records besides the step: the same for all its checkpoints. */
    record Position(long fitsCompleted, int workers, String fingerprint, String settings) {
        /** Within the fit: {@code stepInFit} of its steps taken. */
        CheckpointState state(long step, long stepInFit) {
            // The master has no seed of its own: the data order is the RDD's, the initialisation the network's.
            return new CheckpointState(fitsCompleted, step, stepInFit, 0L, workers, fingerprint, settings);
        }

        /** The fit completed at {@code step}. */
        CheckpointState ended(long step) {
            return new CheckpointState(fitsCompleted + 1, step, 0, 0L, workers, fingerprint, settings);
        }
    }

    /** The server's parameters and updater state after {@code step} steps. */
    record Snapshot(float[] parameters, float[] updaterState, long step) {
    }

    /** @return the index of the first value that is NaN or infinite, -1 if all are finite */
    static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
