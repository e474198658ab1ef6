package io.averon.ps.wire;

/**
 * Why the server refuses or ends a client's membership, carried as a code in a REJECT frame together with a
 * human-readable reason. A client maps {@link #EVICTED} to a transparent re-registration and every other refusal
 * to an exception naming the reason.
 */
public enum Refusal
{
    /** REGISTER carried a token that does not match the job's secret. */
    TOKEN_REJECTED(1),
    /** REGISTER was otherwise unacceptable (worker id, reply endpoint). */
    INVALID_REGISTRATION(2),
    /** The worker missed too many consecutive step deadlines; it may register again. */
    EVICTED(3),
    /** The server could not apply a step and stopped serving. */
    SERVER_FAILED(4),
    /** A code this build does not know. */
    UNKNOWN(0);

    private final int code;

    Refusal(final int code)
    {
        this.code = code;
    }

    /** @return wire code. */
    public int code()
    {
        return code;
    }

    /**
     * @param code from a REJECT frame.
     * @return the matching refusal or {@link #UNKNOWN}.
     */
    public static Refusal fromCode(final int code)
    {
        return switch (code)
        {
            case 1 -> TOKEN_REJECTED;
            case 2 -> INVALID_REGISTRATION;
            case 3 -> EVICTED;
            case 4 -> SERVER_FAILED;
            default -> UNKNOWN;
        };
    }
}
