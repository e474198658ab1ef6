package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes REGISTER, the first frame a client sends: its worker id, a correlation id that the answer echoes, and as
 * variable-length data the job token and the endpoint on which the client listens for replies. The two var fields
 * must be written in schema order: {@link #token(byte[])} then {@link #replyEndpoint(byte[])}.
 */
public final class RegisterEncoder
{
    /** Template id of REGISTER. */
    public static final int TEMPLATE_ID = 1;
    /** Fixed block length. */
    public static final int BLOCK_LENGTH = 16;
    static final int WORKER_ID_OFFSET = 0;
    static final int CORRELATION_ID_OFFSET = 8;

    private MutableDirectBuffer buffer;
    private int offset;
    private int limit;

    /**
     * @param buffer to encode into.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public RegisterEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        this.limit = this.offset + BLOCK_LENGTH;
        buffer.setMemory(this.offset, BLOCK_LENGTH, (byte)0);
        return this;
    }

    /** @param workerId of the registering worker. @return this */
    public RegisterEncoder workerId(final int workerId)
    {
        buffer.putInt(offset + WORKER_ID_OFFSET, workerId, BYTE_ORDER);
        return this;
    }

    /** @param correlationId echoed in WELCOME or REJECT. @return this */
    public RegisterEncoder correlationId(final long correlationId)
    {
        buffer.putLong(offset + CORRELATION_ID_OFFSET, correlationId, BYTE_ORDER);
        return this;
    }

    /** @param token job secret as bytes; first var field. @return this */
    public RegisterEncoder token(final byte[] token)
    {
        limit = VarData.put(buffer, limit, token);
        return this;
    }

    /** @param replyEndpoint "host:port" in ASCII; second var field. @return this */
    public RegisterEncoder replyEndpoint(final byte[] replyEndpoint)
    {
        limit = VarData.put(buffer, limit, replyEndpoint);
        return this;
    }

    /** @return bytes from frame start to the end of the last written field. */
    public int encodedLength()
    {
        return limit - offset + MessageHeaderDecoder.LENGTH;
    }
}
