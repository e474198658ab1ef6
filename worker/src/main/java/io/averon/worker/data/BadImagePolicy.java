package io.averon.worker.data;

/**
 * What to do with an image that cannot be decoded: {@code SKIP} leaves it out of its batch, counts it and logs the
 * first few paths; {@code FAIL} stops the run with the path and the reason. Either way nothing trains on it.
 */
public enum BadImagePolicy {
    SKIP,
    FAIL
}
