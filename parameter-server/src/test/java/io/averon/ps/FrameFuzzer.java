package io.averon.ps;

import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.LeaveAckEncoder;
import io.averon.ps.wire.LeaveEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.ParamsChunkEncoder;
import io.averon.ps.wire.Refusal;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WelcomeEncoder;
import io.averon.ps.wire.WireSchema;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A seeded generator of hostile frames, sent through one {@link RawPeer} that is itself a registered member (the
 * "rogue"), while real workers train. Every frame it sends is either known to be rejected (the server must count
 * it) or uncertain: only the rogue's own session gets past the session check, and whether one of its chunks is
 * taken into the gradient being assembled or rejected depends on what the server received before it.
 * Nothing it sends can legitimately change training: the real workers' session keys are never known to it, and the
 * payload of every gradient chunk it builds is cut from one array that holds NaN at the last parameter index. A
 * gradient completes only with a chunk that ends at the last parameter, and a single mutated field cannot make a
 * chunk built for another slice claim that end while it is the last chunk, so the rogue's session can at most
 * abstain from a step (which the server's mean ignores), never contribute to it. The rogue abstains from each step
 * once that step's share of the frames went out, so that for most of the step its own chunks reach the server's
 * deepest checks (chunk order, offsets, batch size). The rogue holds the token, so the frames it sends under its own
 * session are signed after they are mutated (an insider's bugs, not an outsider's forgeries) and REGISTERs made with
 * the right token are proven after they are mutated; on top of that it forges MACs: its own chunks with a byte
 * flipped after signing or with no MAC at all (a stolen session key without the MAC key), which must all be
 * rejected. Replays are byte-exact copies of frames as they were sent, signature included.
 */
final class FrameFuzzer implements Runnable
{
    /** Steps beyond this are in a future no run of this test reaches, so a FUTURE_STEP rejection is certain. */
    static final long FAR_FUTURE = 1L << 40;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private static final int REPLAY_SLOTS = 64;
    private static final String[] ENDPOINT_GARBAGE =
        { "", "not an endpoint", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", ":1", "host:-1", "a:b:c" };

    /** What the fuzzer sent, by kind; {@code known} frames the server must have rejected. */
    static final class Tally
    {
        long known;
        long uncertain;
        long randomBytes;
        long mutated;
        long chunkSequences;
        long replays;
        long forgedMacs;
        long abstentions;
        long valid;
        long nanos;

        @Override
        public String toString()
        {
            return "known-bad " + known + ", uncertain " + uncertain + " (random " + randomBytes + ", mutated " +
                mutated + ", chunk frames " + chunkSequences + ", replays " + replays + ", forged MACs " + forgedMacs +
                ", rogue abstentions " + abstentions + ")";
        }
    }

    private final RawPeer peer;
    private final ParameterServer server;
    private final int rogueId;
    private final int parameters;
    private final int chunkFloats;
    private final long frames;
    private final int steps;
    private final SplittableRandom random;
    private final AtomicLong sent = new AtomicLong();
    private final Tally tally = new Tally();
    private final float[] payload;
    private final byte[][] replay = new byte[REPLAY_SLOTS][];
    private final boolean[] replayKnown = new boolean[REPLAY_SLOTS];
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[256 * 1024]);
    private final MessageHeaderEncoder header = new MessageHeaderEncoder();
    private final GradientChunkEncoder gradient = new GradientChunkEncoder();
    private final RegisterEncoder register = new RegisterEncoder();
    private final LeaveEncoder leave = new LeaveEncoder();
    private final WelcomeEncoder welcome = new WelcomeEncoder();
    private final RejectEncoder reject = new RejectEncoder();
    private final ParamsChunkEncoder params = new ParamsChunkEncoder();
    private final LeaveAckEncoder leaveAck = new LeaveAckEncoder();
    private final FrameMac rightToken = new RunSecret(Fixtures.TOKEN).registrationMac();
    private final FrameMac wrongToken = new RunSecret(Fixtures.TOKEN + "?").registrationMac();
    private final byte[] nonce = new byte[RunSecret.NONCE_LENGTH];
    private boolean registerProven;
    private volatile boolean stop;
    private volatile boolean finished;
    private long abstainedStep = -1;
    private int replayNext;

    FrameFuzzer(
        final RawPeer peer,
        final ParameterServer server,
        final int rogueId,
        final int chunkFloats,
        final long seed,
        final long frames,
        final int steps)
    {
        this.peer = peer;
        this.server = server;
        this.rogueId = rogueId;
        this.parameters = server.parameterCount();
        this.chunkFloats = chunkFloats;
        this.frames = frames;
        this.steps = steps;
        this.random = new SplittableRandom(seed);
        this.payload = new float[parameters];
        for (int i = 0; i < parameters; i++)
        {
            payload[i] = (float)random.nextDouble(-1, 1);
        }
        payload[parameters - 1] = Float.NaN; // see the class comment: no gradient of the fuzzer can complete finite
    }

    /** @return frames of the fuzz sent so far (the rogue's step abstentions not included). */
    long sent()
    {
        return sent.get();
    }

    boolean finished()
    {
        return finished;
    }

    Tally tally()
    {
        return tally;
    }

    /** Ask the fuzzer, once it sent its frames, to stop keeping the rogue abstaining from each step. */
    void stop()
    {
        stop = true;
    }

    @Override
    public void run()
    {
        final long startNs = System.nanoTime();
        try
        {
            long iteration = 0;
            while (sent.get() < frames)
            {
                abstainWhenStepWindowEnds();
                if ((iteration++ & 255) == 0)
                {
                    peer.drainReplies();
                }
                sendOne();
            }
            tally.nanos = System.nanoTime() - startNs;
        }
        finally
        {
            finished = true;
        }
        // The workers may still be on their last steps: the rogue is a member, so it must keep answering them.
        while (!stop && !Thread.currentThread().isInterrupted())
        {
            abstainWhenStepWindowEnds();
            peer.drainReplies();
            LockSupport.parkNanos(200_000);
        }
    }

    /**
     * The rogue is a member, so each step waits for it: once the step's share of the frames went out (or all of
     * them), answer it with a gradient ending in NaN (abstaining, which the server's mean ignores) rather than make
     * the honest workers wait for the step deadline.
     */
    private void abstainWhenStepWindowEnds()
    {
        final long step = server.step();
        if (step != abstainedStep && (finishedSending() || sent.get() >= frames * Math.min(step + 1, steps) / steps))
        {
            abstainedStep = step;
            final int length = gradientFrame(rogueId, peer.sessionKey, step, 1 + random.nextInt(16), 0, 1, 0,
                parameters);
            tally.abstentions++;
            tally.uncertain++;
            peer.send(length);
        }
    }

    private boolean finishedSending()
    {
        return sent.get() >= frames;
    }

    private void sendOne()
    {
        final int kind = random.nextInt(100);
        if (kind < 15)
        {
            randomBytes();
        }
        else if (kind < 62)
        {
            mutatedFrame();
        }
        else if (kind < 85)
        {
            chunkSequence();
        }
        else if (kind < 93)
        {
            replayFrame();
        }
        else if (kind < 96)
        {
            forgedMac();
        }
        else
        {
            wrongTime();
        }
    }

    private void randomBytes()
    {
        final int length = 1 + random.nextInt(256);
        for (int i = 0; i < length; i++)
        {
            peer.buffer.putByte(i, (byte)random.nextInt());
        }
        if (length >= HEADER && random.nextBoolean())
        {
            // A plausible header, so that the random body gets past the schema check and into the decoders.
            header.wrap(peer.buffer, 0)
                .blockLength(pick(8, 16, 24, 40, 48, random.nextInt(0x10000)))
                .templateId(random.nextInt(9))
                .schemaId(WireSchema.SCHEMA_ID)
                .version(random.nextInt(4));
        }
        tally.randomBytes++;
        send(length, true);
    }

    /** A well-formed frame of any message type from a forged or the rogue's identity, with one thing wrong. */
    private void mutatedFrame()
    {
        // GRADIENT has the most fields and the deepest checks: weighted up.
        final int template = random.nextInt(10) < 4 ? GradientChunkEncoder.TEMPLATE_ID : 1 + random.nextInt(7);
        final long step = server.step();
        int length;
        int[] intFields = {};
        int[] longFields = {};
        int[] doubleFields = {};
        int varField = -1;
        int floatCountField = -1;
        final int forgedId = forgedId();
        final long forgedKey = forgedKey(forgedId);
        switch (template)
        {
            case RegisterEncoder.TEMPLATE_ID ->
            {
                length = registerFrame(forgedId);
                intFields = new int[] { 0 };
                longFields = new int[] { 8 };
                varField = HEADER + RegisterEncoder.BLOCK_LENGTH;
            }
            case GradientChunkEncoder.TEMPLATE_ID ->
            {
                final boolean rogue = random.nextBoolean();
                final long gradientStep = nearStep(step);
                // The rogue's own last chunk would end its step early (an abstention), now or, mutated or replayed,
                // in a later step; only the abstention at the end of each step's window carries one.
                final int chunk = random.nextInt(rogue ? chunkCount() - 1 : chunkCount());
                length = gradientFrame(rogue ? rogueId : forgedId, rogue ? peer.sessionKey : forgedKey,
                    gradientStep, 1 + random.nextInt(16), chunk, chunkCount(), chunk * chunkFloats,
                    chunkSize(chunk));
                intFields = new int[] { 0, 4, 32, 36, 40 };
                longFields = new int[] { 8, 16 };
                doubleFields = new int[] { 24 };
                floatCountField = 44;
            }
            case LeaveEncoder.TEMPLATE_ID ->
            {
                length = HEADER + leave.wrapAndApplyHeader(peer.buffer, 0, header)
                    .workerId(forgedId).sessionKey(forgedKey).encodedLength();
                intFields = new int[] { 0 };
                longFields = new int[] { 8 };
            }
            case LeaveAckEncoder.TEMPLATE_ID ->
            {
                length = HEADER + leaveAck.wrapAndApplyHeader(peer.buffer, 0, header)
                    .workerId(forgedId).sessionKey(forgedKey).encodedLength();
                intFields = new int[] { 0 };
                longFields = new int[] { 8 };
            }
            case WelcomeEncoder.TEMPLATE_ID ->
            {
                length = HEADER + welcome.wrapAndApplyHeader(peer.buffer, 0, header)
                    .workerId(forgedId).parameterCount(parameters).correlationId(random.nextLong())
                    .sessionKey(forgedKey).step(step).stepDeadlineMs(1_000).encodedLength();
                intFields = new int[] { 0, 4 };
                longFields = new int[] { 8, 16, 24, 32 };
            }
            case RejectEncoder.TEMPLATE_ID ->
            {
                length = HEADER + reject.wrapAndApplyHeader(peer.buffer, 0, header)
                    .workerId(forgedId).refusal(Refusal.EVICTED).correlationId(0).sessionKey(forgedKey)
                    .reason("fuzz").encodedLength();
                intFields = new int[] { 0, 4 };
                longFields = new int[] { 8, 16 };
                varField = HEADER + RejectEncoder.BLOCK_LENGTH;
            }
            default ->
            {
                final ParamsChunkEncoder encoder = params.wrapAndApplyHeader(peer.buffer, 0, header)
                    .sessionKey(forgedKey).step(step).parameterCount(parameters).chunkIndex(0).chunkCount(1)
                    .floatOffset(0).floatCount(parameters);
                FloatPayload.put(peer.buffer, encoder.limit(), payload, 0, parameters);
                length = HEADER + encoder.encodedLength() + parameters * Float.BYTES;
                intFields = new int[] { 16, 20, 24, 28 };
                longFields = new int[] { 0, 8 };
                floatCountField = 32;
            }
        }

        // One mutation; "known" says whether it alone guarantees a rejection whatever the identity.
        boolean structural;
        final int what = random.nextInt(10);
        if (what == 0)
        {
            final int field = 2 * random.nextInt(4);
            final int old = peer.buffer.getShort(field, WireSchema.BYTE_ORDER) & 0xFFFF;
            final int value = differentShort(old);
            peer.buffer.putShort(field, (short)value, WireSchema.BYTE_ORDER);
            // A newer version with the same block is read by SBE's rules as the same frame: not a defect by itself.
            structural = field != 6 || value < WireSchema.OLDEST_SUPPORTED_VERSION;
        }
        else if (what == 1)
        {
            length = 1 + random.nextInt(length - 1);
            structural = true;
        }
        else if (what == 2)
        {
            final int extra = 1 + random.nextInt(64);
            for (int i = 0; i < extra; i++)
            {
                peer.buffer.putByte(length + i, (byte)random.nextInt());
            }
            length += extra;
            structural = true;
        }
        else if (what == 3 && floatCountField >= 0)
        {
            final int at = HEADER + floatCountField;
            peer.buffer.putInt(at, differentInt(peer.buffer.getInt(at, WireSchema.BYTE_ORDER), step),
                WireSchema.BYTE_ORDER);
            structural = true;
        }
        else if (what == 4 && varField >= 0)
        {
            // The length prefix of the first var field: beyond the frame, beyond the schema bound, or shifted.
            final int old = peer.buffer.getShort(varField, WireSchema.BYTE_ORDER) & 0xFFFF;
            peer.buffer.putShort(varField, (short)differentShort(old), WireSchema.BYTE_ORDER);
            structural = template != RegisterEncoder.TEMPLATE_ID; // a REGISTER's is checked below like the rest
        }
        else
        {
            structural = false;
            final int choice = random.nextInt(intFields.length + longFields.length + doubleFields.length);
            if (choice < intFields.length)
            {
                final int at = HEADER + intFields[choice];
                peer.buffer.putInt(at, differentInt(peer.buffer.getInt(at, WireSchema.BYTE_ORDER), step),
                    WireSchema.BYTE_ORDER);
            }
            else if (choice < intFields.length + longFields.length)
            {
                final int at = HEADER + longFields[choice - intFields.length];
                peer.buffer.putLong(at, differentLong(peer.buffer.getLong(at, WireSchema.BYTE_ORDER), step),
                    WireSchema.BYTE_ORDER);
            }
            else
            {
                final int at = HEADER + doubleFields[choice - intFields.length - longFields.length];
                // A non-finite loss from the rogue would end its step early (an abstention), cutting short the
                // window in which its chunks reach the deeper checks; forged identities get every value.
                final boolean rogue = peer.buffer.getInt(HEADER, WireSchema.BYTE_ORDER) == rogueId &&
                    peer.buffer.getLong(HEADER + 8, WireSchema.BYTE_ORDER) == peer.sessionKey;
                double value = pickDouble();
                while (rogue && !Double.isFinite(value))
                {
                    value = pickDouble();
                }
                peer.buffer.putDouble(at, value, WireSchema.BYTE_ORDER);
            }
        }

        final boolean semanticallyBad = isKnownBad(template); // always: it also applies the redirections
        final boolean known = structural || semanticallyBad;
        final int proofAt = HEADER + RegisterEncoder.proofEncodingOffset();
        if (template == RegisterEncoder.TEMPLATE_ID && registerProven && length >= proofAt + FrameMac.LENGTH)
        {
            rightToken.signFrame(peer.buffer, 0, length, proofAt); // so the mutation reaches the checks behind it
        }
        tally.mutated++;
        send(length, known);
        remember(length, known, template == GradientChunkEncoder.TEMPLATE_ID);
    }

    /**
     * One of the rogue's own chunks for the current step with a MAC that cannot verify: signed and then one byte of
     * the frame flipped, or sent with whatever MAC bytes it has (what a thief of the session key, which travels in
     * clear, could send without the session's MAC key). Never its last chunk, so even a verifying one would not
     * complete a gradient.
     */
    private void forgedMac()
    {
        final int chunk = random.nextInt(chunkCount() - 1);
        final int length = gradientFrame(rogueId, peer.sessionKey, server.step(), 1 + random.nextInt(16), chunk,
            chunkCount(), chunk * chunkFloats, chunkSize(chunk));
        final int macAt = HEADER + GradientChunkEncoder.macEncodingOffset();
        if (random.nextBoolean())
        {
            peer.sessionMac.signFrame(peer.buffer, 0, length, macAt);
            final int at = random.nextInt(length);
            peer.buffer.putByte(at, (byte)(peer.buffer.getByte(at) ^ (1 << random.nextInt(8))));
        }
        else
        {
            for (int i = 0; i < FrameMac.LENGTH; i++)
            {
                peer.buffer.putByte(macAt + i, (byte)random.nextInt());
            }
        }
        tally.forgedMacs++;
        sent.lazySet(sent.get() + 1);
        tally.known++;
        peer.sendAsIs(length);
    }

    /**
     * Whether a frame whose only defect may be semantic is certain to be rejected, read from its final bytes. Also
     * enforces the rule that keeps forged frames harmless: the rogue's own identity only ever appears in a GRADIENT
     * (whose payload ends in NaN, so it can at most make the rogue abstain); a mutation that produced it in a LEAVE
     * would end the rogue's session, and a valid-token REGISTER for a real worker's id could take that worker over if
     * it were ever silent for the step deadline, so both are redirected.
     */
    private boolean isKnownBad(final int template)
    {
        final UnsafeBuffer b = peer.buffer;
        switch (template)
        {
            case GradientChunkEncoder.TEMPLATE_ID ->
            {
                final boolean rogue = b.getInt(HEADER, WireSchema.BYTE_ORDER) == rogueId &&
                    b.getLong(HEADER + 8, WireSchema.BYTE_ORDER) == peer.sessionKey;
                final long step = b.getLong(HEADER + 16, WireSchema.BYTE_ORDER);
                return !rogue || step < 0 || step >= FAR_FUTURE;
            }
            case LeaveEncoder.TEMPLATE_ID, LeaveAckEncoder.TEMPLATE_ID ->
            {
                if (b.getInt(HEADER, WireSchema.BYTE_ORDER) == rogueId &&
                    b.getLong(HEADER + 8, WireSchema.BYTE_ORDER) == peer.sessionKey)
                {
                    b.putLong(HEADER + 8, ~peer.sessionKey, WireSchema.BYTE_ORDER);
                }
                return true;
            }
            case RegisterEncoder.TEMPLATE_ID ->
            {
                final int id = b.getInt(HEADER, WireSchema.BYTE_ORDER);
                if (id >= 0 && id < rogueId)
                {
                    b.putInt(HEADER, rogueId, WireSchema.BYTE_ORDER); // the rogue is alive: WORKER_ID_IN_USE
                }
                return true;
            }
            default ->
            {
                return true;
            }
        }
    }

    /** A whole gradient as chunks, then reordered, duplicated, dropped or cut, as a lossy or hostile path would. */
    private void chunkSequence()
    {
        final boolean rogue = random.nextBoolean();
        final int id = rogue ? rogueId : forgedId();
        final long key = rogue ? peer.sessionKey : forgedKey(id);
        final long step = nearStep(server.step());
        final int count = chunkCount();
        final int batch = 1 + random.nextInt(16);
        int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        switch (random.nextInt(4))
        {
            case 0 -> shuffle(order);
            case 1 ->
            {
                order = Arrays.copyOf(order, count + 1);
                order[count] = order[random.nextInt(count)];
                shuffle(order);
            }
            case 2 -> order = dropOne(order);
            default ->
            {
                // in order, but with one chunk cut short below
            }
        }
        if (rogue && order.length > 1)
        {
            order = withoutLast(order, count - 1); // the rogue's last chunk would end its step early
        }
        final int cut = random.nextInt(order.length);
        for (int i = 0; i < order.length; i++)
        {
            final int chunk = order[i];
            int length = gradientFrame(id, key, step, batch, chunk, count, chunk * chunkFloats, chunkSize(chunk));
            boolean known = isKnownBad(GradientChunkEncoder.TEMPLATE_ID);
            if (i == cut && random.nextBoolean())
            {
                length = 1 + random.nextInt(length - 1);
                known = true;
            }
            tally.chunkSequences++;
            send(length, known);
            remember(length, known, true);
        }
    }

    /**
     * An earlier GRADIENT frame again, byte for byte and signature included: by now usually for a completed step, or
     * a chunk of the current one already taken in.
     */
    private void replayFrame()
    {
        final int slot = random.nextInt(REPLAY_SLOTS);
        final byte[] frame = replay[slot];
        if (frame == null)
        {
            randomBytes();
            return;
        }
        peer.buffer.putBytes(0, frame);
        tally.replays++;
        sent.lazySet(sent.get() + 1);
        if (replayKnown[slot])
        {
            tally.known++;
        }
        else
        {
            tally.uncertain++;
        }
        peer.sendAsIs(frame.length);
    }

    /** Messages that are well-formed but arrive when they make no sense. */
    private void wrongTime()
    {
        final long step = server.step();
        switch (random.nextInt(4))
        {
            case 0 -> // a LEAVE from a session that never existed, or from a real worker's id with the rogue's key
            {
                final int id = random.nextBoolean() ? rogueId + 1 + random.nextInt(100) : random.nextInt(rogueId);
                send(HEADER + leave.wrapAndApplyHeader(peer.buffer, 0, header).workerId(id)
                    .sessionKey(random.nextBoolean() ? peer.sessionKey : random.nextLong()).encodedLength(), true);
            }
            case 1 -> // a gradient from an id that never registered
                send(gradientFrame(rogueId + 1 + random.nextInt(1000), random.nextLong(), step, 1, 0, 1, 0,
                    parameters), true);
            case 2 -> // a REGISTER for the rogue's id, alive and in use
                send(registerFrame(rogueId), true);
            default -> // the rogue's gradient for a step the run will never reach
                send(gradientFrame(rogueId, peer.sessionKey, FAR_FUTURE + random.nextInt(1000), 1, 0, 1, 0,
                    parameters), true);
        }
        tally.mutated++;
    }

    /**
     * REGISTER proven with the right token, a wrong one, or not at all, claiming a reply endpoint that is garbage,
     * foreign, or the peer's.
     */
    private int registerFrame(final int workerId)
    {
        final int proof = random.nextInt(3);
        registerProven = proof == 0;
        final String endpoint;
        final int endpointChoice = random.nextInt(100);
        if (endpointChoice < 2)
        {
            endpoint = peer.replyEndpoint(); // a refusal costs the server a publication: keep these rare
        }
        else if (endpointChoice < 3)
        {
            endpoint = "127.0.0.2:" + (20_000 + random.nextInt(40_000)); // not the frame's source
        }
        else
        {
            endpoint = ENDPOINT_GARBAGE[random.nextInt(ENDPOINT_GARBAGE.length)];
        }
        for (int i = 0; i < nonce.length; i++)
        {
            nonce[i] = (byte)random.nextInt();
        }
        peer.buffer.setMemory(0, HEADER + RegisterEncoder.BLOCK_LENGTH, (byte)0);
        final int length = HEADER + register.wrapAndApplyHeader(peer.buffer, 0, header)
            .workerId(workerId)
            .correlationId(random.nextLong())
            .putClientNonce(nonce, 0, nonce.length)
            .putToken(nonce, 0, random.nextInt(2) * nonce.length) // ignored since version 2, whatever it holds
            .replyEndpoint(endpoint)
            .encodedLength();
        if (proof < 2)
        {
            (proof == 0 ? rightToken : wrongToken).signFrame(
                peer.buffer, 0, length, HEADER + RegisterEncoder.proofEncodingOffset());
        }
        return length;
    }

    private int gradientFrame(
        final int workerId,
        final long sessionKey,
        final long step,
        final int batchSize,
        final int chunkIndex,
        final int chunkCount,
        final int floatOffset,
        final int floatCount)
    {
        final GradientChunkEncoder encoder = gradient.wrapAndApplyHeader(peer.buffer, 0, header)
            .workerId(workerId)
            .batchSize(batchSize)
            .sessionKey(sessionKey)
            .step(step)
            .loss(loss(chunkCount))
            .chunkIndex(chunkIndex)
            .chunkCount(chunkCount)
            .floatOffset(floatOffset)
            .floatCount(floatCount);
        FloatPayload.put(peer.buffer, encoder.limit(), payload, floatOffset, floatCount);
        return HEADER + encoder.encodedLength() + floatCount * Float.BYTES;
    }

    private void remember(final int length, final boolean known, final boolean isGradient)
    {
        if (!isGradient)
        {
            return;
        }
        final int slot = replayNext++ & (REPLAY_SLOTS - 1);
        final byte[] frame = new byte[length];
        peer.buffer.getBytes(0, frame);
        replay[slot] = frame;
        replayKnown[slot] = known;
    }

    /** One loss per gradient shape, so that chunks of one sequence agree on it as the server requires. */
    private static double loss(final int chunkCount)
    {
        return 0.5 + chunkCount;
    }

    private void send(final int length, final boolean known)
    {
        sent.lazySet(sent.get() + 1);
        if (known)
        {
            tally.known++;
        }
        else
        {
            tally.uncertain++;
        }
        peer.send(length);
    }

    private int chunkCount()
    {
        return (parameters + chunkFloats - 1) / chunkFloats;
    }

    private int chunkSize(final int chunk)
    {
        return Math.min(chunkFloats, parameters - chunk * chunkFloats);
    }

    /** A real worker's id with the rogue's stolen key, the rogue's id with a wrong key, or any id and key. */
    private int forgedId()
    {
        return switch (random.nextInt(3))
        {
            case 0 -> random.nextInt(rogueId);
            case 1 -> rogueId;
            default -> random.nextInt(-4, 1 << 12);
        };
    }

    private long forgedKey(final int workerId)
    {
        if (workerId != rogueId && random.nextBoolean())
        {
            return peer.sessionKey; // stolen from the rogue, used under another worker's id
        }
        final long key = random.nextLong();
        return key == peer.sessionKey ? ~key : key;
    }

    private long nearStep(final long step)
    {
        return switch (random.nextInt(6))
        {
            case 0 -> step - 1 - random.nextInt(3);
            case 1 -> step + 1;
            default -> step;
        };
    }

    private int differentInt(final int old, final long step)
    {
        final int[] interesting = { 0, 1, -1, 2, 3, Integer.MIN_VALUE, Integer.MAX_VALUE, 1 << 20, (1 << 20) + 1,
            chunkFloats, parameters - 1, parameters, parameters + 1, old - 1, old + 1, (int)step, random.nextInt() };
        int value = interesting[random.nextInt(interesting.length)];
        if (value == old)
        {
            value = old + 1;
        }
        return value;
    }

    private long differentLong(final long old, final long step)
    {
        final long[] interesting = { 0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, step - 1, step, step + 1,
            FAR_FUTURE, old - 1, old + 1, random.nextLong() };
        long value = interesting[random.nextInt(interesting.length)];
        if (value == old)
        {
            value = old + 1;
        }
        return value == peer.sessionKey ? ~value : value;
    }

    private int differentShort(final int old)
    {
        final int[] interesting = { 0, 1, 2, 3, 7, 8, 16, 24, 40, 48, 1024, 1025, 0xFFFF, (old - 1) & 0xFFFF,
            (old + 1) & 0xFFFF, random.nextInt(0x10000) };
        int value = interesting[random.nextInt(interesting.length)];
        if (value == old)
        {
            value = (old + 1) & 0xFFFF;
        }
        return value;
    }

    private double pickDouble()
    {
        final double[] interesting = { Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0, -0.0, 1,
            Double.MAX_VALUE, Double.MIN_VALUE, random.nextDouble() };
        return interesting[random.nextInt(interesting.length)];
    }

    private int pick(final int... values)
    {
        return values[random.nextInt(values.length)];
    }

    private void shuffle(final int[] values)
    {
        for (int i = values.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = values[i];
            values[i] = values[j];
            values[j] = t;
        }
    }

    private static int[] withoutLast(final int[] values, final int last)
    {
        return Arrays.stream(values).filter((chunk) -> chunk != last).toArray();
    }

    private int[] dropOne(final int[] values)
    {
        final int drop = random.nextInt(values.length);
        final int[] out = new int[values.length - 1];
        for (int i = 0, j = 0; i < values.length; i++)
        {
            if (i != drop)
            {
                out[j++] = values[i];
            }
        }
        return out;
    }
}
