package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes WELCOME, the server's acceptance of a REGISTER: the session key that authenticates the worker's later
 * frames, the model size, the current step, and the step deadline (so the client can tell silence from slowness).
 * PARAMS chunks of the current parameters follow it on the same stream.
 */
public final class WelcomeEncoder
{
    /** Template id of WELCOME. */
    public static final int TEMPLATE_ID = 2;
    /** Fixed block length. */
    public static final int BLOCK_LENGTH = 40;
    static final int WORKER_ID_OFFSET = 0;
    static final int PARAMETER_COUNT_OFFSET = 4;
    static final int CORRELATION_ID_OFFSET = 8;
    static final int SESSION_KEY_OFFSET = 16;
    static final int STEP_OFFSET = 24;
    static final int STEP_DEADLINE_MS_OFFSET = 32;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * @param buffer to encode into.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public WelcomeEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        return this;
    }

    /** @param value worker id. @return this */
    public WelcomeEncoder workerId(final int value)
    {
        buffer.putInt(offset + WORKER_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value number of model parameters. @return this */
    public WelcomeEncoder parameterCount(final int value)
    {
        buffer.putInt(offset + PARAMETER_COUNT_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value echoed from REGISTER. @return this */
    public WelcomeEncoder correlationId(final long value)
    {
        buffer.putLong(offset + CORRELATION_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value session key issued for this registration. @return this */
    public WelcomeEncoder sessionKey(final long value)
    {
        buffer.putLong(offset + SESSION_KEY_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value current step of the server. @return this */
    public WelcomeEncoder step(final long value)
    {
        buffer.putLong(offset + STEP_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value server's step deadline in milliseconds. @return this */
    public WelcomeEncoder stepDeadlineMs(final long value)
    {
        buffer.putLong(offset + STEP_DEADLINE_MS_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @return frame length. */
    public int encodedLength()
    {
        return MessageHeaderDecoder.LENGTH + BLOCK_LENGTH;
    }
}
