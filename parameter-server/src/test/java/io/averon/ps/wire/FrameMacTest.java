package io.averon.ps.wire;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The frame MAC against a reference written out from its definition (NH-64 of each zero-padded 1 KiB block, then
 * HMAC-SHA256 of the block hashes and the length), whatever the calls to update and whatever the buffers; and the
 * properties a MAC needs: every flipped bit, a changed length or another key gives another MAC.
 */
class FrameMacTest
{
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @Test
    void equalsTheReferenceForAnySplitOfTheStreamAndAnyBuffer() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(3);
        for (final int length : new int[] { 0, 1, 7, 8, 1023, 1024, 1025, 64 * 1024 - 3, 64 * 1024, 200_003 })
        {
            final byte[] message = new byte[length];
            for (int i = 0; i < length; i++)
            {
                message[i] = (byte)random.nextInt();
            }
            final byte[] expected = reference(KEY, message);
            final FrameMac mac = new FrameMac(KEY);
            for (int trial = 0; trial < 4; trial++)
            {
                final UnsafeBuffer source = trial % 2 == 0 ? new UnsafeBuffer(new byte[length + 13]) :
                    new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(64, length + 64), 64));
                final int base = 5 + trial;
                source.putBytes(base, message);
                int at = 0;
                while (at < length)
                {
                    final int n = Math.min(length - at, trial == 0 ? length : 1 + random.nextInt(3000));
                    mac.update(source, base + at, n);
                    at += n;
                }
                final UnsafeBuffer out = new UnsafeBuffer(new byte[FrameMac.LENGTH]);
                mac.sign(out, 0);
                assertArrayEquals(expected, out.byteArray(), "length " + length + ", trial " + trial);
            }
        }
    }

    @Test
    void everyFlippedBitALongerStreamAndAnotherKeyChangeTheMac()
    {
        final SplittableRandom random = new SplittableRandom(4);
        final int length = 3000;
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[length + FrameMac.LENGTH]);
        for (int i = 0; i < length; i++)
        {
            frame.putByte(i, (byte)random.nextInt());
        }
        final FrameMac mac = new FrameMac(KEY);
        mac.update(frame, 0, length).sign(frame, length);
        assertTrue(mac.update(frame, 0, length).verify(frame, length));
        for (int bit = 0; bit < length * 8; bit += 7)
        {
            frame.putByte(bit / 8, (byte)(frame.getByte(bit / 8) ^ (1 << (bit % 8))));
            assertFalse(mac.update(frame, 0, length).verify(frame, length), "bit " + bit + " flipped");
            frame.putByte(bit / 8, (byte)(frame.getByte(bit / 8) ^ (1 << (bit % 8))));
        }
        final UnsafeBuffer zero = new UnsafeBuffer(new byte[1]);
        assertFalse(mac.update(frame, 0, length).update(zero, 0, 1).verify(frame, length), "a zero byte appended");
        assertFalse(new FrameMac(Arrays.copyOf(KEY, 31)).update(frame, 0, length).verify(frame, length),
            "another key");
        assertTrue(mac.update(frame, 0, length).verify(frame, length), "the frame itself still verifies");
    }

    /** The definition, written out plainly: NH-64 per zero-padded block, HMAC-SHA256 of hashes and length. */
    private static byte[] reference(final byte[] key, final byte[] message) throws Exception
    {
        final int[] k = new int[FrameMac.BLOCK / 4 + 4];
        final ByteArrayOutputStream material = new ByteArrayOutputStream();
        for (int i = 0; material.size() < k.length * 4; i++)
        {
            material.write(hmac(key, ("averon frame mac: nh " + i).getBytes(StandardCharsets.US_ASCII)));
        }
        final ByteBuffer keyBytes = ByteBuffer.wrap(material.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < k.length; i++)
        {
            k[i] = keyBytes.getInt(4 * i);
        }
        final int blocks = Math.max(1, (message.length + FrameMac.BLOCK - 1) / FrameMac.BLOCK);
        final ByteBuffer padded = ByteBuffer.wrap(Arrays.copyOf(message, blocks * FrameMac.BLOCK))
            .order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer input = ByteBuffer.allocate(blocks * 16 + 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < blocks; b++)
        {
            for (int shift = 0; shift <= 4; shift += 4)
            {
                long y = 0;
                for (int i = 0; i < FrameMac.BLOCK / 4; i += 2)
                {
                    final long m0 = Integer.toUnsignedLong(padded.getInt(b * FrameMac.BLOCK + 4 * i));
                    final long m1 = Integer.toUnsignedLong(padded.getInt(b * FrameMac.BLOCK + 4 * i + 4));
                    y += ((m0 + Integer.toUnsignedLong(k[i + shift])) % (1L << 32)) *
                        ((m1 + Integer.toUnsignedLong(k[i + 1 + shift])) % (1L << 32));
                }
                input.putLong(y);
            }
        }
        input.putLong(message.length);
        final byte[] finishKey = hmac(key, "averon frame mac: finish".getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(hmac(finishKey, input.array()), FrameMac.LENGTH);
    }

    private static byte[] hmac(final byte[] key, final byte[] message) throws Exception
    {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(message);
    }
}
