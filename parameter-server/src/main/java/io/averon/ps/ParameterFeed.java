package io.averon.ps;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.WelcomeEncoder;
import io.averon.ps.wire.WireSchema;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The server's outbound stream to one worker: an optional WELCOME, then the authoritative parameters of one step as
 * PARAMS chunks, each its own small header followed by a slice of the step's {@link StepPayload}, which is encoded
 * once for every member. It never blocks: {@link #send(long, int)} offers at most a burst of chunks and returns on
 * back-pressure, keeping the header it encoded for the retry. The WELCOME is signed with the session's key, the
 * chunks carry the MACs the payload computed once for all members. When a newer step completes,
 * {@link #restart(long)} abandons the older stream at a chunk boundary; the client then discards its partial copy
 * when it sees the new chunk 0.
 */
final class ParameterFeed
{
    private final ExclusivePublication publication;
    private final StepPayload payload;
    private final int chunkCount;
    private final long sessionKey;
    private final FrameMac sessionMac;
    private final UnsafeBuffer buffer;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final WelcomeEncoder welcomeEncoder = new WelcomeEncoder();

    private boolean welcomePending;
    private int welcomeWorkerId;
    private long welcomeCorrelationId;
    private long welcomeDeadlineMs;
    private byte[] welcomeServerNonce;
    private byte[] welcomeParamsNonce;

    private boolean paramsPending;
    private long paramsStep;
    private int nextChunk;

    private int encodedLength;
    private int payloadOffset;
    private int payloadLength;
    private long lastProgressNs;
    private boolean stallReported;
    private long lastOfferResult;

    ParameterFeed(
        final ExclusivePublication publication,
        final StepPayload payload,
        final long sessionKey,
        final FrameMac sessionMac,
        final long nowNs)
    {
        this.publication = publication;
        this.payload = payload;
        this.chunkCount = payload.chunkCount();
        this.sessionKey = sessionKey;
        this.sessionMac = sessionMac;
        // Headers only: a WELCOME or a PARAMS chunk's header; the floats come from the shared payload.
        this.buffer = new UnsafeBuffer(
            BufferUtil.allocateDirectAligned(BitUtil.align(Math.max(WireSchema.MAX_CHUNK_HEADER_LENGTH, 256), 64), 64));
        this.lastProgressNs = nowNs;
    }

    void welcome(
        final int workerId,
        final long correlationId,
        final long stepDeadlineMs,
        final byte[] serverNonce,
        final byte[] paramsNonce)
    {
        welcomePending = true;
        welcomeWorkerId = workerId;
        welcomeCorrelationId = correlationId;
        welcomeDeadlineMs = stepDeadlineMs;
        welcomeServerNonce = serverNonce;
        welcomeParamsNonce = paramsNonce;
    }

    void restart(final long step, final long nowNs)
    {
        if (!isPending())
        {
            lastProgressNs = nowNs;
            stallReported = false;
        }
        paramsPending = true;
        paramsStep = step;
        nextChunk = 0;
        if (!welcomePending)
        {
            encodedLength = 0;
        }
    }

    void stop()
    {
        welcomePending = false;
        paramsPending = false;
        encodedLength = 0;
    }

    boolean isPending()
    {
        return welcomePending || paramsPending;
    }

    long lastProgressNs()
    {
        return lastProgressNs;
    }

    boolean stallReported()
    {
        return stallReported;
    }

    void stallReported(final boolean reported)
    {
        stallReported = reported;
    }

    long lastOfferResult()
    {
        return lastOfferResult;
    }

    long paramsStep()
    {
        return paramsStep;
    }

    /**
     * Offer up to burst frames.
     *
     * @param nowNs current time.
     * @param burst maximum frames to offer.
     * @return frames offered, or 0 if back-pressured or idle.
     */
    int send(final long nowNs, final int burst)
    {
        int sent = 0;
        while (sent < burst && isPending())
        {
            if (encodedLength == 0)
            {
                encodeNext();
            }

            final long result = payloadLength == 0 ? publication.offer(buffer, 0, encodedLength) :
                publication.offer(buffer, 0, encodedLength, payload.buffer(), payloadOffset, payloadLength);
            lastOfferResult = result;
            if (result > 0)
            {
                sent++;
                encodedLength = 0;
                lastProgressNs = nowNs;
                stallReported = false;
                if (welcomePending)
                {
                    welcomePending = false;
                }
                else if (++nextChunk == chunkCount)
                {
                    paramsPending = false;
                }
            }
            else if (result == Publication.ADMIN_ACTION)
            {
                continue;
            }
            else if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
            {
                stop();
                break;
            }
            else
            {
                break;
            }
        }
        return sent;
    }

    private void encodeNext()
    {
        if (welcomePending)
        {
            payloadLength = 0;
            encodedLength = MessageHeaderEncoder.ENCODED_LENGTH +
                welcomeEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(welcomeWorkerId)
                .parameterCount(payload.parameterCount())
                .correlationId(welcomeCorrelationId)
                .sessionKey(sessionKey)
                .step(paramsStep)
                .stepDeadlineMs(welcomeDeadlineMs)
                .putServerNonce(welcomeServerNonce, 0, welcomeServerNonce.length)
                .putParamsNonce(welcomeParamsNonce, 0, welcomeParamsNonce.length)
                .encodedLength();
            sessionMac.signFrame(buffer, 0, encodedLength,
                MessageHeaderEncoder.ENCODED_LENGTH + WelcomeEncoder.macEncodingOffset());
            return;
        }

        encodedLength = payload.encodeChunk(buffer, sessionKey, paramsStep, nextChunk);
        payloadOffset = payload.payloadOffset(nextChunk);
        payloadLength = payload.payloadLength(nextChunk);
    }
}
