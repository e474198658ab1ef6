package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameGate;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.FrameStatus;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.LeaveEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectDecoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WelcomeDecoder;
import io.averon.ps.wire.WelcomeEncoder;
import io.averon.ps.wire.WireSchema;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A hand-driven peer that talks to the server through plain Aeron publications and hand-built frames, bypassing
 * {@link ParameterServerClient}: the way to send what a well-behaved client never would. Once registered it signs its
 * own GRADIENT and LEAVE frames with its session key (an insider holding the token, like a buggy worker), unless a
 * test sends a frame {@link #sendAsIs as it is}.
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
    FrameMac sessionMac;
    FrameMac paramsMac;
    byte[] lastClientNonce;

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

    /** Send the frame at the start of {@link #buffer}, signed with this peer's session key if it is its own. */
    void send(final int length)
    {
        signIfOwn(length);
        sendAsIs(length);
    }

    private void signIfOwn(final int length)
    {
        if (sessionMac == null || length < MessageHeaderEncoder.ENCODED_LENGTH)
        {
            return;
        }
        final int template = buffer.getShort(2, WireSchema.BYTE_ORDER) & 0xFFFF;
        final int macOffset = MessageHeaderEncoder.ENCODED_LENGTH + switch (template)
        {
            case GradientChunkEncoder.TEMPLATE_ID -> GradientChunkEncoder.macEncodingOffset();
            case LeaveEncoder.TEMPLATE_ID -> LeaveEncoder.macEncodingOffset();
            default -> -length;
        };
        if (macOffset > 0 && length >= macOffset + FrameMac.LENGTH &&
            buffer.getLong(MessageHeaderEncoder.ENCODED_LENGTH + 8, WireSchema.BYTE_ORDER) == sessionKey)
        {
            sessionMac.signFrame(buffer, 0, length, macOffset);
        }
    }

    /** Send the frame at the start of {@link #buffer} exactly as it is: forged, replayed or unsigned. */
    void sendAsIs(final int length)
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

    /**
     * Send a REGISTER naming any reply endpoint, without waiting for an answer, with a proof made from the given
     * token (so a wrong token makes a proof the server refuses) and a fresh nonce.
     */
    void sendRegister(
        final int workerId, final String token, final String claimedReplyEndpoint, final long correlationId)
    {
        sendAsIs(encodeRegister(workerId, token, claimedReplyEndpoint, correlationId));
    }

    /** @return the length of a signed REGISTER encoded at the start of {@link #buffer}. */
    int encodeRegister(
        final int workerId, final String token, final String claimedReplyEndpoint, final long correlationId)
    {
        lastClientNonce = RunSecret.newNonce(new SecureRandom());
        buffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + RegisterEncoder.BLOCK_LENGTH, (byte)0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH +
            new RegisterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
            .workerId(workerId)
            .correlationId(correlationId)
            .putClientNonce(lastClientNonce, 0, lastClientNonce.length)
            .putToken(new byte[0], 0, 0)
            .replyEndpoint(claimedReplyEndpoint)
            .encodedLength();
        new RunSecret(token).registrationMac().signFrame(
            buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + RegisterEncoder.proofEncodingOffset());
        return length;
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
                final byte[] serverNonce = new byte[RunSecret.NONCE_LENGTH];
                final byte[] paramsNonce = new byte[RunSecret.NONCE_LENGTH];
                welcome.getServerNonce(serverNonce, 0, serverNonce.length);
                welcome.getParamsNonce(paramsNonce, 0, paramsNonce.length);
                final RunSecret secret = new RunSecret(token);
                sessionMac = secret.sessionMac(workerId, lastClientNonce, serverNonce);
                paramsMac = secret.paramsMac(paramsNonce);
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
        buffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + LeaveEncoder.BLOCK_LENGTH, (byte)0);
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
