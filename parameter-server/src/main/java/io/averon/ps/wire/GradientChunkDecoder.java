package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes a GRADIENT chunk; see {@link GradientChunkEncoder}. {@link #wrap} checks that the declared float count
 * matches the frame length exactly, and {@link #copyFiniteFloats} copies the payload while looking for NaN and
 * infinities in the same pass, so a poisoned gradient costs no second scan.
 */
public final class GradientChunkDecoder
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
        final long expected = MessageHeaderDecoder.LENGTH + GradientChunkEncoder.BLOCK_LENGTH + 4L * floatCount;
        if (length < expected)
        {
            return FrameStatus.TRUNCATED;
        }
        return length == expected ? FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return worker id. */
    public int workerId()
    {
        return buffer.getInt(offset + GradientChunkEncoder.WORKER_ID_OFFSET, BYTE_ORDER);
    }

    /** @return examples in the worker's local batch. */
    public int batchSize()
    {
        return buffer.getInt(offset + GradientChunkEncoder.BATCH_SIZE_OFFSET, BYTE_ORDER);
    }

    /** @return session key. */
    public long sessionKey()
    {
        return buffer.getLong(offset + GradientChunkEncoder.SESSION_KEY_OFFSET, BYTE_ORDER);
    }

    /** @return step the gradient belongs to. */
    public long step()
    {
        return buffer.getLong(offset + GradientChunkEncoder.STEP_OFFSET, BYTE_ORDER);
    }

    /** @return mean loss of the worker's batch. */
    public double loss()
    {
        return buffer.getDouble(offset + GradientChunkEncoder.LOSS_OFFSET, BYTE_ORDER);
    }

    /** @return 0-based chunk index. */
    public int chunkIndex()
    {
        return buffer.getInt(offset + GradientChunkEncoder.CHUNK_INDEX_OFFSET, BYTE_ORDER);
    }

    /** @return number of chunks. */
    public int chunkCount()
    {
        return buffer.getInt(offset + GradientChunkEncoder.CHUNK_COUNT_OFFSET, BYTE_ORDER);
    }

    /** @return index in the gradient of the first float of this chunk. */
    public int floatOffset()
    {
        return buffer.getInt(offset + GradientChunkEncoder.FLOAT_OFFSET_OFFSET, BYTE_ORDER);
    }

    /** @return floats in this chunk. */
    public int floatCount()
    {
        return buffer.getInt(offset + GradientChunkEncoder.FLOAT_COUNT_OFFSET, BYTE_ORDER);
    }

    /**
     * @param index within this chunk.
     * @return the float at that index.
     */
    public float floatAt(final int index)
    {
        return buffer.getFloat(offset + GradientChunkEncoder.PAYLOAD_OFFSET + (index << 2), BYTE_ORDER);
    }

    /**
     * Copy the payload into destination, stopping at the first value that is NaN or infinite.
     *
     * @param destination array to copy into.
     * @param toIndex     index in destination of the first float.
     * @return -1 if every value was finite, else the index within this chunk of the first non-finite value.
     */
    public int copyFiniteFloats(final float[] destination, final int toIndex)
    {
        final int count = floatCount();
        final int payload = offset + GradientChunkEncoder.PAYLOAD_OFFSET;
        for (int i = 0; i < count; i++)
        {
            final float value = buffer.getFloat(payload + (i << 2), BYTE_ORDER);
            if (!Float.isFinite(value))
            {
                return i;
            }
            destination[toIndex + i] = value;
        }
        return -1;
    }
}
