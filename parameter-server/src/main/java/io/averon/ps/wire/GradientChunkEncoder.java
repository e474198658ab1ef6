package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes one GRADIENT chunk: a contiguous slice of a worker's gradient for one step, authenticated by worker id
 * and session key. A gradient larger than one Aeron message is sent as chunks 0..chunkCount-1 in order, each
 * repeating the step, batch size and loss so the server can check they belong together.
 */
public final class GradientChunkEncoder
{
    /** Template id of GRADIENT. */
    public static final int TEMPLATE_ID = 4;
    /** Fixed block length; the float payload follows it. */
    public static final int BLOCK_LENGTH = 48;
    static final int WORKER_ID_OFFSET = 0;
    static final int BATCH_SIZE_OFFSET = 4;
    static final int SESSION_KEY_OFFSET = 8;
    static final int STEP_OFFSET = 16;
    static final int LOSS_OFFSET = 24;
    static final int CHUNK_INDEX_OFFSET = 32;
    static final int CHUNK_COUNT_OFFSET = 36;
    static final int FLOAT_OFFSET_OFFSET = 40;
    static final int FLOAT_COUNT_OFFSET = 44;
    static final int PAYLOAD_OFFSET = BLOCK_LENGTH;

    private MutableDirectBuffer buffer;
    private int offset;
    private int floatCount;

    /**
     * @param buffer to encode into; must hold the header, block and payload.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public GradientChunkEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        this.floatCount = 0;
        buffer.putInt(this.offset + FLOAT_COUNT_OFFSET, 0, BYTE_ORDER);
        return this;
    }

    /** @param value worker id. @return this */
    public GradientChunkEncoder workerId(final int value)
    {
        buffer.putInt(offset + WORKER_ID_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value examples in the worker's local batch. @return this */
    public GradientChunkEncoder batchSize(final int value)
    {
        buffer.putInt(offset + BATCH_SIZE_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value session key from WELCOME. @return this */
    public GradientChunkEncoder sessionKey(final long value)
    {
        buffer.putLong(offset + SESSION_KEY_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value step of the parameters the gradient was computed on. @return this */
    public GradientChunkEncoder step(final long value)
    {
        buffer.putLong(offset + STEP_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value mean loss of the worker's batch. @return this */
    public GradientChunkEncoder loss(final double value)
    {
        buffer.putDouble(offset + LOSS_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value 0-based index of this chunk. @return this */
    public GradientChunkEncoder chunkIndex(final int value)
    {
        buffer.putInt(offset + CHUNK_INDEX_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value number of chunks of the whole gradient. @return this */
    public GradientChunkEncoder chunkCount(final int value)
    {
        buffer.putInt(offset + CHUNK_COUNT_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value index in the gradient of the first float of this chunk. @return this */
    public GradientChunkEncoder floatOffset(final int value)
    {
        buffer.putInt(offset + FLOAT_OFFSET_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /**
     * Override the float count field without writing a payload; only tests forging inconsistent frames need this.
     *
     * @param value declared float count.
     * @return this
     */
    public GradientChunkEncoder floatCount(final int value)
    {
        buffer.putInt(offset + FLOAT_COUNT_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /**
     * Copy a slice of floats into the payload and set the float count.
     *
     * @param source     array to copy from.
     * @param fromIndex  first index to copy.
     * @param count      floats to copy.
     * @return this
     */
    public GradientChunkEncoder putFloats(final float[] source, final int fromIndex, final int count)
    {
        FloatPayload.write(buffer, offset + PAYLOAD_OFFSET, source, fromIndex, count);
        floatCount = count;
        buffer.putInt(offset + FLOAT_COUNT_OFFSET, count, BYTE_ORDER);
        return this;
    }

    /** @return frame length including the payload written by {@link #putFloats}. */
    public int encodedLength()
    {
        return MessageHeaderDecoder.LENGTH + BLOCK_LENGTH + (floatCount << 2);
    }
}
