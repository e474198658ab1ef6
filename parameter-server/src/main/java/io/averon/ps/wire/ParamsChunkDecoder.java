package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes a PARAMS chunk; see {@link ParamsChunkEncoder}.
 */
public final class ParamsChunkDecoder
{
    private DirectBuffer buffer;
    private int offset;

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
        final int floatCount = floatCount();
        if (floatCount < 0)
        {
            return FrameStatus.LENGTH_MISMATCH;
        }
        final long expected = MessageHeaderDecoder.LENGTH + ParamsChunkEncoder.BLOCK_LENGTH + 4L * floatCount;
        if (length < expected)
        {
            return FrameStatus.TRUNCATED;
        }
        return length == expected ? FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return session addressed. */
    public long sessionKey()
    {
        return buffer.getLong(offset + ParamsChunkEncoder.SESSION_KEY_OFFSET, BYTE_ORDER);
    }

    /** @return steps applied to these parameters. */
    public long step()
    {
        return buffer.getLong(offset + ParamsChunkEncoder.STEP_OFFSET, BYTE_ORDER);
    }

    /** @return total number of parameters. */
    public int parameterCount()
    {
        return buffer.getInt(offset + ParamsChunkEncoder.PARAMETER_COUNT_OFFSET, BYTE_ORDER);
    }

    /** @return 0-based chunk index. */
    public int chunkIndex()
    {
        return buffer.getInt(offset + ParamsChunkEncoder.CHUNK_INDEX_OFFSET, BYTE_ORDER);
    }

    /** @return number of chunks. */
    public int chunkCount()
    {
        return buffer.getInt(offset + ParamsChunkEncoder.CHUNK_COUNT_OFFSET, BYTE_ORDER);
    }

    /** @return index of the first float of this chunk. */
    public int floatOffset()
    {
        return buffer.getInt(offset + ParamsChunkEncoder.FLOAT_OFFSET_OFFSET, BYTE_ORDER);
    }

    /** @return floats in this chunk. */
    public int floatCount()
    {
        return buffer.getInt(offset + ParamsChunkEncoder.FLOAT_COUNT_OFFSET, BYTE_ORDER);
    }

    /**
     * Copy the payload into destination.
     *
     * @param destination array to copy into.
     * @param toIndex     index in destination of the first float.
     */
    public void copyFloats(final float[] destination, final int toIndex)
    {
        final int count = floatCount();
        final int payload = offset + ParamsChunkEncoder.PAYLOAD_OFFSET;
        for (int i = 0; i < count; i++)
        {
            destination[toIndex + i] = buffer.getFloat(payload + (i << 2), BYTE_ORDER);
        }
    }
}
