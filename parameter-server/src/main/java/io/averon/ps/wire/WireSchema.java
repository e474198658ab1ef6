package io.averon.ps.wire;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the generated codecs of {@code averon-wire.xml} do not say by themselves: the streams the schema is spoken
 * on, the range of versions this build accepts, the block length each accepted version of a template must carry, and
 * the names used in logs. The schema id and current version come from the generated header codec, so the XML stays
 * the one place the schema is defined.
 */
public final class WireSchema
{
    /** Identifies Averon frames ("AV"); anything else arriving on a stream is foreign traffic. */
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;

    /** Version this build writes; it reads any version from {@link #OLDEST_SUPPORTED_VERSION} on. */
    public static final int VERSION = MessageHeaderDecoder.SCHEMA_VERSION;

    /**
     * Oldest version whose frames this build still reads. Newer versions are always read (SBE's rules make their
     * extra fields and longer blocks skippable); raising this is the one way to break older peers, deliberately.
     * Version 1 sent the job token in clear and authenticated no frame; version 2 computed its MACs otherwise (HMAC of
     * every byte, see FrameMac); neither is read any more.
     */
    public static final int OLDEST_SUPPORTED_VERSION = 3;

    /** Byte order of every multi-byte field. */
    public static final ByteOrder BYTE_ORDER = MessageHeaderDecoder.BYTE_ORDER;

    /** Stream on which clients publish to the server (REGISTER, GRADIENT, LEAVE). */
    public static final int REQUEST_STREAM_ID = 0x4156_0001;

    /** Stream on which the server publishes to one client (WELCOME, REJECT, PARAMS, LEAVE_ACK). */
    public static final int REPLY_STREAM_ID = 0x4156_0002;

    /** Stream on which the server multicasts PARAMS to the workers that joined its group (ps.fan-out = multicast). */
    public static final int GROUP_STREAM_ID = 0x4156_0003;

    /** Header plus the longer fixed block of the two chunk templates this build writes; the payload follows it. */
    public static final int MAX_CHUNK_HEADER_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH +
        Math.max(GradientChunkEncoder.BLOCK_LENGTH, ParamsChunkEncoder.BLOCK_LENGTH);

    /** Upper bound on the length of a token, endpoint or reason carried as variable-length data. */
    public static final int MAX_VAR_DATA_LENGTH = VarBytesEncoder.lengthMaxValue();

    private WireSchema()
    {
    }

    /**
     * Block length a frame of a known template must declare: exactly this build's for its own version (a shorter or
     * longer block of the same version is a forgery or a bug), at least this build's for a newer version (which may
     * only append fields). When {@link #VERSION} moves past {@link #OLDEST_SUPPORTED_VERSION}, the block lengths of
     * the older versions still read belong here; {@code WireSchemaTest} fails until they are.
     *
     * @param templateId from the message header.
     * @param version    from the message header, at least {@link #OLDEST_SUPPORTED_VERSION}.
     * @return block length in bytes, or -1 if the template id is unknown.
     */
    public static int blockLength(final int templateId, final int version)
    {
        if (version < VERSION)
        {
            return -1; // no older version is read yet, see OLDEST_SUPPORTED_VERSION
        }
        return switch (templateId)
        {
            case RegisterDecoder.TEMPLATE_ID -> RegisterDecoder.BLOCK_LENGTH;
            case WelcomeDecoder.TEMPLATE_ID -> WelcomeDecoder.BLOCK_LENGTH;
            case RejectDecoder.TEMPLATE_ID -> RejectDecoder.BLOCK_LENGTH;
            case GradientChunkDecoder.TEMPLATE_ID -> GradientChunkDecoder.BLOCK_LENGTH;
            case ParamsChunkDecoder.TEMPLATE_ID -> ParamsChunkDecoder.BLOCK_LENGTH;
            case LeaveDecoder.TEMPLATE_ID -> LeaveDecoder.BLOCK_LENGTH;
            case LeaveAckDecoder.TEMPLATE_ID -> LeaveAckDecoder.BLOCK_LENGTH;
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
            case RegisterDecoder.TEMPLATE_ID -> "REGISTER";
            case WelcomeDecoder.TEMPLATE_ID -> "WELCOME";
            case RejectDecoder.TEMPLATE_ID -> "REJECT";
            case GradientChunkDecoder.TEMPLATE_ID -> "GRADIENT";
            case ParamsChunkDecoder.TEMPLATE_ID -> "PARAMS";
            case LeaveDecoder.TEMPLATE_ID -> "LEAVE";
            case LeaveAckDecoder.TEMPLATE_ID -> "LEAVE_ACK";
            default -> "UNKNOWN";
        };
    }

    /**
     * UTF-8 bytes of a text for a variable-length field, cut to {@link #MAX_VAR_DATA_LENGTH} bytes: reasons are
     * built from exception messages of any length, and a generated encoder refuses a longer field by throwing.
     *
     * @param text to encode.
     * @return its UTF-8 bytes, at most {@link #MAX_VAR_DATA_LENGTH} of them.
     */
    public static byte[] varText(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= MAX_VAR_DATA_LENGTH ? bytes : Arrays.copyOf(bytes, MAX_VAR_DATA_LENGTH);
    }

    /**
     * The sentence an operator reads when a peer speaks another schema or a version too old: both sides' schema ids
     * and versions, so a mixed deployment is recognised as such and not mistaken for corruption.
     *
     * @param schemaId of the refused frame.
     * @param version  of the refused frame.
     * @return e.g. "frame of wire schema 0x0bad version 1; this build speaks schema 0x4156 versions 1 to 1".
     */
    public static String incompatibility(final int schemaId, final int version)
    {
        return "frame of wire schema 0x" + Integer.toHexString(schemaId) + " version " + version +
            "; this build speaks schema 0x" + Integer.toHexString(SCHEMA_ID) + " versions " +
            OLDEST_SUPPORTED_VERSION + " to " + VERSION + " (and reads newer versions of it)";
    }
}
