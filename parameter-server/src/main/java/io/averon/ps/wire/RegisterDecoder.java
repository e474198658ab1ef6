package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import java.nio.charset.StandardCharsets;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes REGISTER after checking that both variable-length fields lie inside the frame and that nothing trails
 * them. The token is compared in constant time and never materialised as a String, so it does not linger on the
 * heap of the server.
 */
public final class RegisterDecoder
{
    private DirectBuffer buffer;
    private int offset;
    private int tokenOffset;
    private int tokenLength;
    private int endpointOffset;
    private int endpointLength;

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
        final int end = offset + length;
        int limit = this.offset + RegisterEncoder.BLOCK_LENGTH;

        tokenLength = VarData.length(buffer, limit, end);
        if (tokenLength < 0)
        {
            return tokenLength == -1 ? FrameStatus.TRUNCATED : FrameStatus.LENGTH_MISMATCH;
        }
        tokenOffset = limit + VarData.LENGTH_PREFIX;
        limit = tokenOffset + tokenLength;

        endpointLength = VarData.length(buffer, limit, end);
        if (endpointLength < 0)
        {
            return endpointLength == -1 ? FrameStatus.TRUNCATED : FrameStatus.LENGTH_MISMATCH;
        }
        endpointOffset = limit + VarData.LENGTH_PREFIX;
        limit = endpointOffset + endpointLength;

        if (limit > end)
        {
            return FrameStatus.TRUNCATED;
        }
        return limit == end ? FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return worker id. */
    public int workerId()
    {
        return buffer.getInt(offset + RegisterEncoder.WORKER_ID_OFFSET, BYTE_ORDER);
    }

    /** @return correlation id to echo. */
    public long correlationId()
    {
        return buffer.getLong(offset + RegisterEncoder.CORRELATION_ID_OFFSET, BYTE_ORDER);
    }

    /** @return token length in bytes. */
    public int tokenLength()
    {
        return tokenLength;
    }

    /**
     * Compare the token with the expected secret without leaking, through timing, how many leading bytes match.
     *
     * @param expected secret bytes.
     * @return true if equal.
     */
    public boolean tokenEquals(final byte[] expected)
    {
        int difference = tokenLength ^ expected.length;
        for (int i = 0; i < expected.length; i++)
        {
            final byte actual = i < tokenLength ? buffer.getByte(tokenOffset + i) : 0;
            difference |= actual ^ expected[i];
        }
        return difference == 0;
    }

    /** @return reply endpoint as sent (ASCII); allocates, registration is not a hot path. */
    public String replyEndpoint()
    {
        final byte[] bytes = new byte[endpointLength];
        buffer.getBytes(endpointOffset, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
