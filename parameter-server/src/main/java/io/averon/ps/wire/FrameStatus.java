package io.averon.ps.wire;

/**
 * Outcome of checking the structure of a received frame before any field is trusted: either {@link #OK} or the
 * first structural defect found. Semantic checks (sessions, steps, sizes against the model) are the receiver's
 * business and come after this.
 */
public enum FrameStatus
{
    /** Structure is sound; fields may be read. */
    OK,
    /** Shorter than its header, block or declared variable-length data. */
    TRUNCATED,
    /** Longer than its declared content (and not of a newer version), or a declared length is negative or absurd. */
    LENGTH_MISMATCH,
    /** Schema id is not Averon's. */
    UNKNOWN_SCHEMA,
    /** Averon schema, but older than the oldest version this build reads. */
    UNSUPPORTED_VERSION,
    /** Template id unknown to this version. */
    UNKNOWN_TEMPLATE,
    /** Known template whose block length is not its version's (shorter than this build's for a newer version). */
    BAD_BLOCK_LENGTH
}
