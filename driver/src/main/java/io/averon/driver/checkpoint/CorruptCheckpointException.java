package io.averon.driver.checkpoint;

/**
 * Signals that a checkpoint directory exists but cannot be trusted (missing or malformed manifest, wrong length, wrong
 * checksum, unreadable state). Kept apart from {@link java.io.IOException} so that a broken checkpoint is skipped while
 * a filesystem outage still stops the caller instead of silently restarting training from scratch.
 */
final class CorruptCheckpointException extends Exception {
    CorruptCheckpointException(String reason) {
        super(reason);
    }

    CorruptCheckpointException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
