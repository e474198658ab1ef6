package io.averon.worker.image;

/** STUB replaced by the decoder branch. */
public final class BadImageException extends Exception {
    public enum Reason { EMPTY, NOT_AN_IMAGE, TRUNCATED, UNSUPPORTED, TOO_LARGE, UNREADABLE, SIZE_MISMATCH }
    private final Reason reason;
    public BadImageException(Reason reason, String name, String detail) {
        super(name + ": " + detail);
        this.reason = reason;
    }
    public Reason reason() { return reason; }
}
