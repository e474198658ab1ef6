package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import io.averon.ps.wire.FanOut;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameGate;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.FrameStatus;
import io.averon.ps.wire.GradientChunkDecoder;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.LeaveAckEncoder;
import io.averon.ps.wire.LeaveDecoder;
import io.averon.ps.wire.LeaveEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.Refusal;
import io.averon.ps.wire.RegisterDecoder;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WireSchema;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The parameter server's single thread of control. Each duty cycle it runs pending step-boundary tasks, polls the
 * request subscription (REGISTER, GRADIENT chunks, LEAVE) authenticating and validating every frame, completes the current step when
 * every member has answered or the step deadline has passed, and pushes WELCOME and PARAMS chunks to members
 * without ever blocking on a slow one. All membership and step state lives here and is touched by no other thread;
 * other threads see it only through {@link ServerCounters} and {@link BoundaryTask}s.
 */
final class ParameterServerAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(ParameterServer.class);
    private static final int FRAGMENT_LIMIT = 64;
    private static final int SEND_BURST = 4;
    private static final int FAREWELL_SLOTS = 32;
    private static final int BOUNDARY_TASK_CAPACITY = 64;
    private static final int CLOSED_IMAGE_CAPACITY = 1024;
    private static final long REJECTION_LOG_INTERVAL_MS = 10_000;
    private static final int STRANGER_REFUSAL_BURST = 4;
    private static final long STRANGER_REFUSAL_INTERVAL_MS = 250;
    private static final long MIN_FAREWELL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long NOT_ARMED = Long.MIN_VALUE;
    private static final Comparator<WorkerSession> BY_WORKER_ID = Comparator.comparingInt((s) -> s.workerId);

    private final Aeron aeron;
    private final UdpChannels channels;
    private final Subscription subscription;
    private final Subscription ipcSubscription;
    private final StepPayload payload;
    private final ExclusivePublication groupPublication;
    private final ParameterFeed groupFeed;
    private final FragmentAssembler assembler;
    private final float[] parameters;
    private final float[] meanGradient;
    private final UpdateRule rule;
    private final ServerCounters counters;
    private final RejectionLog rejectionLog;
    private final RefusalBudget strangerRefusals;
    private final GradientAggregator aggregator = new GradientAggregator();
    private final Farewells farewells = new Farewells(FAREWELL_SLOTS);
    private final NanoClock clock = new SystemNanoClock();
    private final SecureRandom random = new SecureRandom();
    private final RunSecret secret;
    private final FrameMac registrationMac;
    private final byte[] paramsNonce;
    private final LongHashSet registrationNonces = new LongHashSet();
    private final long deadlineMs;
    private final long deadlineNs;
    private final long farewellTimeoutNs;
    private final int evictAfterMissedSteps;
    private final int maxBatchSize;
    private final int maxWorkers;
    private final int maxNonFiniteSteps;

    private final FrameGate frames = new FrameGate();
    private final RegisterDecoder registerDecoder = new RegisterDecoder();
    private final UnsafeBuffer ignoredToken = new UnsafeBuffer(new byte[0]);
    private final GradientChunkDecoder gradientDecoder = new GradientChunkDecoder();
    private final LeaveDecoder leaveDecoder = new LeaveDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final RejectEncoder rejectEncoder = new RejectEncoder();
    private final LeaveAckEncoder leaveAckEncoder = new LeaveAckEncoder();

    private final ManyToOneConcurrentArrayQueue<BoundaryTask<?>> boundaryTasks =
        new ManyToOneConcurrentArrayQueue<>(BOUNDARY_TASK_CAPACITY);
    private final ManyToOneConcurrentArrayQueue<Integer> closedImageSessions =
        new ManyToOneConcurrentArrayQueue<>(CLOSED_IMAGE_CAPACITY);
    private final Consumer<BoundaryTask<?>> boundaryTaskRunner = this::runBoundaryTask;
    private final Consumer<Integer> closedImageHandler = this::freeSessionBuffer;

    private final Int2ObjectHashMap<WorkerSession> membersById = new Int2ObjectHashMap<>();
    private WorkerSession[] members = new WorkerSession[0];

    private String endpoint = "";
    private long step;
    private final StepContributions contributions;
    private long stepArmedNs = NOT_ARMED;
    /** When the last step completed with members present; NOT_ARMED after the members all left (an epoch's end). */
    private long lastCompletedNs = NOT_ARMED;
    private long nowNs;
    private int consecutiveNonFiniteSteps;
    private Throwable failure;
    private String failureReason;
    private volatile Thread agentThread;

    ParameterServerAgent(
        final ParameterServerConfig config,
        final Aeron aeron,
        final float[] parameters,
        final long initialStep,
        final UpdateRule rule,
        final ServerCounters counters,
        final int bindPort)
    {
        this.aeron = aeron;
        this.channels = new UdpChannels(config.mtu(), config.termLength(), config.socketBufferBytes());
        this.parameters = parameters;
        this.meanGradient = new float[parameters.length];
        this.secret = new RunSecret(config.token());
        this.registrationMac = secret.registrationMac();
        this.paramsNonce = RunSecret.newNonce(random);
        this.payload = new StepPayload(parameters.length, config.chunkBytes(), secret.paramsMac(paramsNonce));
        payload.encode(parameters);
        payload.sign(initialStep);
        this.rule = rule;
        this.counters = counters;
        this.rejectionLog = new RejectionLog(LOG, REJECTION_LOG_INTERVAL_MS);
        this.deadlineMs = config.stepDeadlineMs();
        this.deadlineNs = TimeUnit.MILLISECONDS.toNanos(config.stepDeadlineMs());
        this.farewellTimeoutNs = Math.max(deadlineNs, MIN_FAREWELL_TIMEOUT_NS);
        this.evictAfterMissedSteps = config.evictAfterMissedSteps();
        this.maxBatchSize = config.maxBatchSize();
        this.maxWorkers = config.maxWorkers();
        this.maxNonFiniteSteps = config.maxNonFiniteSteps();
        this.step = initialStep;
        this.contributions = new StepContributions(maxWorkers, initialStep);
        this.assembler = new FragmentAssembler(this::onFragment);
        this.nowNs = clock.nanoTime();
        this.strangerRefusals = new RefusalBudget(STRANGER_REFUSAL_BURST, STRANGER_REFUSAL_INTERVAL_MS, nowNs);

        final String bindEndpoint = config.bindHost() + ":" + bindPort;
        try
        {
            this.subscription = aeron.addSubscription(
                channels.subscription(bindEndpoint), WireSchema.REQUEST_STREAM_ID, null, this::onImageUnavailable);
        }
        catch (final RuntimeException ex)
        {
            throw new ParameterServerException("cannot listen on " + bindEndpoint + ": " + ex.getMessage(), ex);
        }
        // Workers that share this media driver (Spark local mode) talk over shared memory instead of loopback UDP.
        this.ipcSubscription = aeron.addSubscription(
            UdpChannels.IPC_REQUESTS, WireSchema.REQUEST_STREAM_ID, null, this::onImageUnavailable);

        final String group = config.paramsGroup();
        if (group == null)
        {
            this.groupPublication = null;
            this.groupFeed = null;
        }
        else
        {
            try
            {
                this.groupPublication = aeron.addExclusivePublication(
                    channels.groupPublication(group, config.advertisedHost()), WireSchema.GROUP_STREAM_ID);
            }
            catch (final RuntimeException ex)
            {
                CloseHelper.quietCloseAll(subscription, ipcSubscription);
                throw new ParameterServerException("cannot send to multicast group " + group + " from the interface " +
                    "of " + config.advertisedHost() + ": " + ex.getMessage(), ex);
            }
            // One stream for every member that joined the group: chunks with no session key, signed as for anyone.
            this.groupFeed = new ParameterFeed(groupPublication, payload, 0, null, nowNs);
        }
    }

    @Override
    public String roleName()
    {
        return "averon-ps-" + endpoint;
    }

    @Override
    public void onStart()
    {
        agentThread = Thread.currentThread();
    }

    @Override
    public int doWork()
    {
        nowNs = clock.nanoTime();
        int work = boundaryTasks.drain(boundaryTaskRunner);
        work += closedImageSessions.drain(closedImageHandler);
        work += subscription.poll(assembler, FRAGMENT_LIMIT);
        work += ipcSubscription.poll(assembler, FRAGMENT_LIMIT);
        nowNs = clock.nanoTime();
        work += checkStep();
        work += sendFeeds();
        work += farewells.send(nowNs);
        return work;
    }

    @Override
    public void onClose()
    {
        for (final WorkerSession member : members)
        {
            CloseHelper.quietClose(member.publication);
        }
        farewells.closeAll();
        CloseHelper.quietClose(groupPublication);
        CloseHelper.quietClose(subscription);
        CloseHelper.quietClose(ipcSubscription);
        failPendingTasks(new ParameterServerException("parameter server at " + endpoint + " closed"));
    }

    Subscription subscription()
    {
        return subscription;
    }

    void endpoint(final String endpoint)
    {
        this.endpoint = endpoint;
    }

    boolean isAgentThread()
    {
        return Thread.currentThread() == agentThread;
    }

    boolean offer(final BoundaryTask<?> task)
    {
        return boundaryTasks.offer(task);
    }

    /** Agent thread only (a boundary task): see {@link StepContributions#since(long)}. */
    Contributions contributionsSince(final long fromStep)
    {
        return contributions.since(fromStep);
    }

    void failPendingTasks(final Throwable cause)
    {
        boundaryTasks.drain((task) -> task.fail(cause));
    }

    private void runBoundaryTask(final BoundaryTask<?> task)
    {
        if (failure != null)
        {
            task.fail(new ParameterServerException(failureReason + "; parameters may be partially updated", failure));
            return;
        }
        task.run(parameters, step);
    }

    private void onImageUnavailable(final Image image)
    {
        // Runs on the Aeron client conductor thread: hand the session id over instead of touching the assembler.
        closedImageSessions.offer(image.sessionId());
    }

    private void freeSessionBuffer(final Integer sessionId)
    {
        assembler.freeSessionBuffer(sessionId);
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final FrameStatus status = frames.checkHeader(buffer, offset, length);
        if (status == FrameStatus.UNKNOWN_SCHEMA || status == FrameStatus.UNSUPPORTED_VERSION)
        {
            final RejectReason reason = frameReason(status);
            counters.rejected(reason);
            rejectionLog.incompatible(reason, frames.schemaId(), frames.version(), nowNs);
            return;
        }
        if (status != FrameStatus.OK)
        {
            reject(frameReason(status), frames.templateId(), -1, "length", length);
            return;
        }

        switch (frames.templateId())
        {
            case GradientChunkEncoder.TEMPLATE_ID -> onGradient(buffer, offset, length);
            case RegisterEncoder.TEMPLATE_ID -> onRegister(buffer, offset, length, header);
            case LeaveEncoder.TEMPLATE_ID -> onLeave(buffer, offset, length);
            default -> reject(RejectReason.UNEXPECTED_TYPE, frames.templateId(), -1, "length", length);
        }
    }

    private void onGradient(final DirectBuffer buffer, final int offset, final int length)
    {
        final GradientChunkDecoder decoder = frames.wrap(gradientDecoder);
        final FrameStatus status = frames.checkBody();
        final int workerId = decoder.workerId();
        if (status != FrameStatus.OK)
        {
            reject(frameReason(status), GradientChunkEncoder.TEMPLATE_ID, workerId, "length", length);
            return;
        }

        final WorkerSession member = membersById.get(workerId);
        final long sessionKey = decoder.sessionKey();
        if (member == null || member.sessionKey != sessionKey)
        {
            reject(RejectReason.UNKNOWN_SESSION, GradientChunkEncoder.TEMPLATE_ID, workerId, "session", sessionKey);
            return;
        }
        if (!member.mac.verifyFrame(buffer, offset, length,
            offset + MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkDecoder.macEncodingOffset()))
        {
            reject(RejectReason.BAD_MAC, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", decoder.step());
            return;
        }
        member.heard(nowNs);
        if (failure != null)
        {
            reject(RejectReason.SERVER_FAILED, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", decoder.step());
            return;
        }

        final long gradientStep = decoder.step();
        if (gradientStep == step && member.isPoisoned(step))
        {
            // The rest of a gradient refused for a non-finite value: each of its frames is counted, as every other
            // rejected frame is. Only the current step: a chunk of an older one is STALE_STEP like any late chunk.
            reject(RejectReason.NON_FINITE, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", step);
            return;
        }
        if (gradientStep < step)
        {
            if (decoder.chunkIndex() == 0)
            {
                counters.lateGradient();
            }
            reject(RejectReason.STALE_STEP, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", gradientStep);
            return;
        }
        if (gradientStep > step)
        {
            reject(RejectReason.FUTURE_STEP, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", gradientStep);
            return;
        }
        if (member.hasResponded(step))
        {
            reject(RejectReason.DUPLICATE_GRADIENT, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", step);
            return;
        }

        final int batchSize = decoder.batchSize();
        if (batchSize <= 0)
        {
            member.resetAssembly();
            reject(RejectReason.BAD_BATCH_SIZE, GradientChunkEncoder.TEMPLATE_ID, workerId, "batchSize", batchSize);
            return;
        }
        if (batchSize > maxBatchSize)
        {
            // Bounded so that the step's global batch always fits the int the update rule takes (checked in config).
            member.resetAssembly();
            reject(RejectReason.BATCH_SIZE_TOO_LARGE, GradientChunkEncoder.TEMPLATE_ID, workerId, "batchSize",
                batchSize);
            return;
        }

        final int chunkIndex = decoder.chunkIndex();
        final int chunkCount = decoder.chunkCount();
        final double loss = decoder.loss();
        if (member.isAssembled(step, chunkIndex, chunkCount, batchSize, loss))
        {
            reject(RejectReason.REPLAYED, GradientChunkEncoder.TEMPLATE_ID, workerId, "chunkIndex", chunkIndex);
            return;
        }
        if (chunkCount < 1 || chunkIndex < 0 || chunkIndex >= chunkCount)
        {
            member.resetAssembly();
            reject(RejectReason.BAD_CHUNK, GradientChunkEncoder.TEMPLATE_ID, workerId, "chunkCount", chunkCount);
            return;
        }
        if (chunkIndex == 0)
        {
            member.beginAssembly(step, chunkCount, batchSize, loss);
        }
        else if (!member.continuesAssembly(step, chunkIndex, chunkCount, batchSize, loss))
        {
            member.resetAssembly();
            reject(RejectReason.BAD_CHUNK, GradientChunkEncoder.TEMPLATE_ID, workerId, "chunkIndex", chunkIndex);
            return;
        }

        final int floatOffset = decoder.floatOffset();
        final int floatCount = decoder.floatCount();
        final long floatEnd = (long)floatOffset + floatCount;
        final boolean lastChunk = chunkIndex == chunkCount - 1;
        if (floatOffset < 0 || floatCount < 1 || floatEnd > parameters.length ||
            (lastChunk && floatEnd != parameters.length))
        {
            member.resetAssembly();
            reject(RejectReason.OFFSET_OUT_OF_RANGE, GradientChunkEncoder.TEMPLATE_ID, workerId, "floatEnd", floatEnd);
            return;
        }
        if (floatOffset != member.nextFloat())
        {
            member.resetAssembly();
            reject(RejectReason.BAD_CHUNK, GradientChunkEncoder.TEMPLATE_ID, workerId, "floatOffset", floatOffset);
            return;
        }

        // Only a well-formed chunk starts the deadline: a malformed one must not cut the honest workers' time short.
        if (stepArmedNs == NOT_ARMED)
        {
            stepArmedNs = nowNs;
        }

        if (!Double.isFinite(loss))
        {
            member.abstain(step);
            reject(RejectReason.NON_FINITE, GradientChunkEncoder.TEMPLATE_ID, workerId, "step", step);
            return;
        }
        final int nonFinite = FloatPayload.getFinite(buffer, decoder.limit(), member.gradient, floatOffset, floatCount);
        if (nonFinite >= 0)
        {
            member.abstain(step);
            reject(RejectReason.NON_FINITE, GradientChunkEncoder.TEMPLATE_ID, workerId, "index",
                floatOffset + nonFinite);
            return;
        }

        member.advanceAssembly(floatCount);
        if (lastChunk)
        {
            member.contribute(step);
            counters.gradientAccepted();
        }
    }

    private void onRegister(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final RegisterDecoder decoder = frames.wrap(registerDecoder);
        final FrameStatus status = frames.checkBody();
        if (status != FrameStatus.OK)
        {
            reject(frameReason(status), RegisterEncoder.TEMPLATE_ID, -1, "length", length);
            return;
        }

        final int workerId = decoder.workerId();
        final long correlationId = decoder.correlationId();
        decoder.wrapToken(ignoredToken); // var fields are read in schema order: the (empty) token, then the endpoint
        final String replyEndpoint = decoder.replyEndpoint();
        final boolean onGroup = groupFeed != null && decoder.fanOut() == FanOut.MULTICAST &&
            !UdpChannels.isIpcEndpoint(replyEndpoint);
        if (!registrationMac.verifyFrame(buffer, offset, length,
            offset + MessageHeaderEncoder.ENCODED_LENGTH + RegisterDecoder.proofEncodingOffset()))
        {
            reject(RejectReason.BAD_TOKEN, RegisterEncoder.TEMPLATE_ID, workerId, "correlationId", correlationId);
            refuseUnauthenticated(header, replyEndpoint, workerId, correlationId);
            return;
        }
        final long nonceId = buffer.getLong(
            offset + MessageHeaderEncoder.ENCODED_LENGTH + RegisterDecoder.clientNonceEncodingOffset());
        if (registrationNonces.contains(nonceId))
        {
            // A recording of an earlier REGISTER: it proves nothing about who sends it now, so it gets no answer.
            reject(RejectReason.REPLAYED, RegisterEncoder.TEMPLATE_ID, workerId, "correlationId", correlationId);
            return;
        }
        // Whatever the answer, this REGISTER is used up: a client makes a fresh nonce for every attempt.
        registrationNonces.add(nonceId);
        if (workerId < 0)
        {
            reject(RejectReason.BAD_WORKER_ID, RegisterEncoder.TEMPLATE_ID, workerId, "workerId", workerId);
            refuseStranger(replyEndpoint, workerId, correlationId, Refusal.INVALID_REGISTRATION,
                "worker id must be >= 0, was " + workerId);
            return;
        }
        if (workerId >= maxWorkers)
        {
            reject(RejectReason.WORKER_ID_OUT_OF_RANGE, RegisterEncoder.TEMPLATE_ID, workerId, "workerId", workerId);
            refuseStranger(replyEndpoint, workerId, correlationId, Refusal.INVALID_REGISTRATION,
                "worker id " + workerId + " is out of range: the parameter server at " + endpoint +
                " accepts ids 0 to " + (maxWorkers - 1) + " (maxWorkers " + maxWorkers + ")");
            return;
        }
        if (!UdpChannels.isReplyEndpoint(replyEndpoint))
        {
            reject(RejectReason.BAD_ENDPOINT, RegisterEncoder.TEMPLATE_ID, workerId, "length", replyEndpoint.length());
            return;
        }
        if (failure != null)
        {
            reject(RejectReason.SERVER_FAILED, RegisterEncoder.TEMPLATE_ID, workerId, "step", step);
            refuseStranger(replyEndpoint, workerId, correlationId, Refusal.SERVER_FAILED, failureReason);
            return;
        }
        final WorkerSession current = membersById.get(workerId);
        if (current != null && isAlive(current))
        {
            final long heardMsAgo = TimeUnit.NANOSECONDS.toMillis(nowNs - current.lastHeardNs());
            reject(RejectReason.WORKER_ID_IN_USE, RegisterEncoder.TEMPLATE_ID, workerId, "heardMsAgo", heardMsAgo);
            refuseStranger(replyEndpoint, workerId, correlationId, Refusal.WORKER_ID_IN_USE,
                "worker id " + workerId + " is in use at the parameter server at " + endpoint + " by a live session " +
                "(replies to " + current.replyEndpoint + ", heard from " + heardMsAgo + " ms ago); it may be taken " +
                "over once that session leaves, is evicted, or has been silent or unreachable for the step deadline " +
                "of " + deadlineMs + " ms");
            return;
        }

        final byte[] clientNonce = new byte[RunSecret.NONCE_LENGTH];
        decoder.getClientNonce(clientNonce, 0, clientNonce.length);
        register(workerId, correlationId, clientNonce, replyEndpoint, onGroup);
    }

    private void register(
        final int workerId,
        final long correlationId,
        final byte[] clientNonce,
        final String replyEndpoint,
        final boolean onGroup)
    {
        final ExclusivePublication publication;
        try
        {
            publication = aeron.addExclusivePublication(
                channels.publication(replyEndpoint), UdpChannels.replyStream(replyEndpoint));
        }
        catch (final RuntimeException ex)
        {
            reject(RejectReason.BAD_ENDPOINT, RegisterEncoder.TEMPLATE_ID, workerId, "length", replyEndpoint.length());
            LOG.warn("cannot open a reply publication to worker {} at {}: {}", workerId, replyEndpoint, ex.toString());
            return;
        }

        final WorkerSession previous = membersById.get(workerId);
        final float[] gradient = previous != null ? previous.gradient : new float[parameters.length];
        if (previous != null)
        {
            removeMember(previous);
            CloseHelper.quietClose(previous.publication);
        }

        final long sessionKey = newSessionKey();
        final byte[] serverNonce = RunSecret.newNonce(random);
        final FrameMac sessionMac = secret.sessionMac(workerId, clientNonce, serverNonce);
        final ParameterFeed feed = new ParameterFeed(publication, payload, sessionKey, sessionMac, nowNs);
        feed.welcome(workerId, correlationId, deadlineMs, serverNonce, paramsNonce);
        feed.restart(step, nowNs);
        addMember(new WorkerSession(
            workerId, sessionKey, replyEndpoint, onGroup, sessionMac, publication, gradient, feed, nowNs));
        counters.membership(members.length, workerId);

        if (previous == null)
        {
            LOG.info("worker {} registered from {} at step {} ({} members)",
                workerId, replyEndpoint, step, members.length);
        }
        else
        {
            LOG.info("worker {} registered again from {} at step {} ({} members); its previous session, silent or " +
                "unreachable, ended", workerId, replyEndpoint, step, members.length);
        }
    }

    private void onLeave(final DirectBuffer buffer, final int offset, final int length)
    {
        frames.wrap(leaveDecoder);
        final FrameStatus status = frames.checkBody();
        final int workerId = leaveDecoder.workerId();
        if (status != FrameStatus.OK)
        {
            reject(frameReason(status), LeaveEncoder.TEMPLATE_ID, workerId, "length", length);
            return;
        }

        final long sessionKey = leaveDecoder.sessionKey();
        final WorkerSession member = membersById.get(workerId);
        if (member == null || member.sessionKey != sessionKey)
        {
            reject(RejectReason.UNKNOWN_SESSION, LeaveEncoder.TEMPLATE_ID, workerId, "session", sessionKey);
            return;
        }
        if (!member.mac.verifyFrame(buffer, offset, length,
            offset + MessageHeaderEncoder.ENCODED_LENGTH + LeaveDecoder.macEncodingOffset()))
        {
            reject(RejectReason.BAD_MAC, LeaveEncoder.TEMPLATE_ID, workerId, "session", sessionKey);
            return;
        }

        removeMember(member);
        final Farewells.Slot slot = farewells.acquire();
        if (slot != null)
        {
            final int frameLength = MessageHeaderEncoder.ENCODED_LENGTH +
                leaveAckEncoder.wrapAndApplyHeader(slot.buffer, 0, headerEncoder)
                .workerId(workerId)
                .sessionKey(sessionKey)
                .encodedLength();
            member.mac.signFrame(slot.buffer, 0, frameLength,
                MessageHeaderEncoder.ENCODED_LENGTH + LeaveAckEncoder.macEncodingOffset());
            farewells.post(slot, member.publication, frameLength, nowNs + farewellTimeoutNs);
        }
        else
        {
            CloseHelper.quietClose(member.publication);
        }
        LOG.info("worker {} left at step {} ({} members)", workerId, step, members.length);
    }

    private int checkStep()
    {
        final WorkerSession[] current = members;
        if (stepArmedNs == NOT_ARMED || failure != null)
        {
            return 0;
        }
        if (current.length == 0)
        {
            stepArmedNs = NOT_ARMED; // everyone who had started the step left; nothing to complete
            return 0;
        }

        boolean allAnswered = true;
        for (final WorkerSession member : current)
        {
            if (!member.hasResponded(step))
            {
                allAnswered = false;
                break;
            }
        }

        if (allAnswered)
        {
            completeStep(false);
            return 1;
        }
        if (nowNs - stepArmedNs >= deadlineNs)
        {
            completeStep(true);
            return 1;
        }
        return 0;
    }

    private void completeStep(final boolean deadlinePassed)
    {
        final long completing = step;
        final WorkerSession[] current = members;
        if (deadlinePassed)
        {
            final StringBuilder dropped = new StringBuilder();
            for (final WorkerSession member : current)
            {
                if (!member.hasResponded(completing))
                {
                    counters.droppedFromStep();
                    member.missedDeadline();
                    dropped.append(dropped.length() == 0 ? "" : ", ").append(member.workerId);
                }
            }
            LOG.warn("step {} deadline of {} ms passed: dropped worker(s) [{}] from the step, completing with the " +
                "other {} of {} member(s)", completing, deadlineMs, dropped, countResponded(current, completing),
                current.length);
        }

        final int contributors = aggregator.collect(current, current.length, completing);
        final long globalBatchSize = aggregator.totalBatchSize();
        final long startNs = clock.nanoTime();
        String nonFinite = null;
        if (contributors > 0)
        {
            aggregator.average(meanGradient);
            try
            {
                // maxBatchSize x maxWorkers <= Integer.MAX_VALUE (checked in config), so this cast cannot overflow.
                rule.apply(parameters, meanGradient, (int)globalBatchSize, completing);
            }
            catch (final Throwable ex)
            {
                aggregator.release();
                fail(completing, ex, "parameter server at " + endpoint + " failed applying step " + completing + ": " +
                    ex);
                return;
            }
            if (!allFinite(parameters))
            {
                nonFinite = "the update made the parameters non-finite";
            }
        }
        else
        {
            if (anyAbstained(current, completing))
            {
                nonFinite = "every gradient was non-finite";
            }
            LOG.warn("step {} completed without any valid gradient ({} member(s)); parameters unchanged",
                completing, current.length);
        }
        aggregator.release();

        if (nonFinite == null)
        {
            consecutiveNonFiniteSteps = 0;
        }
        else if (diverged(completing, nonFinite))
        {
            return;
        }

        if (contributors > 0)
        {
            // Once for every member: their feeds restart below and send slices of it.
            payload.encode(parameters);
        }
        contributions.completed(completing, current);
        step = completing + 1;
        payload.sign(step);
        stepArmedNs = NOT_ARMED;
        counters.stepCompleted(step, globalBatchSize, aggregator.meanLoss());
        if (lastCompletedNs != NOT_ARMED)
        {
            counters.stepTime(nowNs - lastCompletedNs);
        }
        lastCompletedNs = nowNs;

        boolean anyOnGroup = false;
        for (final WorkerSession member : current)
        {
            if (member.missedDeadlines() >= evictAfterMissedSteps)
            {
                evict(member, completing);
            }
            else if (member.onGroup && !member.feed.isPending())
            {
                anyOnGroup = true; // the group stream below carries this step to it
            }
            else
            {
                // Unicast, or still catching up on its own stream: the newer step follows there too.
                member.feed.restart(step, nowNs);
                anyOnGroup |= member.onGroup;
            }
        }
        if (anyOnGroup)
        {
            groupFeed.restart(step, nowNs);
        }

        if (LOG.isDebugEnabled())
        {
            LOG.debug("step {} applied: {} of {} worker(s), global batch {}, loss {}, averaging+update {} us",
                completing, contributors, current.length, globalBatchSize, aggregator.meanLoss(),
                TimeUnit.NANOSECONDS.toMicros(clock.nanoTime() - startNs));
        }
    }

    private static int countResponded(final WorkerSession[] sessions, final long step)
    {
        int count = 0;
        for (final WorkerSession session : sessions)
        {
            if (session.hasResponded(step))
            {
                count++;
            }
        }
        return count;
    }

    private void evict(final WorkerSession member, final long lastMissedStep)
    {
        removeMember(member);
        counters.evicted();
        sendNotice(member.publication, member.mac, member.workerId, member.sessionKey, Refusal.EVICTED,
            "worker " + member.workerId + " evicted by the parameter server at " + endpoint + " after " +
            member.missedDeadlines() + " consecutive missed step deadlines (last missed step " + lastMissedStep + ")");
        LOG.warn("evicted worker {} ({}) after {} consecutive missed step deadlines (last missed step {}); " +
            "{} member(s) remain, it may register again", member.workerId, member.replyEndpoint,
            member.missedDeadlines(), lastMissedStep, members.length);
    }

    /**
     * Count a step without a finite update and stop serving once there were maxNonFiniteSteps in a row: a diverged
     * run only burns compute, and its parameters are no longer worth publishing.
     *
     * @return true if the server stopped.
     */
    private boolean diverged(final long completing, final String what)
    {
        counters.nonFiniteStep();
        consecutiveNonFiniteSteps++;
        LOG.warn("step {} had no finite update ({}): {} of at most {} consecutive non-finite step(s)",
            completing, what, consecutiveNonFiniteSteps, maxNonFiniteSteps);
        if (consecutiveNonFiniteSteps < maxNonFiniteSteps)
        {
            return false;
        }

        final String reason = "training diverged at step " + completing + ": " + consecutiveNonFiniteSteps +
            " consecutive step(s) without a finite update (at step " + completing + " " + what + "); the parameter " +
            "server at " + endpoint + " stopped (maxNonFiniteSteps " + maxNonFiniteSteps + ")";
        fail(completing, new DivergenceException(reason, completing, consecutiveNonFiniteSteps, what), reason);
        return true;
    }

    private static boolean allFinite(final float[] values)
    {
        // One read pass; a sum would be cheaper to branch on but can overflow to infinity from finite values.
        for (final float value : values)
        {
            if (!Float.isFinite(value))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean anyAbstained(final WorkerSession[] sessions, final long step)
    {
        for (final WorkerSession session : sessions)
        {
            if (session.isPoisoned(step))
            {
                return true;
            }
        }
        return false;
    }

    /**
     * The takeover rule: a member is alive while the server still reaches it (its reply publication is connected,
     * so the worker's subscription is there) and it sent a frame with its session key within the step deadline.
     */
    private boolean isAlive(final WorkerSession member)
    {
        return member.publication.isConnected() && nowNs - member.lastHeardNs() < deadlineNs;
    }

    private void fail(final long failedStep, final Throwable cause, final String reason)
    {
        failure = cause;
        failureReason = reason;
        counters.failed(cause instanceof ParameterServerException serverFailure ? serverFailure :
            new ParameterServerException(reason, cause));
        if (cause instanceof DivergenceException)
        {
            LOG.error("{}; refusing its {} member(s)", reason, members.length);
        }
        else
        {
            LOG.error("update rule failed at step {}; the parameter server stops serving steps and refuses its {} " +
                "member(s)", failedStep, members.length, cause);
        }
        for (final WorkerSession member : members)
        {
            removeMember(member);
            sendNotice(member.publication, member.mac, member.workerId, member.sessionKey, Refusal.SERVER_FAILED,
                failureReason);
        }
    }

    private void sendNotice(
        final ExclusivePublication publication,
        final FrameMac sessionMac,
        final int workerId,
        final long sessionKey,
        final Refusal refusal,
        final String reason)
    {
        final Farewells.Slot slot = farewells.acquire();
        if (slot == null)
        {
            CloseHelper.quietClose(publication);
            LOG.debug("no farewell slot free; {} to worker {} not sent", refusal, workerId);
            return;
        }
        final byte[] reasonBytes = WireSchema.varText(reason);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH +
            rejectEncoder.wrapAndApplyHeader(slot.buffer, 0, headerEncoder)
            .workerId(workerId)
            .refusal(refusal)
            .correlationId(0)
            .sessionKey(sessionKey)
            .putReason(reasonBytes, 0, reasonBytes.length)
            .encodedLength();
        sessionMac.signFrame(
            slot.buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + RejectEncoder.macEncodingOffset());
        farewells.post(slot, publication, length, nowNs + farewellTimeoutNs);
    }

    /**
     * Answer a REGISTER with a bad token without becoming a reflector: the refusal goes only to the host the frame
     * actually came from (the image's source address, not whatever reply endpoint the frame claims) and within a
     * small rate budget; anything else is withheld and counted.
     */
    private void refuseUnauthenticated(
        final Header header, final String replyEndpoint, final int workerId, final long correlationId)
    {
        final String source = header.context() instanceof Image image ? image.sourceIdentity() : null;
        if (!UdpChannels.isSourceHost(source, replyEndpoint) || !strangerRefusals.tryAcquire(nowNs))
        {
            counters.refusalWithheld();
            return;
        }
        if (!refuseStranger(replyEndpoint, workerId, correlationId, Refusal.TOKEN_REJECTED,
            "token rejected by the parameter server at " + endpoint + " (worker " + workerId + ")"))
        {
            counters.refusalWithheld();
        }
    }

    /**
     * Answer a registration that will not be accepted on a small, short-lived publication; if all farewell slots are
     * busy (a flood of bad registrations) stay silent rather than open more.
     *
     * @return true if the refusal was posted.
     */
    private boolean refuseStranger(
        final String replyEndpoint,
        final int workerId,
        final long correlationId,
        final Refusal refusal,
        final String reason)
    {
        if (!UdpChannels.isReplyEndpoint(replyEndpoint))
        {
            return false;
        }
        final Farewells.Slot slot = farewells.acquire();
        if (slot == null)
        {
            return false;
        }

        final ExclusivePublication publication;
        try
        {
            publication = aeron.addExclusivePublication(
                channels.noticePublication(replyEndpoint), UdpChannels.replyStream(replyEndpoint));
        }
        catch (final RuntimeException ex)
        {
            farewells.release(slot);
            LOG.debug("cannot answer registration from {}: {}", replyEndpoint, ex.toString());
            return false;
        }

        final byte[] reasonBytes = WireSchema.varText(reason);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH +
            rejectEncoder.wrapAndApplyHeader(slot.buffer, 0, headerEncoder)
            .workerId(workerId)
            .refusal(refusal)
            .correlationId(correlationId)
            .sessionKey(0)
            .putReason(reasonBytes, 0, reasonBytes.length)
            .encodedLength();
        // Signed under the registration key: a worker holding the same token can tell it from a forged refusal.
        registrationMac.signFrame(
            slot.buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + RejectEncoder.macEncodingOffset());
        farewells.post(slot, publication, length, nowNs + farewellTimeoutNs);
        return true;
    }

    private int sendFeeds()
    {
        int work = 0;
        if (groupFeed != null && groupFeed.isPending())
        {
            // Aeron's multicast flow control follows the fastest receiver: a slow member never holds this back.
            work += groupFeed.send(nowNs, SEND_BURST);
        }
        for (final WorkerSession member : members)
        {
            final ParameterFeed feed = member.feed;
            if (!feed.isPending())
            {
                continue;
            }

            final int sent = feed.send(nowNs, SEND_BURST);
            work += sent;
            if (sent == 0 && !feed.stallReported() && nowNs - feed.lastProgressNs() > deadlineNs)
            {
                feed.stallReported(true);
                counters.stalledSend();
                LOG.warn("parameters of step {} to worker {} at {} stalled for more than {} ms ({}); still trying " +
                    "without blocking", feed.paramsStep(), member.workerId, member.replyEndpoint, deadlineMs,
                    feed.lastOfferResult() == Publication.NOT_CONNECTED ?
                        "worker not connected" : "publication back-pressured");
            }
        }
        return work;
    }

    private void addMember(final WorkerSession session)
    {
        membersById.put(session.workerId, session);
        rebuildMembers();
    }

    private void removeMember(final WorkerSession session)
    {
        session.feed.stop();
        membersById.remove(session.workerId);
        rebuildMembers();
        counters.membership(members.length, -1);
        if (members.length == 0)
        {
            lastCompletedNs = NOT_ARMED;
        }
    }

    private void rebuildMembers()
    {
        final WorkerSession[] sorted = membersById.values().toArray(new WorkerSession[0]);
        Arrays.sort(sorted, BY_WORKER_ID);
        members = sorted;
    }

    private long newSessionKey()
    {
        long key;
        do
        {
            key = random.nextLong();
        }
        while (key == 0);
        return key;
    }

    private void reject(
        final RejectReason reason,
        final int templateId,
        final int workerId,
        final String detailName,
        final long detailValue)
    {
        counters.rejected(reason);
        rejectionLog.rejected(reason, templateId, workerId, detailName, detailValue, nowNs);
    }

    private static RejectReason frameReason(final FrameStatus status)
    {
        return switch (status)
        {
            case TRUNCATED -> RejectReason.TRUNCATED;
            case UNKNOWN_SCHEMA -> RejectReason.UNKNOWN_SCHEMA;
            case UNSUPPORTED_VERSION -> RejectReason.UNSUPPORTED_VERSION;
            case UNKNOWN_TEMPLATE -> RejectReason.UNKNOWN_TYPE;
            case BAD_BLOCK_LENGTH -> RejectReason.BAD_BLOCK_LENGTH;
            default -> RejectReason.LENGTH_MISMATCH;
        };
    }
}
