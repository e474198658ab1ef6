package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes the frame written by {@link LeaveAckEncoder}.
 */
public final class LeaveAckDecoder
{
    private DirectBuffer buffer;
    private int offset;

    /**
     * @param buffer holding the frame, whose header already passed {@link MessageHeaderDecoder#check}.
     * @param offset of the frame start.
     * @param length of the frame.
     * @return {@link FrameStatus#OK} or {@link FrameStatus#LENGTH_MISMATCH} if bytes trail the block.
     */
    public FrameStatus wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        return length == MessageHeaderDecoder.LENGTH + LeaveAckEncoder.BLOCK_LENGTH ?
            FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return worker id. */
    public int workerId()
    {
        return buffer.getInt(offset + LeaveAckEncoder.WORKER_ID_OFFSET, BYTE_ORDER);
    }

    /** @return session key. */
    public long sessionKey()
    {
        return buffer.getLong(offset + LeaveAckEncoder.SESSION_KEY_OFFSET, BYTE_ORDER);
    }
}
