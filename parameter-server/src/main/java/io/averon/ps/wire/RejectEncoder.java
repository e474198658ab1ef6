package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import java.nio.charset.StandardCharsets;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes REJECT: the server refusing a registration (correlated with the REGISTER) or ending a session (eviction,
 * server failure). Carries a {@link Refusal} code and a reason an operator can read in the client's exception.
 */
public final class RejectEncoder
{
    /** Template id of REJECT. */
    public static final int TEMPLATE_ID = 3;
    /** Fixed block length. */
    public static final int BLOCK_LENGTH = 24;
    static final int WORKER_ID_OFFSET = 0;
    static final int REFUSAL_OFFSET = 4;
    static final int CORRELATION_ID_OFFSET = 8;
    static final int SESSION_KEY_OFFSET = 16;

    private MutableDirectBuffer buffer;
    private int offset;
    private int limit;

    /**
     * @param buffer to encode into.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public RejectEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        this.limit = this.offset + BLOCK_LENGTH;
        return this;
    }

    /** @param value worker id the refusal concerns. @return this */
    public RejectEncoder workerId(final int value)
    {
        buffer.putInt(offset + WORKER_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value why. @return this */
    public RejectEncoder refusal(final Refusal value)
    {
        buffer.putInt(offset + REFUSAL_OFFSET, value.code(), BYTE_ORDER);
        return this;
    }

    /** @param value correlation id of the REGISTER refused, 0 for a session-ending notice. @return this */
    public RejectEncoder correlationId(final long value)
    {
        buffer.putLong(offset + CORRELATION_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value session ended, 0 for a refused registration. @return this */
    public RejectEncoder sessionKey(final long value)
    {
        buffer.putLong(offset + SESSION_KEY_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /**
     * @param reason human-readable text, UTF-8; cut to fit {@link WireSchema#MAX_VAR_DATA_LENGTH} bytes.
     * @return this
     */
    public RejectEncoder reason(final String reason)
    {
        byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > WireSchema.MAX_VAR_DATA_LENGTH)
        {
            bytes = java.util.Arrays.copyOf(bytes, WireSchema.MAX_VAR_DATA_LENGTH);
        }
        limit = VarData.put(buffer, limit, bytes);
        return this;
    }

    /** @return frame length. */
    public int encodedLength()
    {
        return limit - offset + MessageHeaderDecoder.LENGTH;
    }
}
