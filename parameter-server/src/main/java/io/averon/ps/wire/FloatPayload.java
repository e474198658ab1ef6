package io.averon.ps.wire;

import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * The float array that ends GRADIENT and PARAMS frames: little-endian IEEE 754 values, written by both encoders
 * through this one copy loop so that the two messages cannot drift apart in layout.
 */
final class FloatPayload
{
    private FloatPayload()
    {
    }

    /**
     * Copy {@code count} floats of {@code source} starting at {@code fromIndex} to {@code buffer} at {@code index}.
     */
    static void write(
        final MutableDirectBuffer buffer,
        final int index,
        final float[] source,
        final int fromIndex,
        final int count)
    {
        for (int i = 0; i < count; i++)
        {
            buffer.putFloat(index + (i << 2), source[fromIndex + i], BYTE_ORDER);
        }
    }
}
