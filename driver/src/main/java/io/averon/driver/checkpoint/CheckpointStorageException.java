package io.averon.driver.checkpoint;

import java.io.IOException;

/**
 * Checkpoints could not be written for longer than {@code checkpoint.max-failure-window}: the storage named in the
 * message is failing, and training on would only pile up work that a driver failure would lose.
 */
public final class CheckpointStorageException extends RuntimeException {
    CheckpointStorageException(String message, IOException cause) {
        super(message, cause);
    }
}
