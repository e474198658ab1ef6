package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Encodes one PARAMS chunk: a contiguous slice of the authoritative parameters after a given number of steps,
 * addressed to one session. Chunks 0..chunkCount-1 are sent in order; a client adopts the parameters only once the
 * last chunk of a step has arrived, and restarts assembly whenever a chunk 0 shows up.
 */
public final class ParamsChunkEncoder
{
    /** Template id of PARAMS. */
    public static final int TEMPLATE_ID = 5;
    /** Fixed block length; the float payload follows it. */
    public static final int BLOCK_LENGTH = 40;
    static final int SESSION_KEY_OFFSET = 0;
    static final int STEP_OFFSET = 8;
    static final int PARAMETER_COUNT_OFFSET = 16;
    static final int CHUNK_INDEX_OFFSET = 20;
    static final int CHUNK_COUNT_OFFSET = 24;
    static final int FLOAT_OFFSET_OFFSET = 28;
    static final int FLOAT_COUNT_OFFSET = 32;
    static final int PAYLOAD_OFFSET = BLOCK_LENGTH;

    private MutableDirectBuffer buffer;
    private int offset;
    private int floatCount;

    /**
     * @param buffer to encode into; must hold the header, block and payload.
     * @param offset of the frame start.
     * @return this for fluent use.
     */
    public ParamsChunkEncoder wrapAndApplyHeader(final MutableDirectBuffer buffer, final int offset)
    {
        MessageHeaderEncoder.encode(buffer, offset, BLOCK_LENGTH, TEMPLATE_ID);
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        this.floatCount = 0;
        buffer.putInt(this.offset + FLOAT_COUNT_OFFSET, 0, BYTE_ORDER);
        buffer.putInt(this.offset + FLOAT_COUNT_OFFSET + 4, 0, BYTE_ORDER);
        return this;
    }

    /** @param value session addressed. @return this */
    public ParamsChunkEncoder sessionKey(final long value)
    {
        buffer.putLong(offset + SESSION_KEY_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value number of steps applied to these parameters. @return this */
    public ParamsChunkEncoder step(final long value)
    {
        buffer.putLong(offset + STEP_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value total number of parameters. @return this */
    public ParamsChunkEncoder parameterCount(final int value)
    {
        buffer.putInt(offset + PARAMETER_COUNT_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value 0-based chunk index. @return this */
    public ParamsChunkEncoder chunkIndex(final int value)
    {
        buffer.putInt(offset + CHUNK_INDEX_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value number of chunks for this step. @return this */
    public ParamsChunkEncoder chunkCount(final int value)
    {
        buffer.putInt(offset + CHUNK_COUNT_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** @param value index of the first float of this chunk. @return this */
    public ParamsChunkEncoder floatOffset(final int value)
    {
        buffer.putInt(offset + FLOAT_OFFSET_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /**
     * Copy a slice of floats into the payload and set the float count.
     *
     * @param source    array to copy from.
     * @param fromIndex first index to copy.
     * @param count     floats to copy.
     * @return this
     */
    public ParamsChunkEncoder putFloats(final float[] source, final int fromIndex, final int count)
    {
        FloatPayload.write(buffer, offset + PAYLOAD_OFFSET, source, fromIndex, count);
        floatCount = count;
        buffer.putInt(offset + FLOAT_COUNT_OFFSET, count, BYTE_ORDER);
        return this;
    }

    /** @return frame length including the payload. */
    public int encodedLength()
    {
        return MessageHeaderDecoder.LENGTH + BLOCK_LENGTH + (floatCount << 2);
    }
}
