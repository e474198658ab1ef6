package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.ps.DivergenceException;
import io.averon.ps.ParameterServer;
import io.averon.ps.ParameterServerException;
import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.InputException;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The driver's hold on the parameter server's state during a run: consistent snapshots of the parameters and the
 * updater's state taken between two steps, and the server's failure turned into the run's error. Divergence is
 * reported as the user's to fix (a setting), naming the step, the last committed checkpoint and the usual cause.
 */
final class ServerState {
    /** The parameters and updater state after {@code step} steps. */
    record Snapshot(float[] parameters, float[] updaterState, long step) {
    }

    private final ParameterServer server;
    private final Dl4jUpdateRule rule;
    private final JobConfig config;
    private final Supplier<String> lastCheckpoint;

    /**
     * @param lastCheckpoint the newest committed checkpoint (or the one resumed from), null before the first
     */
    ServerState(ParameterServer server, Dl4jUpdateRule rule, JobConfig config, Supplier<String> lastCheckpoint) {
        this.server = server;
        this.rule = rule;
        this.config = config;
        this.lastCheckpoint = lastCheckpoint;
    }

    Snapshot snapshot() {
        try {
            return server.atStepBoundary((params, step) -> new Snapshot(params.clone(), rule.updaterState(), step));
        } catch (ParameterServerException e) {
            RuntimeException stopped = failure();
            throw stopped != null ? stopped : e;
        }
    }

    /** Why the server stopped serving, as the run's error, or null while it serves. */
    RuntimeException failure() {
        ParameterServerException failure = server.failure();
        if (failure == null) {
            return null;
        }
        if (failure instanceof DivergenceException diverged) {
            return divergence("training diverged at step " + diverged.step() + ": " + diverged.nonFiniteSteps()
                    + " consecutive steps without a finite update (ps.max-non-finite-steps = "
                    + config.positive("ps.max-non-finite-steps") + "; at step " + diverged.step() + " "
                    + diverged.lastStepDetail() + ")", diverged);
        }
        return new IllegalStateException(failure.getMessage(), failure);
    }

    /** A completed epoch whose parameters are not finite has diverged, even if the server has not counted it yet. */
    void requireFinite(Snapshot snapshot) {
        if (!allFinite(snapshot.parameters())) {
            throw divergence("training diverged by step " + snapshot.step() + ": the parameters are not finite", null);
        }
    }

    static boolean allFinite(float[] values) {
        for (float value : values) {
            if (!Float.isFinite(value)) {
                return false;
            }
        }
        return true;
    }

    private InputException divergence(String what, Throwable cause) {
        return new InputException(what + "; last checkpoint written: "
                + Objects.requireNonNullElse(lastCheckpoint.get(), "none") + ". The likely cause is a learning rate "
                + "too high for this model: lower model.learning-rate (now " + config.number("model.learning-rate")
                + ") and train again", cause);
    }
}
