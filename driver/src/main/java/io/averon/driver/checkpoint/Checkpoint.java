package io.averon.driver.checkpoint;

import java.util.Objects;

/**
 * One verified checkpoint as read back from its directory: its location (a fully qualified Hadoop URI), the run
 * position, the flat parameter vector and the flat updater (optimizer) state. The arrays are handed over as read,
 * without a defensive copy, because they can hold 100 MB each.
 */
public record Checkpoint(String location, CheckpointState state, float[] parameters, float[] updaterState) {

    public Checkpoint {
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(updaterState, "updaterState");
    }
}
