package io.averon.ps;

/**
 * Why the server discarded a received frame; the names are the keys of {@link ServerStats#rejectedByReason()}.
 * Structural reasons come from the wire check, the others from membership and step validation. Each rejected frame
 * (one chunk of a large gradient is one frame) is counted once under exactly one reason.
 */
public enum RejectReason
{
    /** Shorter than its header, block or declared data. */
    TRUNCATED,
    /** Longer than its declared content, or a declared length is negative or absurd. */
    LENGTH_MISMATCH,
    /** Not an Averon frame. */
    UNKNOWN_SCHEMA,
    /** Averon frame of a version this server does not speak. */
    UNSUPPORTED_VERSION,
    /** Template id unknown to this version. */
    UNKNOWN_TYPE,
    /** Known template with the wrong block length. */
    BAD_BLOCK_LENGTH,
    /** A server-to-client template sent to the server. */
    UNEXPECTED_TYPE,
    /** REGISTER whose proof does not verify under the job token's registration key (wrong token, or forged). */
    BAD_TOKEN,
    /** REGISTER with a negative worker id. */
    BAD_WORKER_ID,
    /** REGISTER with a worker id at or above the server's {@code maxWorkers} (the run's worker count). */
    WORKER_ID_OUT_OF_RANGE,
    /** REGISTER with the id of a member whose session is alive (see the README's rule); it is not replaced. */
    WORKER_ID_IN_USE,
    /** REGISTER whose reply endpoint is not a plain host:port. */
    BAD_ENDPOINT,
    /** GRADIENT or LEAVE from a worker that is not registered or with a wrong session key. */
    UNKNOWN_SESSION,
    /** GRADIENT chunk for a step the server already completed (a late gradient). */
    STALE_STEP,
    /** GRADIENT chunk for a step the server has not reached. */
    FUTURE_STEP,
    /** Second GRADIENT for a step from a worker that already answered it. */
    DUPLICATE_GRADIENT,
    /** GRADIENT with batch size zero or negative. */
    BAD_BATCH_SIZE,
    /** GRADIENT declaring a batch size above the server's {@code maxBatchSize}. */
    BATCH_SIZE_TOO_LARGE,
    /** GRADIENT chunk out of sequence, or chunk count/batch size/loss changing between chunks. */
    BAD_CHUNK,
    /** GRADIENT chunk whose offset or size falls outside the parameters, or whose chunks do not cover them. */
    OFFSET_OUT_OF_RANGE,
    /** GRADIENT containing NaN or infinity (in the floats or the loss), and each later chunk of it in that step. */
    NON_FINITE,
    /** Any frame after the server stopped serving because an update failed. */
    SERVER_FAILED,
    /** GRADIENT or LEAVE with a known session key whose MAC does not verify under that session's key: forged. */
    BAD_MAC,
    /** An authentic REGISTER seen before (same nonce), or a GRADIENT chunk already taken into the assembly. */
    REPLAYED
}
