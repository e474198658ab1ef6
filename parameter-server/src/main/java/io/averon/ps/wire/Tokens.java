package io.averon.ps.wire;

import org.agrona.DirectBuffer;

/**
 * Comparison of a received token, read in place from the frame, with the job's secret in time that does not
 * depend on how many leading bytes match, so the secret cannot be guessed byte by byte from response times. The
 * token is never copied into a String and so does not linger on the server's heap.
 */
public final class Tokens
{
    private Tokens()
    {
    }

    /**
     * @param received token bytes, e.g. a view wrapped by {@code RegisterDecoder.wrapToken}.
     * @param expected secret bytes.
     * @return true if both hold the same bytes.
     */
    public static boolean matches(final DirectBuffer received, final byte[] expected)
    {
        final int receivedLength = received.capacity();
        int difference = receivedLength ^ expected.length;
        for (int i = 0; i < expected.length; i++)
        {
            final byte actual = i < receivedLength ? received.getByte(i) : 0;
            difference |= actual ^ expected[i];
        }
        return difference == 0;
    }
}
