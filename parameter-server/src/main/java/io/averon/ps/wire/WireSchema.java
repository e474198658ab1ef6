package io.averon.ps.wire;

import java.nio.ByteOrder;

/**
 * Constants of the single, versioned wire schema spoken between the parameter server and its clients. Every
 * message starts with an 8-byte SBE-style header (block length, template id, schema id, version), followed by a
 * fixed-length block and, for some templates, variable-length data; all numbers are little-endian. A peer rejects
 * any frame whose schema id or version it does not know, so the schema can evolve by bumping {@link #VERSION}.
 */
public final class WireSchema
{
    /** Identifies Averon frames ("AV"); anything else arriving on a stream is foreign traffic. */
    public static final int SCHEMA_ID = 0x4156;

    /** The one version this build speaks. */
    public static final int VERSION = 1;

    /** Byte order of every multi-byte field. */
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;

    /** Stream on which clients publish to the server (REGISTER, GRADIENT, LEAVE). */
    public static final int REQUEST_STREAM_ID = 0x4156_0001;

    /** Stream on which the server publishes to one client (WELCOME, REJECT, PARAMS, LEAVE_ACK). */
    public static final int REPLY_STREAM_ID = 0x4156_0002;

    /** Longest header plus fixed block of the two chunk templates; a chunk's float payload follows it. */
    public static final int MAX_CHUNK_HEADER_LENGTH =
        MessageHeaderDecoder.LENGTH + Math.max(GradientChunkEncoder.BLOCK_LENGTH, ParamsChunkEncoder.BLOCK_LENGTH);

    /** Upper bound on the length of a token or endpoint carried as variable-length data. */
    public static final int MAX_VAR_DATA_LENGTH = 1024;

    private WireSchema()
    {
    }

    /**
     * Fixed block length expected for a template, or -1 if the template id is unknown to this version.
     *
     * @param templateId from the message header.
     * @return block length in bytes or -1.
     */
    public static int blockLength(final int templateId)
    {
        return switch (templateId)
        {
            case RegisterEncoder.TEMPLATE_ID -> RegisterEncoder.BLOCK_LENGTH;
            case WelcomeEncoder.TEMPLATE_ID -> WelcomeEncoder.BLOCK_LENGTH;
            case RejectEncoder.TEMPLATE_ID -> RejectEncoder.BLOCK_LENGTH;
            case GradientChunkEncoder.TEMPLATE_ID -> GradientChunkEncoder.BLOCK_LENGTH;
            case ParamsChunkEncoder.TEMPLATE_ID -> ParamsChunkEncoder.BLOCK_LENGTH;
            case LeaveEncoder.TEMPLATE_ID -> LeaveEncoder.BLOCK_LENGTH;
            case LeaveAckEncoder.TEMPLATE_ID -> LeaveAckEncoder.BLOCK_LENGTH;
            default -> -1;
        };
    }

    /**
     * Name of a template for logs.
     *
     * @param templateId from the message header.
     * @return upper-case message name or "UNKNOWN".
     */
    public static String templateName(final int templateId)
    {
        return switch (templateId)
        {
            case RegisterEncoder.TEMPLATE_ID -> "REGISTER";
            case WelcomeEncoder.TEMPLATE_ID -> "WELCOME";
            case RejectEncoder.TEMPLATE_ID -> "REJECT";
            case GradientChunkEncoder.TEMPLATE_ID -> "GRADIENT";
            case ParamsChunkEncoder.TEMPLATE_ID -> "PARAMS";
            case LeaveEncoder.TEMPLATE_ID -> "LEAVE";
            case LeaveAckEncoder.TEMPLATE_ID -> "LEAVE_ACK";
            default -> "UNKNOWN";
        };
    }
}
