package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Reads and structurally checks the 8-byte frame header. {@link #check(DirectBuffer, int, int)} is the gate every
 * received frame passes first: it rejects frames too short for a header, foreign schemas, unknown versions and
 * templates, and blocks shorter than the template needs, so that later decoders may read their fixed fields safely.
 */
public final class MessageHeaderDecoder
{
    /** Header length in bytes. */
    public static final int LENGTH = 8;
    static final int BLOCK_LENGTH_OFFSET = 0;
    static final int TEMPLATE_ID_OFFSET = 2;
    static final int SCHEMA_ID_OFFSET = 4;
    static final int VERSION_OFFSET = 6;

    private DirectBuffer buffer;
    private int offset;

    /**
     * Wrap a frame and check its header and block length.
     *
     * @param buffer holding the frame.
     * @param offset of the frame start.
     * @param length of the frame.
     * @return {@link FrameStatus#OK} or the defect found.
     */
    public FrameStatus check(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;

        if (length < LENGTH)
        {
            return FrameStatus.TRUNCATED;
        }
        if (schemaId() != WireSchema.SCHEMA_ID)
        {
            return FrameStatus.UNKNOWN_SCHEMA;
        }
        if (version() != WireSchema.VERSION)
        {
            return FrameStatus.UNSUPPORTED_VERSION;
        }

        final int expectedBlockLength = WireSchema.blockLength(templateId());
        if (expectedBlockLength < 0)
        {
            return FrameStatus.UNKNOWN_TEMPLATE;
        }
        if (blockLength() != expectedBlockLength)
        {
            return FrameStatus.BAD_BLOCK_LENGTH;
        }
        if (length < LENGTH + expectedBlockLength)
        {
            return FrameStatus.TRUNCATED;
        }

        return FrameStatus.OK;
    }

    /** @return declared length of the fixed block. */
    public int blockLength()
    {
        return buffer.getShort(offset + BLOCK_LENGTH_OFFSET, BYTE_ORDER) & 0xFFFF;
    }

    /** @return message type. */
    public int templateId()
    {
        return buffer.getShort(offset + TEMPLATE_ID_OFFSET, BYTE_ORDER) & 0xFFFF;
    }

    /** @return schema identifier. */
    public int schemaId()
    {
        return buffer.getShort(offset + SCHEMA_ID_OFFSET, BYTE_ORDER) & 0xFFFF;
    }

    /** @return schema version. */
    public int version()
    {
        return buffer.getShort(offset + VERSION_OFFSET, BYTE_ORDER) & 0xFFFF;
    }
}
