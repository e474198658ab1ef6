package io.averon.ps.wire;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;

/**
 * A keyed MAC over the bytes of frames: HMAC-SHA256 truncated to {@link #LENGTH} bytes, fed straight from Agrona
 * buffers (heap ones in place, direct ones through a small reusable array) so that signing or checking a frame
 * allocates nothing. HMAC-SHA256 runs at about 1.5 GB/s on CPUs with SHA extensions, so a LeNet gradient (1.7 MB)
 * costs about a millisecond. A frame's MAC field sits inside the bytes it covers; {@link #signFrame} and
 * {@link #verifyFrame} leave those 16 bytes out. One instance per key, used by one thread.
 */
public final class FrameMac
{
    /** Bytes of a MAC on the wire: 128 bits of HMAC-SHA256, enough against forgery (RFC 2104 section 5). */
    public static final int LENGTH = 16;

    static final String ALGORITHM = "HmacSHA256";
    private static final int SCRATCH_BYTES = 16 * 1024;

    private final Mac mac;
    private final byte[] digest = new byte[32];
    private byte[] scratch;

    FrameMac(final byte[] key)
    {
        try
        {
            mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ALGORITHM + " is not available in this JVM", ex);
        }
    }

    /**
     * Add bytes to the MAC being computed.
     *
     * @param buffer holding them.
     * @param offset of the first.
     * @param length how many; 0 adds nothing.
     * @return this.
     */
    public FrameMac update(final DirectBuffer buffer, final int offset, final int length)
    {
        final byte[] array = buffer.byteArray();
        if (array != null)
        {
            mac.update(array, (int)buffer.wrapAdjustment() + offset, length);
            return this;
        }
        if (scratch == null)
        {
            scratch = new byte[SCRATCH_BYTES];
        }
        for (int done = 0; done < length; )
        {
            final int n = Math.min(SCRATCH_BYTES, length - done);
            buffer.getBytes(offset + done, scratch, 0, n);
            mac.update(scratch, 0, n);
            done += n;
        }
        return this;
    }

    /**
     * Add a PARAMS frame's bytes from its start up to {@code end}, leaving out its session key and its MAC: a chunk
     * is signed once for every member, so what is signed must not depend on the member. The payload may follow in the
     * same buffer ({@code end} = the frame's end), or be added afterwards from another one.
     *
     * @param buffer      holding the frame.
     * @param frameOffset of the frame's message header.
     * @param end         offset after the last byte to add, at or after the MAC field.
     * @return this.
     */
    public FrameMac updateParams(final DirectBuffer buffer, final int frameOffset, final int end)
    {
        final int block = frameOffset + MessageHeaderEncoder.ENCODED_LENGTH;
        final int key = block + ParamsChunkEncoder.sessionKeyEncodingOffset();
        final int afterKey = key + Long.BYTES;
        final int mac = block + ParamsChunkEncoder.macEncodingOffset();
        final int afterMac = mac + LENGTH;
        return update(buffer, frameOffset, key - frameOffset)
            .update(buffer, afterKey, mac - afterKey)
            .update(buffer, afterMac, end - afterMac);
    }

    /**
     * Finish the MAC of everything added since the last finish and write it.
     *
     * @param buffer to write into.
     * @param offset of the {@link #LENGTH} bytes.
     */
    public void sign(final MutableDirectBuffer buffer, final int offset)
    {
        finish();
        buffer.putBytes(offset, digest, 0, LENGTH);
    }

    /**
     * Finish the MAC of everything added since the last finish and compare it, in time that does not depend on where
     * the first difference is, with the one a frame carries.
     *
     * @param buffer holding the received MAC.
     * @param offset of its {@link #LENGTH} bytes.
     * @return true if they are equal.
     */
    public boolean verify(final DirectBuffer buffer, final int offset)
    {
        finish();
        int difference = 0;
        for (int i = 0; i < LENGTH; i++)
        {
            difference |= buffer.getByte(offset + i) ^ digest[i];
        }
        return difference == 0;
    }

    /**
     * Sign a whole frame whose MAC field lies within it.
     *
     * @param buffer    holding the frame.
     * @param offset    of the frame.
     * @param length    of the frame.
     * @param macOffset absolute offset of the MAC field, inside the frame.
     */
    public void signFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int macOffset)
    {
        updateAround(buffer, offset, length, macOffset);
        sign(buffer, macOffset);
    }

    /**
     * Check a whole frame whose MAC field lies within it.
     *
     * @param buffer    holding the frame.
     * @param offset    of the frame.
     * @param length    of the frame.
     * @param macOffset absolute offset of the MAC field, inside the frame.
     * @return true if the frame carries the MAC of its other bytes under this key.
     */
    public boolean verifyFrame(final DirectBuffer buffer, final int offset, final int length, final int macOffset)
    {
        updateAround(buffer, offset, length, macOffset);
        return verify(buffer, macOffset);
    }

    private void updateAround(final DirectBuffer buffer, final int offset, final int length, final int macOffset)
    {
        update(buffer, offset, macOffset - offset);
        final int after = macOffset + LENGTH;
        update(buffer, after, offset + length - after);
    }

    private void finish()
    {
        try
        {
            mac.doFinal(digest, 0);
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(ex); // digest holds a whole HMAC-SHA256 output
        }
    }
}
