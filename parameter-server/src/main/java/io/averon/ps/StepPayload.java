package io.averon.ps;

import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.ParamsChunkEncoder;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The authoritative parameters of the current step, encoded once in wire byte order when the step completes, from
 * which every member's {@link ParameterFeed} sends its PARAMS chunks: each feed encodes only its own small chunk
 * header (its session key differs) and offers header and payload slice together, so W members cost one encode of
 * the parameters per step instead of W, and a slow member still never holds the others back. The chunks' MACs are
 * computed here once per step too: they are under the server run's PARAMS key and leave the session key out, so
 * every member's copy of a chunk carries the same MAC.
 */
final class StepPayload
{
    private static final int HEADER_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.BLOCK_LENGTH;
    private static final int MAC_OFFSET = MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.macEncodingOffset();

    private final UnsafeBuffer buffer;
    private final int parameterCount;
    private final int chunkFloats;
    private final int chunkCount;
    private final FrameMac mac;
    private final UnsafeBuffer chunkMacs;
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[HEADER_LENGTH]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ParamsChunkEncoder encoder = new ParamsChunkEncoder();
    private long signedStep = Long.MIN_VALUE;

    StepPayload(final int parameterCount, final int chunkBytes, final FrameMac mac)
    {
        this.parameterCount = parameterCount;
        this.chunkFloats = chunkBytes >> 2;
        this.chunkCount = (parameterCount + chunkFloats - 1) / chunkFloats;
        this.mac = mac;
        this.chunkMacs = new UnsafeBuffer(new byte[chunkCount * FrameMac.LENGTH]);
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(parameterCount * Float.BYTES, BitUtil.CACHE_LINE_LENGTH), BitUtil.CACHE_LINE_LENGTH));
    }

    /** Encodes the parameters of a newly completed step (or the initial ones); {@link #sign} them before sending. */
    void encode(final float[] parameters)
    {
        FloatPayload.put(buffer, 0, parameters, 0, parameterCount);
        signedStep = Long.MIN_VALUE;
    }

    /**
     * Computes every chunk's MAC for the parameters as encoded, published as those of the given step (a step that
     * changed nothing still gets its own MACs, since the step number is part of what is signed).
     */
    void sign(final long step)
    {
        for (int chunk = 0; chunk < chunkCount; chunk++)
        {
            final int length = encodeHeader(header, 0, 0, step, chunk);
            final int floatOffset = chunk * chunkFloats;
            mac.updateParams(header, 0, length).update(buffer, floatOffset << 2, floatCount(chunk) << 2);
            mac.sign(chunkMacs, chunk * FrameMac.LENGTH);
        }
        signedStep = step;
    }

    /**
     * Encode the header of one chunk of the signed step for one member, MAC included; the payload slice follows it
     * on the wire ({@link #payloadOffset}, {@link #payloadLength}).
     *
     * @return the header's length.
     */
    int encodeChunk(final MutableDirectBuffer target, final long sessionKey, final long step, final int chunk)
    {
        if (step != signedStep)
        {
            throw new IllegalStateException("parameters of step " + step + " were not signed (signed " +
                signedStep + ")");
        }
        final int length = encodeHeader(target, 0, sessionKey, step, chunk);
        target.putBytes(MAC_OFFSET, chunkMacs, chunk * FrameMac.LENGTH, FrameMac.LENGTH);
        return length;
    }

    private int encodeHeader(
        final MutableDirectBuffer target, final int offset, final long sessionKey, final long step, final int chunk)
    {
        // Padding is signed as well: it must be the same bytes in the signing copy and in every member's copy.
        target.setMemory(offset, HEADER_LENGTH, (byte)0);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.wrapAndApplyHeader(target, offset, headerEncoder)
            .sessionKey(sessionKey)
            .step(step)
            .parameterCount(parameterCount)
            .chunkIndex(chunk)
            .chunkCount(chunkCount)
            .floatOffset(chunk * chunkFloats)
            .floatCount(floatCount(chunk))
            .encodedLength();
    }

    int chunkCount()
    {
        return chunkCount;
    }

    int payloadOffset(final int chunk)
    {
        return (chunk * chunkFloats) << 2;
    }

    int payloadLength(final int chunk)
    {
        return floatCount(chunk) << 2;
    }

    private int floatCount(final int chunk)
    {
        return Math.min(chunkFloats, parameterCount - chunk * chunkFloats);
    }

    int parameterCount()
    {
        return parameterCount;
    }

    DirectBuffer buffer()
    {
        return buffer;
    }
}
