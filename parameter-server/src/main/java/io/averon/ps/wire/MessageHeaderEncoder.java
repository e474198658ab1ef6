package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Writes the 8-byte header that starts every frame: block length, template id, schema id and version, each an
 * unsigned 16-bit little-endian field, in the layout of an SBE message header.
 */
public final class MessageHeaderEncoder
{
    private MessageHeaderEncoder()
    {
    }

    /**
     * Write a header for the current schema version.
     *
     * @param buffer      to write into.
     * @param offset      of the frame start.
     * @param blockLength length of the fixed block that follows.
     * @param templateId  message type.
     */
    public static void encode(
        final MutableDirectBuffer buffer, final int offset, final int blockLength, final int templateId)
    {
        encode(buffer, offset, blockLength, templateId, WireSchema.SCHEMA_ID, WireSchema.VERSION);
    }

    /**
     * Write a header with explicit schema id and version (tests use it to forge foreign or future frames).
     *
     * @param buffer      to write into.
     * @param offset      of the frame start.
     * @param blockLength length of the fixed block that follows.
     * @param templateId  message type.
     * @param schemaId    schema identifier.
     * @param version     schema version.
     */
    public static void encode(
        final MutableDirectBuffer buffer,
        final int offset,
        final int blockLength,
        final int templateId,
        final int schemaId,
        final int version)
    {
        buffer.putShort(offset + MessageHeaderDecoder.BLOCK_LENGTH_OFFSET, (short)blockLength, BYTE_ORDER);
        buffer.putShort(offset + MessageHeaderDecoder.TEMPLATE_ID_OFFSET, (short)templateId, BYTE_ORDER);
        buffer.putShort(offset + MessageHeaderDecoder.SCHEMA_ID_OFFSET, (short)schemaId, BYTE_ORDER);
        buffer.putShort(offset + MessageHeaderDecoder.VERSION_OFFSET, (short)version, BYTE_ORDER);
    }
}
