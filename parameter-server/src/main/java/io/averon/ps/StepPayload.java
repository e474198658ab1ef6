package io.averon.ps;

import io.averon.ps.wire.FloatPayload;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The authoritative parameters of the current step, encoded once in wire byte order when the step completes, from
 * which every member's {@link ParameterFeed} sends its PARAMS chunks: each feed encodes only its own small chunk
 * header (its session key differs) and offers header and payload slice together, so W members cost one encode of
 * the parameters per step instead of W, and a slow member still never holds the others back.
 */
final class StepPayload
{
    private final UnsafeBuffer buffer;
    private final int parameterCount;

    StepPayload(final int parameterCount)
    {
        this.parameterCount = parameterCount;
        this.buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(parameterCount * Float.BYTES, BitUtil.CACHE_LINE_LENGTH), BitUtil.CACHE_LINE_LENGTH));
    }

    /** Encodes the parameters of a newly completed step (or the initial ones). */
    void encode(final float[] parameters)
    {
        FloatPayload.put(buffer, 0, parameters, 0, parameterCount);
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
