package io.averon.ps;

import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.exceptions.RegistrationException;
import io.aeron.logbuffer.Header;
import io.averon.ps.wire.FanOut;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameGate;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.FrameStatus;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.LeaveAckDecoder;
import io.averon.ps.wire.LeaveAckEncoder;
import io.averon.ps.wire.LeaveEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.ParamsChunkDecoder;
import io.averon.ps.wire.ParamsChunkEncoder;
import io.averon.ps.wire.Refusal;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectDecoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WelcomeDecoder;
import io.averon.ps.wire.WelcomeEncoder;
import io.averon.ps.wire.WireSchema;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * A worker's connection to the {@link ParameterServer}: it registers by proving it holds the job token (which never
 * travels), signs every frame it sends with its session's key and drops any reply the server did not sign. It holds
 * the parameters of the latest step it received, and in {@link #exchange} sends one gradient and blocks until the
 * parameters of a later step arrive. It listens for replies on its own ephemeral UDP endpoint, which it reports in REGISTER. If the server
 * dropped it from a step it simply adopts the newer parameters; if the server evicted it, or went silent for much
 * longer than its step deadline, it registers again transparently. Not thread-safe: use it from one thread.
 */
public final class ParameterServerClient implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ParameterServerClient.class);
    private static final int FRAGMENT_LIMIT = 256;
    private static final long LEAVE_ACK_TIMEOUT_MS = 5_000;
    private static final long REJOIN_SLACK_MS = 10_000;
    private static final long NONE = Long.MIN_VALUE;
    /** How often a registration refused because the id is held by a live session is tried again. */
    private static final long ID_IN_USE_RETRY_MS = 1_000;
    private static final byte[] NO_TOKEN = new byte[0];
    private static final long GROUP_JOIN_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);

    private final ClientConfig config;
    private final EmbeddedAeron transport;
    private final Subscription subscription;
    private final Subscription groupSubscription;
    private final ExclusivePublication publication;
    private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
    private final IdleStrategy idleStrategy = new BackoffIdleStrategy(10, 20, 1_000, 1_000_000);
    private final SecureRandom random = new SecureRandom();
    private final String serverEndpoint;
    private final String replyEndpoint;
    private final RunSecret secret;
    private final FrameMac registrationMac;
    private final byte[] replyEndpointBytes;
    private final UnsafeBuffer sendBuffer;
    private final int chunkFloats;

    private final FrameGate frames = new FrameGate();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final WelcomeDecoder welcomeDecoder = new WelcomeDecoder();
    private final RejectDecoder rejectDecoder = new RejectDecoder();
    private final ParamsChunkDecoder paramsDecoder = new ParamsChunkDecoder();
    private final LeaveAckDecoder leaveAckDecoder = new LeaveAckDecoder();
    private final RegisterEncoder registerEncoder = new RegisterEncoder();
    private final GradientChunkEncoder gradientEncoder = new GradientChunkEncoder();
    private final LeaveEncoder leaveEncoder = new LeaveEncoder();

    private long sessionKey;
    private FrameMac sessionMac;
    private FrameMac paramsMac;
    private byte[] clientNonce;
    private final byte[] serverNonce = new byte[RunSecret.NONCE_LENGTH];
    private final byte[] paramsNonce = new byte[RunSecret.NONCE_LENGTH];
    private long forgedReplies;
    private long stepsOnGroup;
    private boolean pollingGroup;
    private boolean groupUnreachableReported;
    private long pendingCorrelationId;
    private boolean welcomed;
    private long serverStepDeadlineMs;
    private float[] parameters;
    private float[] staging;
    private long heldStep = NONE;
    private boolean adoptAnyStep;
    private boolean adopted;
    private boolean closing;
    private boolean closed;
    private Refusal refusal;
    private String refusalReason;
    private boolean leaveAcknowledged;
    private long lastParamsChunkNs;
    private boolean incompatibleReplyReported;

    private boolean assembling;
    private long assemblingStep;
    private int assemblingChunkCount;
    private int nextChunk;
    private int nextFloat;

    private ParameterServerClient(final ClientConfig config, final EmbeddedAeron transport)
    {
        this.config = config;
        this.transport = transport;
        this.serverEndpoint = config.serverEndpoint();
        this.secret = new RunSecret(config.token());
        this.registrationMac = secret.registrationMac();
        this.chunkFloats = config.chunkBytes() >> 2;
        this.sendBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            BitUtil.align(WireSchema.MAX_CHUNK_HEADER_LENGTH + config.chunkBytes(), 64), 64));

        final UdpChannels channels = new UdpChannels(config.mtu(), config.termLength(), config.socketBufferBytes());
        Subscription subscription = null;
        ExclusivePublication createdPublication = null;
        try
        {
            if (config.media() == ClientConfig.Media.IPC)
            {
                final String ipcEndpoint = UdpChannels.IPC_PREFIX + ipcReplyStream();
                subscription = transport.aeron().addSubscription(
                    channels.subscription(ipcEndpoint), UdpChannels.replyStream(ipcEndpoint));
                this.subscription = subscription;
                this.replyEndpoint = ipcEndpoint;
                createdPublication = transport.aeron().addExclusivePublication(
                    channels.ipcRequests(), WireSchema.REQUEST_STREAM_ID);
            }
            else
            {
                subscription = config.replyPorts().bind("worker " + config.workerId() + " reply channel",
                    "ps.worker-ports", config.replyBindHost(), (port) -> transport.aeron().addSubscription(
                        channels.subscription(config.replyBindHost() + ":" + port), WireSchema.REPLY_STREAM_ID));
                this.subscription = subscription;
                this.replyEndpoint = config.replyHost() + ":" + awaitReplyPort();
                createdPublication = transport.aeron().addExclusivePublication(
                    channels.publication(serverEndpoint), WireSchema.REQUEST_STREAM_ID);
            }
            this.publication = createdPublication;
            this.replyEndpointBytes = replyEndpoint.getBytes(StandardCharsets.US_ASCII);
            // Joined before REGISTER says so, so that the server's next step on the group finds it listening.
            this.groupSubscription = config.paramsGroup() == null || config.media() == ClientConfig.Media.IPC ? null :
                transport.aeron().addSubscription(channels.groupSubscription(config.paramsGroup(), config.replyHost()),
                    WireSchema.GROUP_STREAM_ID);
        }
        catch (final RegistrationException ex)
        {
            CloseHelper.quietCloseAll(subscription, createdPublication);
            // The usual cause: another publication to the same endpoint in a shared media driver uses different
            // socket settings, which Aeron cannot honour on one UDP socket.
            throw new ParameterServerException("worker " + config.workerId() + " cannot open its Aeron channels " +
                "to " + serverEndpoint + " in media driver " + transport.directory() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Register with the parameter server and block until its current parameters have arrived.
     *
     * @param config client configuration.
     * @return the connected client, holding the server's current parameters and step.
     * @throws ParameterServerException if the token is rejected, or no answer arrives within the connect timeout.
     */
    public static ParameterServerClient connect(final ClientConfig config)
    {
        if (config == null)
        {
            throw new IllegalArgumentException("config is required");
        }

        final long startNs = System.nanoTime();
        final EmbeddedAeron transport = config.aeronDirectory() == null ?
            EmbeddedAeron.launch(null, "averon-worker-" + config.workerId()) :
            EmbeddedAeron.connect(config.aeronDirectory());
        ParameterServerClient client = null;
        try
        {
            client = new ParameterServerClient(config, transport);
            client.register(startNs + TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs()));
            LOG.info("worker {} registered with parameter server at {} in {} ms: step {}, {} parameters, replies on " +
                "{}, mtu {}", config.workerId(), config.serverEndpoint(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs), client.heldStep, client.parameters.length,
                client.replyEndpoint, config.mtu());
            return client;
        }
        catch (final RuntimeException ex)
        {
            if (client != null)
            {
                client.closeTransport();
            }
            else
            {
                transport.close();
            }
            throw ex;
        }
    }

    /** @return step of the parameters currently held. */
    public long step()
    {
        return heldStep;
    }

    /** @return the client's parameter array, updated in place by {@link #exchange}. */
    public float[] parameters()
    {
        return parameters;
    }

    /** @return "host:port" on which this client receives replies. */
    public String replyEndpoint()
    {
        return replyEndpoint;
    }

    /**
     * @return replies dropped because their MAC did not verify (forged, or from a server holding another token);
     *         recordings of earlier PARAMS are dropped without being counted here.
     */
    public long forgedReplies()
    {
        return forgedReplies;
    }

    /** @return steps whose parameters the server's multicast group completed, rather than this worker's stream. */
    public long stepsReceivedOnGroup()
    {
        return stepsOnGroup;
    }

    /** @return the current session's key, 0 between sessions; it travels in clear and authenticates nothing. */
    long sessionKey()
    {
        return sessionKey;
    }

    /** @return the media driver directory this client uses. */
    public String aeronDirectory()
    {
        return transport.directory();
    }

    /**
     * Send this worker's gradient for {@link #step()} and block until the server publishes parameters of a later
     * step. If the server already moved on (this worker was dropped from the step) the newest parameters are adopted
     * without sending; if the worker was evicted it registers again and adopts the server's current parameters.
     *
     * @param gradient  per-example mean gradient over the local batch, one float per parameter.
     * @param batchSize examples in the local batch, > 0.
     * @param loss      mean loss of the local batch.
     * @return the new step; after a transparent re-registration it is the server's current step, which may equal
     *         the previous one (for example when the server itself was restarted at that step).
     * @throws ParameterServerException if no newer parameters arrive within the response timeout, the connection
     *                                  is lost, or the server refuses this worker.
     */
    public long exchange(final float[] gradient, final int batchSize, final double loss)
    {
        ensureOpen();
        if (gradient == null || gradient.length != parameters.length)
        {
            throw new IllegalArgumentException("gradient must have " + parameters.length + " floats (one per " +
                "parameter), had " + (gradient == null ? "null" : gradient.length));
        }
        if (batchSize <= 0)
        {
            throw new IllegalArgumentException("batchSize must be > 0, was " + batchSize);
        }

        final long basis = heldStep;
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.responseTimeoutMs());
        drainInbound();
        if (handleRefusal() || heldStep != basis)
        {
            return heldStep;
        }

        sendGradient(gradient, batchSize, loss, basis, deadlineNs);
        if (handleRefusal() || heldStep != basis)
        {
            return heldStep;
        }

        awaitStepAfter(basis, deadlineNs);
        return heldStep;
    }

    /**
     * Send LEAVE, wait until the server confirmed it consumed it, then close the transport (stopping the client's
     * own media driver and deleting its directory if it started one).
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closing = true;

        try
        {
            if (sessionKey != 0 && publication.isConnected())
            {
                leave();
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("worker {} could not leave parameter server at {} cleanly: {}",
                config.workerId(), serverEndpoint, ex.toString());
        }
        finally
        {
            closeTransport();
        }
        LOG.info("worker {} left parameter server at {} at step {}", config.workerId(), serverEndpoint, heldStep);
    }

    private void leave()
    {
        leaveAcknowledged = false;
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(
            Math.min(LEAVE_ACK_TIMEOUT_MS, config.connectTimeoutMs()));
        sendBuffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + LeaveEncoder.BLOCK_LENGTH, (byte)0);
        final int length = MessageHeaderEncoder.ENCODED_LENGTH +
            leaveEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .workerId(config.workerId())
            .sessionKey(sessionKey)
            .encodedLength();
        sessionMac.signFrame(
            sendBuffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + LeaveEncoder.macEncodingOffset());
        offer(length, deadlineNs, "LEAVE");

        while (!leaveAcknowledged)
        {
            final int work = pollReplies();
            if (System.nanoTime() - deadlineNs > 0)
            {
                LOG.warn("worker {}: no LEAVE_ACK from parameter server at {} within {} ms; closing anyway",
                    config.workerId(), serverEndpoint, Math.min(LEAVE_ACK_TIMEOUT_MS, config.connectTimeoutMs()));
                return;
            }
            idleStrategy.idle(work);
        }
        sessionKey = 0;
    }

    private void closeTransport()
    {
        CloseHelper.quietClose(publication);
        CloseHelper.quietClose(subscription);
        CloseHelper.quietClose(groupSubscription);
        transport.close();
    }

    private void register(final long deadlineNs)
    {
        final long startNs = System.nanoTime();
        final long timeoutMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - startNs);
        while (!publication.isConnected())
        {
            if (System.nanoTime() - deadlineNs > 0 && config.media() == ClientConfig.Media.IPC)
            {
                throw new ServerUnreachableException("worker " + config.workerId() + " cannot reach the parameter " +
                    "server over IPC in media driver " + transport.directory() + " within " + timeoutMs + " ms: no " +
                    "server listens on that driver (set ps.transport = udp unless the worker shares it)");
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new ServerUnreachableException("worker " + config.workerId() + " (replies on " +
                    replyEndpoint + ") cannot reach the parameter server at " + serverEndpoint + ", UDP port " +
                    UdpChannels.port(serverEndpoint) + ": no Aeron status message came back within " + timeoutMs +
                    " ms. Check that " + UdpChannels.host(serverEndpoint) + " is the driver's address as this " +
                    "host can reach it (ps.advertised-host, spark.driver.host), that UDP port " +
                    UdpChannels.port(serverEndpoint) + " is open on the driver's host (ps.port), and that the " +
                    "driver is still running");
            }
            idleStrategy.idle(pollReplies());
        }

        boolean waitedForId = false;
        while (true)
        {
            sessionKey = 0;
            welcomed = false;
            adopted = false;
            adoptAnyStep = true;
            assembling = false;
            refusal = null;
            refusalReason = null;
            sessionMac = null;
            pendingCorrelationId = newCorrelationId();
            clientNonce = RunSecret.newNonce(random);

            final boolean onGroup = joinedGroup(deadlineNs);
            sendBuffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + RegisterEncoder.BLOCK_LENGTH, (byte)0);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH +
                registerEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .workerId(config.workerId())
                .fanOut(onGroup ? FanOut.MULTICAST : FanOut.UNICAST)
                .correlationId(pendingCorrelationId)
                .putClientNonce(clientNonce, 0, clientNonce.length)
                .putToken(NO_TOKEN, 0, 0)
                .putReplyEndpoint(replyEndpointBytes, 0, replyEndpointBytes.length)
                .encodedLength();
            registrationMac.signFrame(
                sendBuffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + RegisterEncoder.proofEncodingOffset());
            offer(length, deadlineNs, "REGISTER");

            while (!(welcomed && adopted))
            {
                final int work = pollReplies();
                if (refusal == Refusal.WORKER_ID_IN_USE &&
                    deadlineNs - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(ID_IN_USE_RETRY_MS))
                {
                    break;
                }
                if (refusal != null)
                {
                    pendingCorrelationId = 0;
                    throw new ParameterServerException(refusalReason + " [" + refusal + "]");
                }
                if (System.nanoTime() - deadlineNs > 0)
                {
                    pendingCorrelationId = 0;
                    throw new ParameterServerException(welcomed ?
                        "parameter server at " + serverEndpoint + " accepted worker " + config.workerId() +
                        " but its parameters did not arrive at " + replyEndpoint + " within " + timeoutMs + " ms" :
                        "the parameter server at " + serverEndpoint + " cannot reach worker " + config.workerId() +
                        "'s reply endpoint " + replyEndpoint + " (UDP port " + UdpChannels.port(replyEndpoint) +
                        "): the server receives this worker's frames but no reply arrived within " + timeoutMs +
                        " ms. Check that " + config.replyHost() + " is this executor's address as the driver can " +
                        "reach it (SPARK_LOCAL_IP / the executor's host), and that UDP port " +
                        UdpChannels.port(replyEndpoint) + " (ps.worker-ports) is open on this host");
                }
                idleStrategy.idle(work);
            }
            if (refusal != Refusal.WORKER_ID_IN_USE)
            {
                break;
            }
            // Another session holds this id: typically this task's predecessor on an executor that died, whose
            // session the server keeps until it has been silent for the step deadline. Ask again until then.
            if (!waitedForId)
            {
                LOG.warn("{}; registering again every {} ms until the connect timeout", refusalReason,
                    ID_IN_USE_RETRY_MS);
                waitedForId = true;
            }
            final long retryNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ID_IN_USE_RETRY_MS);
            while (System.nanoTime() - retryNs < 0)
            {
                idleStrategy.idle(pollReplies());
            }
        }
        pendingCorrelationId = 0;
    }

    private void sendGradient(
        final float[] gradient, final int batchSize, final double loss, final long basis, final long deadlineNs)
    {
        final int chunkCount = (gradient.length + chunkFloats - 1) / chunkFloats;
        for (int chunk = 0; chunk < chunkCount; chunk++)
        {
            final int floatOffset = chunk * chunkFloats;
            final int floatCount = Math.min(chunkFloats, gradient.length - floatOffset);
            final GradientChunkEncoder encoder = gradientEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                .workerId(config.workerId())
                .batchSize(batchSize)
                .sessionKey(sessionKey)
                .step(basis)
                .loss(loss)
                .chunkIndex(chunk)
                .chunkCount(chunkCount)
                .floatOffset(floatOffset)
                .floatCount(floatCount);
            FloatPayload.put(sendBuffer, encoder.limit(), gradient, floatOffset, floatCount);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength() + (floatCount << 2);
            sessionMac.signFrame(
                sendBuffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkEncoder.macEncodingOffset());
            offer(length, deadlineNs, "GRADIENT");
            if (heldStep != basis || refusal != null)
            {
                return; // the server moved on while we were sending: the rest of this gradient is stale
            }
        }
    }

    private void awaitStepAfter(final long basis, final long deadlineNs)
    {
        final long sentNs = System.nanoTime();
        final long silenceBeforeRejoinNs = serverStepDeadlineMs > 0 ?
            TimeUnit.MILLISECONDS.toNanos(2 * serverStepDeadlineMs + REJOIN_SLACK_MS) : Long.MAX_VALUE;
        final long disconnectTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs());
        long disconnectedSinceNs = NONE;
        lastParamsChunkNs = sentNs;

        while (true)
        {
            final int work = pollReplies();
            if (handleRefusal() || heldStep != basis)
            {
                return;
            }

            final long nowNs = System.nanoTime();
            if (nowNs - deadlineNs > 0)
            {
                throw new ParameterServerException("no parameters newer than step " + basis + " from parameter " +
                    "server at " + serverEndpoint + " within " + config.responseTimeoutMs() + " ms (worker " +
                    config.workerId() + ")");
            }
            if (publication.isConnected())
            {
                disconnectedSinceNs = NONE;
            }
            else if (disconnectedSinceNs == NONE)
            {
                disconnectedSinceNs = nowNs;
            }
            else if (nowNs - disconnectedSinceNs > disconnectTimeoutNs)
            {
                throw new ParameterServerException("lost connection to parameter server at " + serverEndpoint +
                    " (worker " + config.workerId() + ", waiting for step " + (basis + 1) + ")");
            }
            if (nowNs - lastParamsChunkNs > silenceBeforeRejoinNs)
            {
                LOG.warn("worker {}: no parameters from {} for {} ms after sending the gradient of step {} " +
                    "(server step deadline {} ms); registering again", config.workerId(), serverEndpoint,
                    TimeUnit.NANOSECONDS.toMillis(nowNs - sentNs), basis, serverStepDeadlineMs);
                register(Math.min(deadlineNs, nowNs + disconnectTimeoutNs));
                return;
            }
            idleStrategy.idle(work);
        }
    }

    /**
     * @return true if the server ended this session and the client registered again; throws for any other refusal.
     */
    private boolean handleRefusal()
    {
        if (refusal == null)
        {
            return false;
        }
        if (refusal == Refusal.EVICTED)
        {
            LOG.warn("{}; registering again", refusalReason);
            register(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs()));
            LOG.info("worker {} registered again with parameter server at {} at step {}",
                config.workerId(), serverEndpoint, heldStep);
            return true;
        }
        throw new ParameterServerException(refusalReason + " [" + refusal + "]");
    }

    /**
     * Whether the server's group reaches this worker: a receiver joins a multicast stream at the position it first
     * hears, so the server may count on the group only once this worker's media driver has an image of it (its
     * heartbeats or setup frames arrive every 100 ms or so). Otherwise the worker asks for its own stream, and says so.
     */
    private boolean joinedGroup(final long deadlineNs)
    {
        if (groupSubscription == null)
        {
            return false;
        }
        final long waitUntilNs = Math.min(deadlineNs, System.nanoTime() + GROUP_JOIN_TIMEOUT_NS);
        while (groupSubscription.imageCount() == 0 && System.nanoTime() - waitUntilNs < 0)
        {
            idleStrategy.idle(subscription.poll(assembler, FRAGMENT_LIMIT));
        }
        if (groupSubscription.imageCount() > 0)
        {
            return true;
        }
        if (!groupUnreachableReported)
        {
            groupUnreachableReported = true;
            LOG.warn("worker {}: nothing arrives from the parameter server's multicast group {} on {} within {} ms " +
                "(multicast blocked on this network, or the group not routed to this interface); receiving " +
                "parameters on its own stream instead", config.workerId(), config.paramsGroup(), config.replyHost(),
                TimeUnit.NANOSECONDS.toMillis(GROUP_JOIN_TIMEOUT_NS));
        }
        return false;
    }

    private int pollReplies()
    {
        final int fragments = subscription.poll(assembler, FRAGMENT_LIMIT);
        if (groupSubscription == null)
        {
            return fragments;
        }
        pollingGroup = true;
        try
        {
            return fragments + groupSubscription.poll(assembler, FRAGMENT_LIMIT);
        }
        finally
        {
            pollingGroup = false;
        }
    }

    private void drainInbound()
    {
        int fragments;
        do
        {
            fragments = pollReplies();
        }
        while (fragments > 0);
    }

    private void offer(final int length, final long deadlineNs, final String what)
    {
        while (true)
        {
            final long result = publication.offer(sendBuffer, 0, length);
            if (result > 0)
            {
                return;
            }
            if (result == Publication.CLOSED || result == Publication.MAX_POSITION_EXCEEDED)
            {
                throw new ParameterServerException("cannot send " + what + " to parameter server at " +
                    serverEndpoint + ": publication " + (result == Publication.CLOSED ? "closed" : "exhausted"));
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new ParameterServerException("could not send " + what + " to parameter server at " +
                    serverEndpoint + " before the deadline (worker " + config.workerId() + "): " +
                    (result == Publication.NOT_CONNECTED ? "not connected" : "back-pressured"));
            }
            if (result != Publication.ADMIN_ACTION)
            {
                // Keep replies flowing while we wait, so the server's own sends to us never stall on us.
                idleStrategy.idle(pollReplies());
            }
        }
    }

    private void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final FrameStatus status = frames.checkHeader(buffer, offset, length);
        if (status == FrameStatus.UNKNOWN_SCHEMA || status == FrameStatus.UNSUPPORTED_VERSION)
        {
            if (incompatibleReplyReported)
            {
                return;
            }
            incompatibleReplyReported = true; // once: a peer of another release will not change its mind
            LOG.warn("worker {} ignored a reply from {}: {}", config.workerId(), serverEndpoint,
                WireSchema.incompatibility(frames.schemaId(), frames.version()));
            return;
        }
        if (status != FrameStatus.OK || frames.checkBody() != FrameStatus.OK)
        {
            LOG.debug("worker {} ignored a malformed frame on its reply stream", config.workerId());
            return;
        }

        switch (frames.templateId())
        {
            case ParamsChunkEncoder.TEMPLATE_ID ->
            {
                final long chunkKey = frames.wrap(paramsDecoder).sessionKey();
                // A group's chunks carry no session key; they are for any member that joined, once it is one.
                if (sessionKey != 0 && (chunkKey == sessionKey || (chunkKey == 0 && groupSubscription != null)))
                {
                    onParamsChunk(paramsDecoder, buffer, offset, length);
                }
            }
            case WelcomeEncoder.TEMPLATE_ID ->
            {
                if (frames.wrap(welcomeDecoder).correlationId() == pendingCorrelationId && pendingCorrelationId != 0 &&
                    sessionKey == 0)
                {
                    onWelcome(welcomeDecoder, buffer, offset, length);
                }
            }
            case RejectEncoder.TEMPLATE_ID ->
            {
                if (isForThisWorker(frames.wrap(rejectDecoder)) && isAuthentic(rejectDecoder, buffer, offset, length))
                {
                    refusal = rejectDecoder.refusal();
                    refusalReason = rejectDecoder.reason();
                    sessionKey = 0;
                    assembling = false;
                }
            }
            case LeaveAckEncoder.TEMPLATE_ID ->
            {
                if (frames.wrap(leaveAckDecoder).sessionKey() == sessionKey && sessionKey != 0 &&
                    verified(sessionMac, buffer, offset, length, LeaveAckDecoder.macEncodingOffset()))
                {
                    leaveAcknowledged = true;
                }
            }
            default -> LOG.debug("worker {} ignored template {} on its reply stream",
                config.workerId(), frames.templateId());
        }
    }

    private boolean isForThisWorker(final RejectDecoder decoder)
    {
        if (sessionKey == 0)
        {
            return pendingCorrelationId != 0 && decoder.correlationId() == pendingCorrelationId;
        }
        return decoder.sessionKey() == sessionKey;
    }

    /**
     * A session's end must come from the server that holds the session's key; a refused registration is signed under
     * the registration key, unless the server refused our proof, in which case it cannot sign anything we can check.
     */
    private boolean isAuthentic(
        final RejectDecoder decoder, final DirectBuffer buffer, final int offset, final int length)
    {
        final int macOffset = RejectDecoder.macEncodingOffset();
        if (sessionKey != 0)
        {
            return verified(sessionMac, buffer, offset, length, macOffset);
        }
        return decoder.refusal() == Refusal.TOKEN_REJECTED ||
            verified(registrationMac, buffer, offset, length, macOffset);
    }

    private boolean verified(
        final FrameMac mac, final DirectBuffer buffer, final int offset, final int length, final int blockMacOffset)
    {
        return mac.verifyFrame(buffer, offset, length, offset + MessageHeaderEncoder.ENCODED_LENGTH + blockMacOffset) ||
            forged();
    }

    /** Counts a reply whose MAC does not verify; @return false, for the caller to drop it. */
    private boolean forged()
    {
        if (forgedReplies++ == 0)
        {
            LOG.warn("worker {} dropped a reply whose MAC does not verify ({}): forged, or sent by a server holding " +
                "another job token; later ones are only counted", config.workerId(),
                WireSchema.templateName(frames.templateId()));
        }
        return false;
    }

    private void onWelcome(final WelcomeDecoder decoder, final DirectBuffer buffer, final int offset, final int length)
    {
        decoder.getServerNonce(serverNonce, 0, serverNonce.length);
        final FrameMac mac = secret.sessionMac(config.workerId(), clientNonce, serverNonce);
        if (!verified(mac, buffer, offset, length, WelcomeDecoder.macEncodingOffset()))
        {
            return;
        }
        final int parameterCount = decoder.parameterCount();
        if (parameters == null)
        {
            if (parameterCount <= 0)
            {
                refusal = Refusal.SBE_UNKNOWN;
                refusalReason = "parameter server at " + serverEndpoint + " announced " + parameterCount +
                    " parameters";
                return;
            }
            parameters = new float[parameterCount];
            staging = new float[parameterCount];
        }
        else if (parameterCount != parameters.length)
        {
            refusal = Refusal.SBE_UNKNOWN;
            refusalReason = "parameter server at " + serverEndpoint + " now serves " + parameterCount +
                " parameters, worker " + config.workerId() + " holds " + parameters.length;
            return;
        }
        decoder.getParamsNonce(paramsNonce, 0, paramsNonce.length);
        paramsMac = secret.paramsMac(paramsNonce);
        sessionMac = mac;
        sessionKey = decoder.sessionKey();
        serverStepDeadlineMs = decoder.stepDeadlineMs();
        welcomed = true;
    }

    private void onParamsChunk(
        final ParamsChunkDecoder decoder, final DirectBuffer buffer, final int offset, final int length)
    {
        final long step = decoder.step();
        final int chunkIndex = decoder.chunkIndex();
        if ((!adoptAnyStep && step <= heldStep) ||
            (assembling && (step < assemblingStep || (step == assemblingStep && chunkIndex < nextChunk))))
        {
            return; // a recording of parameters already held or being assembled: it must not restart the assembly
        }
        if (!isSignedParams(buffer, offset, length))
        {
            return;
        }
        if (decoder.parameterCount() != staging.length)
        {
            assembling = false;
            return;
        }

        if (chunkIndex == 0)
        {
            assembling = true;
            assemblingStep = decoder.step();
            assemblingChunkCount = decoder.chunkCount();
            nextChunk = 0;
            nextFloat = 0;
        }
        else if (!assembling || decoder.step() != assemblingStep || chunkIndex != nextChunk)
        {
            // Not the chunk this assembly needs next. With a multicast group a member can receive one step on two
            // streams (its own, while catching up, and the group's); each delivers every chunk in order, so the
            // assembly takes each chunk from whichever stream brings it first and ignores the rest.
            return;
        }
        else if (decoder.chunkCount() != assemblingChunkCount)
        {
            assembling = false;
            return;
        }

        final int floatOffset = decoder.floatOffset();
        final int floatCount = decoder.floatCount();
        if (floatOffset != nextFloat || (long)floatOffset + floatCount > staging.length)
        {
            assembling = false;
            return;
        }

        FloatPayload.get(frames.buffer(), decoder.limit(), staging, floatOffset, floatCount);
        nextChunk++;
        nextFloat += floatCount;
        lastParamsChunkNs = System.nanoTime();
        if (nextChunk == assemblingChunkCount)
        {
            assembling = false;
            if (nextFloat == staging.length)
            {
                adopt(assemblingStep);
            }
        }
    }

    private boolean isSignedParams(final DirectBuffer buffer, final int offset, final int length)
    {
        return paramsMac.updateParams(buffer, offset, offset + length)
            .verify(buffer, offset + MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkDecoder.macEncodingOffset()) ||
            forged();
    }

    private void adopt(final long step)
    {
        if (closing || !(adoptAnyStep || step > heldStep))
        {
            return;
        }
        System.arraycopy(staging, 0, parameters, 0, staging.length);
        heldStep = step;
        adoptAnyStep = false;
        if (pollingGroup)
        {
            stepsOnGroup++;
        }
        adopted = true;
    }

    private int awaitReplyPort()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.connectTimeoutMs());
        while (true)
        {
            final String resolved = subscription.resolvedEndpoint();
            if (resolved != null && UdpChannels.port(resolved) > 0)
            {
                return UdpChannels.port(resolved);
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new ParameterServerException("worker " + config.workerId() + " could not bind a reply " +
                    "endpoint on " + config.replyHost() + " within " + config.connectTimeoutMs() + " ms");
            }
            idleStrategy.idle();
        }
    }

    /**
     * A stream for this client's IPC replies: random, so clients on one media driver never share one, and a stream
     * rather than a session id, so the server's publication after a re-registration can take a fresh session.
     */
    private int ipcReplyStream()
    {
        int id;
        do
        {
            id = random.nextInt();
        }
        while (id == 0 || id == WireSchema.REQUEST_STREAM_ID || id == WireSchema.REPLY_STREAM_ID);
        return id;
    }

    private long newCorrelationId()
    {
        long id;
        do
        {
            id = random.nextLong();
        }
        while (id == 0);
        return id;
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("client of worker " + config.workerId() + " is closed");
        }
    }
}
