package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameGate;
import io.averon.ps.wire.FrameStatus;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.LeaveEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectDecoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.WelcomeDecoder;
import io.averon.ps.wire.WelcomeEncoder;
import io.averon.ps.wire.WireSchema;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hand-driven peer that talks to the server through plain Aeron publications and hand-built frames, bypassing
 * {@link ParameterServerClient}: the way to send what a well-behaved client never would.
 */
final class RawPeer implements AutoCloseable
{
    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256 * 1024]);
    final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final GradientChunkEncoder gradientEncoder = new GradientChunkEncoder();
    private final Aeron aeron;
    private final ExclusivePublication publication;
    private final Subscription replies;
    private final String replyEndpoint;
    long sessionKey;
    long step;

    RawPeer(final ParameterServer server)
    {
        aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(server.aeronDirectory()));
        publication = aeron.addExclusivePublication(
            new UdpChannels(8192, Fixtures.SMALL_TERM, Fixtures.SOCKET_BUFFER).publication(server.endpoint()),
            WireSchema.REQUEST_STREAM_ID);
        replies = aeron.addSubscription("aeron:udp?endpoint=127.0.0.1:0", WireSchema.REPLY_STREAM_ID);
        Fixtures.await("raw peer connected", 5_000,
            () -> publication.isConnected() && replies.resolvedEndpoint() != null);
        replyEndpoint = replies.resolvedEndpoint();
    }

    /** @return the gradient encoder wrapped at the start of {@link #buffer}; finish with {@link #withFloats}. */
    GradientChunkEncoder gradient()
    {
        return gradientEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder);
    }

    /** Append a payload of floats to the gradient chunk being encoded; @return the frame length. */
    int withFloats(final GradientChunkEncoder encoder, final float[] values, final int fromIndex, final int count)
    {
        encoder.floatCount(count);
        FloatPayload.put(buffer, encoder.limit(), values, fromIndex, count);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength() + count * Float.BYTES;
    }

    /** Overwrite the header at the start of {@link #buffer}, to forge foreign, old or unknown frames. */
    void header(final int blockLength, final int templateId, final int schemaId, final int version)
    {
        headerEncoder.wrap(buffer, 0).blockLength(blockLength).templateId(templateId).schemaId(schemaId)
            .version(version);
    }

    void send(final int length)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (publication.offer(buffer, 0, length) < 0)
        {
            if (System.nanoTime() > deadlineNs)
            {
                fail("raw peer could not send " + length + " bytes");
            }
            Thread.onSpinWait();
        }
    }

    /** @return "host:port" this peer's reply subscription is bound to. */
    String replyEndpoint()
    {
        return replyEndpoint;
    }

    /** Send a REGISTER naming any reply endpoint, without waiting for an answer. */
    void sendRegister(
        final int workerId, final String token, final String claimedReplyEndpoint, final long correlationId)
    {
        final byte[] tokenBytes = token.getBytes(StandardCharsets.UTF_8);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH +
            new RegisterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .workerId(workerId)
            .correlationId(correlationId)
            .putToken(tokenBytes, 0, tokenBytes.length)
            .replyEndpoint(claimedReplyEndpoint)
            .encodedLength();
        send(length);
    }

    /**
     * Poll the reply subscription for a while and keep every REJECT that arrived.
     *
     * @return "refusal: reason" of each REJECT, in arrival order.
     */
    List<String> collectRejects(final long forMs)
    {
        final List<String> rejects = new ArrayList<>();
        final FrameGate frames = new FrameGate();
        final RejectDecoder reject = new RejectDecoder();
        final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, frameLength, h) ->
        {
            if (frames.checkHeader(buffer, offset, frameLength) == FrameStatus.OK &&
                frames.templateId() == RejectEncoder.TEMPLATE_ID)
            {
                frames.wrap(reject);
                if (frames.checkBody() == FrameStatus.OK)
                {
                    rejects.add(reject.refusal() + ": " + reject.reason());
                }
            }
        });
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(forMs);
        while (System.nanoTime() - deadlineNs < 0)
        {
            if (replies.poll(assembler, 100) == 0)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
        }
        return rejects;
    }

    /** Register like a client would and wait for WELCOME, keeping the session key for forged frames. */
    void register(final int workerId, final String token)
    {
        sendRegister(workerId, token, replyEndpoint, 99);

        final FrameGate frames = new FrameGate();
        final WelcomeDecoder welcome = new WelcomeDecoder();
        final boolean[] welcomed = new boolean[1];
        final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, frameLength, h) ->
        {
            if (frames.checkHeader(buffer, offset, frameLength) == FrameStatus.OK &&
                frames.templateId() == WelcomeEncoder.TEMPLATE_ID && frames.checkBody() == FrameStatus.OK &&
                frames.wrap(welcome).correlationId() == 99)
            {
                sessionKey = welcome.sessionKey();
                step = welcome.step();
                welcomed[0] = true;
            }
        });
        Fixtures.await("WELCOME for raw peer", 5_000, () ->
        {
            replies.poll(assembler, 100);
            return welcomed[0];
        });
        assertTrue(sessionKey != 0);
    }

    /** Discard whatever the server sent this peer, so that its feed to the peer is never back-pressured. */
    int drainReplies()
    {
        return replies.poll((buffer, offset, length, header) -> { }, 256);
    }

    /** Send a LEAVE for this peer's own session (the way its registration is ended cleanly). */
    void leave(final int workerId)
    {
        send(MessageHeaderEncoder.ENCODED_LENGTH + new LeaveEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .workerId(workerId)
            .sessionKey(sessionKey)
            .encodedLength());
    }

    @Override
    public void close()
    {
        CloseHelper.quietCloseAll(publication, replies, aeron);
    }
}
