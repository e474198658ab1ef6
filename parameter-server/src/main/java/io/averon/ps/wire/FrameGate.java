package io.averon.ps.wire;

import org.agrona.DirectBuffer;
import org.agrona.sbe.MessageDecoderFlyweight;

/**
 * The structural check every received frame passes before a generated decoder reads it, since SBE's flyweights
 * trust the buffer. {@link #checkHeader} applies SBE's evolution rules to the header (same schema id, a version
 * from {@link WireSchema#OLDEST_SUPPORTED_VERSION} on, the block length that version must declare);
 * {@link #checkBody} then checks that the variable-length fields or the float payload of the template lie inside the
 * frame. A frame of a newer version may end with bytes this build does not know (fields appended later) and they
 * are skipped; a frame of this build's version must end exactly where its content does. Decoders are then wrapped
 * with the acting block length and version of the header, so a newer peer's longer block is stepped over.
 */
public final class FrameGate
{
    private static final long LENGTH_ABSURD = -1;
    private static final int VAR_LENGTH_PREFIX = VarBytesDecoder.lengthEncodingLength();

    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private DirectBuffer buffer;
    private int offset;
    private int length;
    private boolean headerReadable;

    /**
     * Check the header of a frame and remember the frame for {@link #checkBody} and the accessors.
     *
     * @param buffer holding the frame.
     * @param offset of the frame start.
     * @param length of the frame.
     * @return {@link FrameStatus#OK} or the first defect found.
     */
    public FrameStatus checkHeader(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        headerReadable = length >= MessageHeaderDecoder.ENCODED_LENGTH;
        if (!headerReadable)
        {
            return FrameStatus.TRUNCATED;
        }

        header.wrap(buffer, offset);
        if (header.schemaId() != WireSchema.SCHEMA_ID)
        {
            return FrameStatus.UNKNOWN_SCHEMA;
        }
        final int version = header.version();
        if (version < WireSchema.OLDEST_SUPPORTED_VERSION)
        {
            return FrameStatus.UNSUPPORTED_VERSION;
        }
        final int expectedBlockLength = WireSchema.blockLength(header.templateId(), version);
        if (expectedBlockLength < 0)
        {
            return FrameStatus.UNKNOWN_TEMPLATE;
        }
        final int blockLength = header.blockLength();
        if (version > WireSchema.VERSION ? blockLength < expectedBlockLength : blockLength != expectedBlockLength)
        {
            return FrameStatus.BAD_BLOCK_LENGTH;
        }
        if (length < MessageHeaderDecoder.ENCODED_LENGTH + blockLength)
        {
            return FrameStatus.TRUNCATED;
        }
        return FrameStatus.OK;
    }

    /**
     * Check the content after the block of the frame whose header just passed {@link #checkHeader}: the float
     * payload of GRADIENT and PARAMS, the variable-length fields of REGISTER and REJECT.
     *
     * @return {@link FrameStatus#OK} or the first defect found.
     */
    public FrameStatus checkBody()
    {
        final int body = bodyOffset();
        final int blockEnd = body + header.blockLength();
        final int end = offset + length;
        final long contentEnd;
        switch (header.templateId())
        {
            case GradientChunkDecoder.TEMPLATE_ID ->
                contentEnd = payloadEnd(blockEnd, body + GradientChunkDecoder.floatCountEncodingOffset());
            case ParamsChunkDecoder.TEMPLATE_ID ->
                contentEnd = payloadEnd(blockEnd, body + ParamsChunkDecoder.floatCountEncodingOffset());
            case RegisterDecoder.TEMPLATE_ID -> contentEnd = varFieldsEnd(blockEnd, end, 2); // token, replyEndpoint
            case RejectDecoder.TEMPLATE_ID -> contentEnd = varFieldsEnd(blockEnd, end, 1);   // reason
            default -> contentEnd = blockEnd;
        }

        if (contentEnd == LENGTH_ABSURD)
        {
            return FrameStatus.LENGTH_MISMATCH;
        }
        if (contentEnd > end)
        {
            return FrameStatus.TRUNCATED;
        }
        if (contentEnd < end && header.version() <= WireSchema.VERSION)
        {
            return FrameStatus.LENGTH_MISMATCH;
        }
        return FrameStatus.OK;
    }

    /**
     * Wrap a generated decoder over the last frame checked, with the frame's acting block length and version.
     *
     * @param decoder matching the frame's template.
     * @param <T>     decoder type.
     * @return the decoder.
     */
    public <T extends MessageDecoderFlyweight> T wrap(final T decoder)
    {
        decoder.wrap(buffer, bodyOffset(), header.blockLength(), header.version());
        return decoder;
    }

    /** @return template id of the last frame checked, or -1 if it was too short for a header. */
    public int templateId()
    {
        return headerReadable ? header.templateId() : -1;
    }

    /** @return schema id of the last frame checked, or -1 if it was too short for a header. */
    public int schemaId()
    {
        return headerReadable ? header.schemaId() : -1;
    }

    /** @return version of the last frame checked (the acting version to decode it with), -1 if unreadable. */
    public int version()
    {
        return headerReadable ? header.version() : -1;
    }

    /** @return block length declared by the last frame checked (the acting block length to decode it with). */
    public int blockLength()
    {
        return header.blockLength();
    }

    /** @return offset in the buffer of the last frame's block, where a decoder is wrapped. */
    public int bodyOffset()
    {
        return offset + MessageHeaderDecoder.ENCODED_LENGTH;
    }

    /** @return buffer of the last frame checked. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    private long payloadEnd(final int blockEnd, final int floatCountIndex)
    {
        final int floatCount = buffer.getInt(floatCountIndex, WireSchema.BYTE_ORDER);
        return floatCount < 0 ? LENGTH_ABSURD : blockEnd + 4L * floatCount;
    }

    private long varFieldsEnd(final int blockEnd, final int end, final int fields)
    {
        long limit = blockEnd;
        for (int i = 0; i < fields; i++)
        {
            if (limit + VAR_LENGTH_PREFIX > end)
            {
                return end + 1L; // the length prefix itself is cut off
            }
            final int fieldLength = buffer.getShort((int)limit, WireSchema.BYTE_ORDER) & 0xFFFF;
            if (fieldLength > WireSchema.MAX_VAR_DATA_LENGTH)
            {
                return LENGTH_ABSURD;
            }
            limit += VAR_LENGTH_PREFIX + fieldLength;
        }
        return limit;
    }
}
