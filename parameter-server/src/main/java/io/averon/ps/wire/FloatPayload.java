package io.averon.ps.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The float32 array that ends GRADIENT and PARAMS frames, which SBE cannot declare (an array sized by a block field,
 * with no length prefix of its own). The wire is little-endian, as is every platform Aeron runs on, so the payload is
 * the bytes of the float array itself and is moved with one bounds-checked memory copy between the Java array and
 * the buffer (heap or direct) instead of one putFloat/getFloat per value; the copy keeps every bit, NaN payloads
 * included, so averaging stays bit-exact. A big-endian JVM falls back to per-value little-endian access.
 */
public final class FloatPayload
{
    private static final boolean NATIVE_IS_WIRE_ORDER = ByteOrder.nativeOrder() == WireSchema.BYTE_ORDER;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);

    private FloatPayload()
    {
    }

    /**
     * Copy {@code count} floats of {@code source} from {@code fromIndex} to {@code buffer} at {@code index}.
     *
     * @param buffer    to write into.
     * @param index     in the buffer of the first float.
     * @param source    array to copy from.
     * @param fromIndex first index to copy.
     * @param count     floats to copy.
     */
    public static void put(
        final MutableDirectBuffer buffer, final int index, final float[] source, final int fromIndex, final int count)
    {
        Objects.checkFromIndexSize(fromIndex, count, source.length);
        buffer.boundsCheck(index, count << 2);
        if (NATIVE_IS_WIRE_ORDER)
        {
            UnsafeApi.copyMemory(
                source, FLOAT_ARRAY_BASE + ((long)fromIndex << 2),
                buffer.byteArray(), buffer.addressOffset() + index,
                (long)count << 2);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                buffer.putFloat(index + (i << 2), source[fromIndex + i], WireSchema.BYTE_ORDER);
            }
        }
    }

    /**
     * Copy {@code count} floats from {@code buffer} at {@code index} into {@code destination} from {@code toIndex}.
     *
     * @param buffer      to read from.
     * @param index       in the buffer of the first float.
     * @param destination array to copy into.
     * @param toIndex     index in destination of the first float.
     * @param count       floats to copy.
     */
    public static void get(
        final DirectBuffer buffer, final int index, final float[] destination, final int toIndex, final int count)
    {
        Objects.checkFromIndexSize(toIndex, count, destination.length);
        buffer.boundsCheck(index, count << 2);
        if (NATIVE_IS_WIRE_ORDER)
        {
            UnsafeApi.copyMemory(
                buffer.byteArray(), buffer.addressOffset() + index,
                destination, FLOAT_ARRAY_BASE + ((long)toIndex << 2),
                (long)count << 2);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                destination[toIndex + i] = buffer.getFloat(index + (i << 2), WireSchema.BYTE_ORDER);
            }
        }
    }

    /**
     * {@link #get} and then look for NaN and infinities in what was copied, so that a poisoned gradient is found
     * with one pass over the array instead of a check per buffer read.
     *
     * @param buffer      to read from.
     * @param index       in the buffer of the first float.
     * @param destination array to copy into.
     * @param toIndex     index in destination of the first float.
     * @param count       floats to copy.
     * @return -1 if every value was finite, else the index (counted from {@code toIndex}) of the first that is not;
     *         the destination range then holds the whole payload, finite or not.
     */
    public static int getFinite(
        final DirectBuffer buffer, final int index, final float[] destination, final int toIndex, final int count)
    {
        get(buffer, index, destination, toIndex, count);
        for (int i = 0; i < count; i++)
        {
            if (!Float.isFinite(destination[toIndex + i]))
            {
                return i;
            }
        }
        return -1;
    }
}
