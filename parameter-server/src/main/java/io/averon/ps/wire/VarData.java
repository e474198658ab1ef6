package io.averon.ps.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Variable-length byte fields as SBE lays them out: an unsigned 16-bit length followed by the bytes. Kept in one
 * place so encoders and decoders agree on the framing and on the bound that stops a forged length.
 */
final class VarData
{
    static final int LENGTH_PREFIX = 2;

    private VarData()
    {
    }

    static int put(final MutableDirectBuffer buffer, final int index, final byte[] bytes)
    {
        if (bytes.length > WireSchema.MAX_VAR_DATA_LENGTH)
        {
            throw new IllegalArgumentException(
                "variable-length field of " + bytes.length + " bytes exceeds " + WireSchema.MAX_VAR_DATA_LENGTH);
        }
        buffer.putShort(index, (short)bytes.length, BYTE_ORDER);
        buffer.putBytes(index + LENGTH_PREFIX, bytes);
        return index + LENGTH_PREFIX + bytes.length;
    }

    /**
     * @return length of the field at index, -1 if the prefix does not fit before end, -2 if the length is absurd.
     */
    static int length(final DirectBuffer buffer, final int index, final int end)
    {
        if (index + LENGTH_PREFIX > end)
        {
            return -1;
        }
        final int length = buffer.getShort(index, BYTE_ORDER) & 0xFFFF;
        return length > WireSchema.MAX_VAR_DATA_LENGTH ? -2 : length;
    }
}
