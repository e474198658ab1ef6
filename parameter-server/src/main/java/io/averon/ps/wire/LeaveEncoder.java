package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes LEAVE: a registered worker announcing it is done. The server removes it from membership at once (a step waiting only for it completes) and confirms with LEAVE_ACK, so the client knows its last frame was consumed before it tears down its transport.
 */
public final class LeaveEncoder
{
    /** Template id. */
    public static final int TEMPLATE_ID = 6;
    /** Fixed block length. */
    public static final int BLOCK_LENGTH = 16;
    static final int WORKER_ID_OFFSET = 0;
    static final int SESSION_KEY_OFFSET = 8;

    private MutableDirectBuffer buffer;
    private int offset;

    /**
     * @param buffer to encode into.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public LeaveEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        buffer.putInt(this.offset + 4, 0, BYTE_ORDER);
        return this;
    }

    /** @param value worker id. @return this */
    public LeaveEncoder workerId(final int value)
    {
        buffer.putInt(offset + WORKER_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value session key. @return this */
    public LeaveEncoder sessionKey(final long value)
    {
        buffer.putLong(offset + SESSION_KEY_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @return frame length. */
    public int encodedLength()
    {
        return MessageHeaderDecoder.LENGTH + BLOCK_LENGTH;
    }
}
