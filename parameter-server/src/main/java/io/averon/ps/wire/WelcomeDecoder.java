package io.averon.ps.wire;

import org.agrona.DirectBuffer;

import static io.averon.ps.wire.WireSchema.BYTE_ORDER;

/**
 * Decodes WELCOME; see {@link WelcomeEncoder} for the meaning of the fields.
 */
public final class WelcomeDecoder
{
    private DirectBuffer buffer;
    private int offset;

    /**
     * @param buffer holding the frame, whose header already passed {@link MessageHeaderDecoder#check}.
     * @param offset of the frame start.
     * @param length of the frame.
     * @return {@link FrameStatus#OK} or {@link FrameStatus#LENGTH_MISMATCH} if bytes trail the block.
     */
    public FrameStatus wrap(final DirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset + MessageHeaderDecoder.LENGTH;
        return length == MessageHeaderDecoder.LENGTH + WelcomeEncoder.BLOCK_LENGTH ?
            FrameStatus.OK : FrameStatus.LENGTH_MISMATCH;
    }

    /** @return worker id. */
    public int workerId()
    {
        return buffer.getInt(offset + WelcomeEncoder.WORKER_ID_OFFSET, BYTE_ORDER);
    }

    /** @return number of model parameters. */
    public int parameterCount()
    {
        return buffer.getInt(offset + WelcomeEncoder.PARAMETER_COUNT_OFFSET, BYTE_ORDER);
    }

    /** @return correlation id of the REGISTER answered. */
    public long correlationId()
    {
        return buffer.getLong(offset + WelcomeEncoder.CORRELATION_ID_OFFSET, BYTE_ORDER);
    }

    /** @return session key. */
    public long sessionKey()
    {
        return buffer.getLong(offset + WelcomeEncoder.SESSION_KEY_OFFSET, BYTE_ORDER);
    }

    /** @return server step at registration. */
    public long step()
    {
        return buffer.getLong(offset + WelcomeEncoder.STEP_OFFSET, BYTE_ORDER);
    }

    /** @return server step deadline in milliseconds. */
    public long stepDeadlineMs()
    {
        return buffer.getLong(offset + WelcomeEncoder.STEP_DEADLINE_MS_OFFSET, BYTE_ORDER);
    }
}
