package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes REJECT; see {@link RejectEncoder} for the meaning of the fields.
 */
public final class RejectDecoder
{
    private DirectBuffer buffer;
    private int offset;
    private int reasonOffset;
    private int reasonLength;

    /**
     * @param buffer holding the frame, whose header already passed {@link MessageHeaderDecoder#check}.
     * @param offset of the frame start.
     * @param length of the frame.
     * @return {@link FrameStatus#OK} or the defect found.
     */
    public FrameStatus wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        final int end = offset + length;
        final int limit = this.offset + RejectEncoder.BLOCK_LENGTH;
        reasonLength = VarData.length(buffer, limit, end);
        if (reasonLength < 0)
        {
            return reasonLength == -1 ? FrameStatus.TRUNCATED : FrameStatus.LENGTH_MISMATCH;
        }
        reasonOffset = limit + VarData.LENGTH_PREFIX;
        final int fieldEnd = reasonOffset + reasonLength;
        if (fieldEnd > end)
        {
            return FrameStatus.TRUNCATED;
        }
        return fieldEnd == end ? FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return worker id. */
    public int workerId()
    {
        return buffer.getInt(offset + RejectEncoder.WORKER_ID_OFFSET, BYTE_ORDER);
    }

    /** @return refusal. */
    public Refusal refusal()
    {
        return Refusal.fromCode(buffer.getInt(offset + RejectEncoder.REFUSAL_OFFSET, BYTE_ORDER));
    }

    /** @return correlation id of the REGISTER refused, 0 for a session-ending notice. */
    public long correlationId()
    {
        return buffer.getLong(offset + RejectEncoder.CORRELATION_ID_OFFSET, BYTE_ORDER);
    }

    /** @return session ended, 0 for a refused registration. */
    public long sessionKey()
    {
        return buffer.getLong(offset + RejectEncoder.SESSION_KEY_OFFSET, BYTE_ORDER);
    }

    /** @return reason text; allocates, refusals are rare. */
    public String reason()
    {
        final byte[] bytes = new byte[reasonLength];
        buffer.getBytes(reasonOffset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
