package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WireSchema;
import io.averon.ps.wire.next.GradientChunkDecoder;
import io.averon.ps.wire.next.GradientChunkEncoder;
import io.averon.ps.wire.next.LeaveAckDecoder;
import io.averon.ps.wire.next.LeaveAckEncoder;
import io.averon.ps.wire.next.LeaveDecoder;
import io.averon.ps.wire.next.LeaveEncoder;
import io.averon.ps.wire.next.MessageHeaderDecoder;
import io.averon.ps.wire.next.MessageHeaderEncoder;
import io.averon.ps.wire.next.ParamsChunkDecoder;
import io.averon.ps.wire.next.ParamsChunkEncoder;
import io.averon.ps.wire.next.RegisterDecoder;
import io.averon.ps.wire.next.RegisterEncoder;
import io.averon.ps.wire.next.WelcomeDecoder;
import io.averon.ps.wire.next.WelcomeEncoder;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SBE's evolution rules over real media drivers and UDP. The "newer" peer speaks version 4 of the same schema
 * (src/test/resources/averon-wire-next.xml: every block 8 bytes longer, extra variable-length fields), generated
 * into io.averon.ps.wire.next by the same tool as the real codecs. It trains beside a current client on the current
 * server, and a current client trains against a newer server; each side reads the other's frames with the acting
 * block length and version of the header, and each checks the other's MACs, which cover the appended fields too. A
 * frame of another schema id, or of a version older than the oldest read,
 * is refused and the refusal names both sides' schema and version.
 */
@Timeout(90)
class SchemaEvolutionTest
{
    private static final int NEXT_VERSION = 3;
    private static final float[] INITIAL = { 1, 2, 3, 4, 5, 6, 7, 8 };

    @Test
    void aNewerPeerTrainsBesideACurrentClientOnTheCurrentServer()
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(20_000).build(), INITIAL.clone(), 0, rule);
            ParameterServerClient current = ParameterServerClient.connect(clientConfig(server, 1).build());
            NewerPeer newer = new NewerPeer(server.aeronDirectory(), server.endpoint()))
        {
            newer.register(2);
            await("2 members", 5_000, () -> server.stats().registeredWorkers() == 2);
            assertEquals(WireSchema.VERSION, newer.welcomeVersion, "the server answers in its own version");
            assertEquals(io.averon.ps.wire.WelcomeEncoder.BLOCK_LENGTH, newer.welcomeBlockLength);
            assertEquals(WelcomeDecoder.serverFlagsNullValue(), newer.serverFlags, "a field the server lacks is null");
            assertEquals(0, newer.step);
            assertArrayEquals(INITIAL, newer.parameters);

            final float[] currentGradient = { 0.5f, -1.25f, 3e-7f, 8, 1e9f, -0f, 0.1f, 7.75f };
            final float[] newerGradient = { 1.5f, 2.25f, -3e-7f, 0.3f, -1e9f, 6, 0.2f, -0.001f };
            newer.sendGradient(0, newerGradient, 5, 0.25);
            assertEquals(1, current.exchange(currentGradient, 3, 0.5));

            // Both contributed and averaging is bit-exact, in ascending worker id order.
            assertArrayEquals(Fixtures.weightedMean(
                new float[][] { currentGradient, newerGradient }, new int[] { 3, 5 }), rule.means.get(0));
            assertEquals(8, rule.globalBatchSizes.get(0));
            newer.awaitStep(1);
            assertArrayEquals(current.parameters(), newer.parameters);

            newer.leave();
            await("newer peer left", 5_000, () -> server.stats().registeredWorkers() == 1);
            assertEquals(LeaveAckDecoder.finalStepNullValue(), newer.ackFinalStep);
            assertEquals(0, server.stats().rejectedMessages(), server.stats().rejectedByReason().toString());
            assertEquals(2, server.stats().gradientsAccepted());
        }
    }

    @Test
    void theCurrentClientTrainsAgainstANewerServer() throws Exception
    {
        final int port = Fixtures.unusedUdpPort();
        final UdpChannels channels = new UdpChannels(8192, Fixtures.SMALL_TERM, Fixtures.SOCKET_BUFFER);
        final ExecutorService worker = Executors.newSingleThreadExecutor();
        try (CapturedLog log = new CapturedLog();
            EmbeddedAeron driver = EmbeddedAeron.launch(null, "averon-test-newer-server");
            NewerServer server = new NewerServer(driver.aeron(), channels, "127.0.0.1:" + port))
        {
            final ClientConfig config = ClientConfig.builder()
                .serverEndpoint("127.0.0.1:" + port)
                .token(Fixtures.TOKEN)
                .workerId(4)
                .aeronDirectory(driver.directory())
                .media(ClientConfig.Media.UDP)
                .termLength(Fixtures.SMALL_TERM)
                .chunkBytes(64 * 1024)
                .socketBufferBytes(Fixtures.SOCKET_BUFFER)
                .connectTimeoutMs(10_000)
                .responseTimeoutMs(20_000)
                .build();
            final Future<ParameterServerClient> connecting = worker.submit(() -> ParameterServerClient.connect(config));

            server.awaitRegister();
            assertEquals(4, server.registeredWorkerId);
            assertEquals(WireSchema.VERSION, server.lastVersion);
            assertEquals(RegisterDecoder.capabilitiesNullValue(), server.capabilities);
            server.sendForeignFrame();
            server.welcome(5, INITIAL);

            final ParameterServerClient client = connecting.get(20, TimeUnit.SECONDS);
            assertEquals(5, client.step());
            assertArrayEquals(INITIAL, client.parameters());

            final float[] gradient = { 8, 7, 6, 5, 4, 3, 2, 1.5f };
            final Future<Long> exchange = worker.submit(() -> client.exchange(gradient, 2, 0.125));
            assertArrayEquals(gradient, server.awaitGradient());
            assertEquals(WireSchema.VERSION, server.lastVersion);
            assertEquals(GradientChunkDecoder.computeNanosNullValue(), server.computeNanos);
            final float[] updated = { -1, -2, -3, -4, -5, -6, -7, Float.MIN_VALUE };
            server.params(6, updated);
            assertEquals(6, exchange.get(20, TimeUnit.SECONDS));
            assertArrayEquals(updated, client.parameters());

            final Future<?> closing = worker.submit(client::close);
            server.awaitLeaveAndAcknowledge();
            closing.get(20, TimeUnit.SECONDS);

            assertFalse(log.contains("no LEAVE_ACK"), "the client did not understand a newer LEAVE_ACK: " + log.lines);
            assertTrue(log.contains("worker 4 ignored a reply from 127.0.0.1:" + port +
                ": frame of wire schema 0xbad version 1; this build speaks schema 0x4156 versions " +
                WireSchema.OLDEST_SUPPORTED_VERSION + " to " + WireSchema.VERSION), log.lines.toString());
        }
        finally
        {
            worker.shutdownNow();
        }
    }

    @Test
    void aFrameOfAnotherSchemaOrOfATooOldVersionIsRefusedNamingBothVersions()
    {
        try (CapturedLog log = new CapturedLog();
            ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[INITIAL.length], 0, new Fixtures.RecordingRule(1));
            RawPeer peer = new RawPeer(server))
        {
            final int length = peer.withFloats(peer.gradient().workerId(7).sessionKey(1).step(0).batchSize(1)
                .loss(0).chunkIndex(0).chunkCount(1).floatOffset(0), INITIAL, 0, INITIAL.length);
            peer.header(io.averon.ps.wire.GradientChunkEncoder.BLOCK_LENGTH,
                io.averon.ps.wire.GradientChunkEncoder.TEMPLATE_ID, 0x0BAD, 1);
            peer.send(length);
            peer.header(io.averon.ps.wire.GradientChunkEncoder.BLOCK_LENGTH,
                io.averon.ps.wire.GradientChunkEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID,
                WireSchema.OLDEST_SUPPORTED_VERSION - 1);
            peer.send(length);

            await("both refused", 5_000, () -> server.stats().rejected(RejectReason.UNKNOWN_SCHEMA) == 1 &&
                server.stats().rejected(RejectReason.UNSUPPORTED_VERSION) == 1);
            final String ours = "; this build speaks schema 0x4156 versions " + WireSchema.OLDEST_SUPPORTED_VERSION +
                " to " + WireSchema.VERSION;
            await("refusals logged", 5_000, () -> log.contains("rejected UNKNOWN_SCHEMA: frame of wire schema " +
                "0xbad version 1" + ours) && log.contains("rejected UNSUPPORTED_VERSION: frame of wire schema " +
                "0x4156 version " + (WireSchema.OLDEST_SUPPORTED_VERSION - 1) + ours));
            assertEquals(2, server.stats().rejectedMessages());
        }
    }

    /**
     * PARAMS are signed once per step for every member, so their MAC leaves out the session key (bytes 0-7 of the
     * block) as well as itself; whatever a newer block appends after the MAC is covered.
     */
    private static boolean paramsSigned(
        final FrameMac mac, final org.agrona.DirectBuffer frame, final int offset, final int length)
    {
        final int key = offset + MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.sessionKeyEncodingOffset();
        final int at = offset + MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.macEncodingOffset();
        return mac.update(frame, offset, key - offset).update(frame, key + 8, at - key - 8)
            .update(frame, at + FrameMac.LENGTH, offset + length - at - FrameMac.LENGTH).verify(frame, at);
    }

    /** A client built from the version-4 schema, driven by hand over plain Aeron. */
    private static final class NewerPeer implements AutoCloseable
    {
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        private final WelcomeDecoder welcomeDecoder = new WelcomeDecoder();
        private final ParamsChunkDecoder paramsDecoder = new ParamsChunkDecoder();
        private final LeaveAckDecoder leaveAckDecoder = new LeaveAckDecoder();
        private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
        private final Aeron aeron;
        private final ExclusivePublication publication;
        private final Subscription replies;
        private final String replyEndpoint;
        private int workerId;
        private long sessionKey;
        private long step = -1;
        private float[] parameters;
        private int welcomeVersion;
        private int welcomeBlockLength;
        private long serverFlags;
        private boolean leaveAcknowledged;
        private long ackFinalStep;
        private final RunSecret secret = new RunSecret(Fixtures.TOKEN);
        private final byte[] clientNonce = RunSecret.newNonce(new SecureRandom());
        private FrameMac sessionMac;
        private FrameMac paramsMac;

        NewerPeer(final String aeronDirectory, final String serverEndpoint)
        {
            aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(aeronDirectory));
            publication = aeron.addExclusivePublication(
                new UdpChannels(8192, Fixtures.SMALL_TERM, Fixtures.SOCKET_BUFFER).publication(serverEndpoint),
                WireSchema.REQUEST_STREAM_ID);
            replies = aeron.addSubscription("aeron:udp?endpoint=127.0.0.1:0", WireSchema.REPLY_STREAM_ID);
            await("newer peer connected", 5_000,
                () -> publication.isConnected() && replies.resolvedEndpoint() != null);
            replyEndpoint = replies.resolvedEndpoint();
        }

        void register(final int workerId)
        {
            this.workerId = workerId;
            final RegisterEncoder encoder = new RegisterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(workerId)
                .correlationId(42)
                .putClientNonce(clientNonce, 0, clientNonce.length)
                .capabilities(0xFFL)
                .putToken(new byte[0], 0, 0)
                .replyEndpoint(replyEndpoint)
                .hostName("a-newer-host"); // a variable-length field the server does not know
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
            secret.registrationMac().signFrame(
                buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + RegisterEncoder.proofEncodingOffset());
            send(length);
            awaitStep(0);
        }

        void sendGradient(final long forStep, final float[] gradient, final int batchSize, final double loss)
        {
            final GradientChunkEncoder encoder = new GradientChunkEncoder()
                .wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(workerId).batchSize(batchSize).sessionKey(sessionKey).step(forStep).loss(loss)
                .chunkIndex(0).chunkCount(1).floatOffset(0).floatCount(gradient.length)
                .computeNanos(123_456L);
            FloatPayload.put(buffer, encoder.limit(), gradient, 0, gradient.length);
            assertEquals(GradientChunkEncoder.BLOCK_LENGTH, encoder.limit() - MessageHeaderEncoder.ENCODED_LENGTH);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength() + 4 * gradient.length;
            sessionMac.signFrame(
                buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkEncoder.macEncodingOffset());
            send(length);
        }

        void leave()
        {
            buffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + LeaveEncoder.BLOCK_LENGTH, (byte)0);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + new LeaveEncoder()
                .wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(workerId).sessionKey(sessionKey).stepsTrained(1).encodedLength();
            sessionMac.signFrame(
                buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + LeaveEncoder.macEncodingOffset());
            send(length);
            await("LEAVE_ACK for the newer peer", 5_000, () ->
            {
                replies.poll(assembler, 100);
                return leaveAcknowledged;
            });
        }

        void awaitStep(final long expected)
        {
            await("parameters of step " + expected + " at the newer peer", 10_000, () ->
            {
                replies.poll(assembler, 100);
                return step == expected;
            });
        }

        private void onFragment(
            final org.agrona.DirectBuffer frame, final int offset, final int length, final io.aeron.logbuffer.Header h)
        {
            headerDecoder.wrap(frame, offset);
            assertEquals(WireSchema.SCHEMA_ID, headerDecoder.schemaId());
            final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
            final int blockLength = headerDecoder.blockLength();
            final int version = headerDecoder.version();
            switch (headerDecoder.templateId())
            {
                case WelcomeDecoder.TEMPLATE_ID ->
                {
                    welcomeDecoder.wrap(frame, body, blockLength, version);
                    final byte[] serverNonce = new byte[RunSecret.NONCE_LENGTH];
                    final byte[] paramsNonce = new byte[RunSecret.NONCE_LENGTH];
                    welcomeDecoder.getServerNonce(serverNonce, 0, serverNonce.length);
                    welcomeDecoder.getParamsNonce(paramsNonce, 0, paramsNonce.length);
                    sessionMac = secret.sessionMac(workerId, clientNonce, serverNonce);
                    paramsMac = secret.paramsMac(paramsNonce);
                    assertTrue(sessionMac.verifyFrame(frame, offset, length,
                        body + WelcomeDecoder.macEncodingOffset()), "WELCOME signed by the server");
                    sessionKey = welcomeDecoder.sessionKey();
                    welcomeVersion = version;
                    welcomeBlockLength = blockLength;
                    serverFlags = welcomeDecoder.serverFlags();
                    parameters = new float[welcomeDecoder.parameterCount()];
                }
                case ParamsChunkDecoder.TEMPLATE_ID ->
                {
                    paramsDecoder.wrap(frame, body, blockLength, version);
                    assertTrue(paramsSigned(paramsMac, frame, offset, length), "PARAMS signed by the server");
                    FloatPayload.get(frame, paramsDecoder.limit(), parameters, paramsDecoder.floatOffset(),
                        paramsDecoder.floatCount());
                    if (paramsDecoder.chunkIndex() == paramsDecoder.chunkCount() - 1)
                    {
                        step = paramsDecoder.step();
                    }
                }
                case LeaveAckDecoder.TEMPLATE_ID ->
                {
                    leaveAckDecoder.wrap(frame, body, blockLength, version);
                    assertTrue(sessionMac.verifyFrame(frame, offset, length,
                        body + LeaveAckDecoder.macEncodingOffset()), "LEAVE_ACK signed by the server");
                    leaveAcknowledged = leaveAckDecoder.sessionKey() == sessionKey;
                    ackFinalStep = leaveAckDecoder.finalStep();
                }
                default -> throw new AssertionError("unexpected template " + headerDecoder.templateId());
            }
        }

        private void send(final int length)
        {
            await("newer peer sent " + length + " bytes", 5_000, () -> publication.offer(buffer, 0, length) > 0);
        }

        @Override
        public void close()
        {
            CloseHelper.quietCloseAll(publication, replies, aeron);
        }
    }

    /** A parameter server built from the version-4 schema, reduced to what one worker needs, driven by hand. */
    private static final class NewerServer implements AutoCloseable
    {
        private static final long SESSION_KEY = 0x5EED;
        private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        private final RegisterDecoder registerDecoder = new RegisterDecoder();
        private final GradientChunkDecoder gradientDecoder = new GradientChunkDecoder();
        private final LeaveDecoder leaveDecoder = new LeaveDecoder();
        private final Aeron aeron;
        private final UdpChannels channels;
        private final Subscription requests;
        private final List<Integer> templates = new CopyOnWriteArrayList<>();
        private final FragmentAssembler assembler = new FragmentAssembler(this::onFragment);
        private ExclusivePublication reply;
        private int registeredWorkerId = -1;
        private long correlationId;
        private String replyEndpoint;
        private long capabilities;
        private long computeNanos;
        private int lastVersion;
        private float[] gradient;
        private final RunSecret secret = new RunSecret(Fixtures.TOKEN);
        private final byte[] clientNonce = new byte[RunSecret.NONCE_LENGTH];
        private final byte[] serverNonce = RunSecret.newNonce(new SecureRandom());
        private final byte[] paramsNonce = RunSecret.newNonce(new SecureRandom());
        private FrameMac sessionMac;

        NewerServer(final Aeron aeron, final UdpChannels channels, final String endpoint)
        {
            this.aeron = aeron;
            this.channels = channels;
            this.requests = aeron.addSubscription(channels.subscription(endpoint), WireSchema.REQUEST_STREAM_ID);
        }

        void awaitRegister()
        {
            poll("REGISTER", () -> replyEndpoint != null);
            reply = aeron.addExclusivePublication(channels.publication(replyEndpoint), WireSchema.REPLY_STREAM_ID);
            await("reply publication connected", 5_000, reply::isConnected);
        }

        void sendForeignFrame()
        {
            headerEncoder.wrap(buffer, 0).blockLength(16).templateId(7).schemaId(0x0BAD).version(1);
            send(MessageHeaderEncoder.ENCODED_LENGTH + 16);
        }

        void welcome(final long step, final float[] parameters)
        {
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + new WelcomeEncoder()
                .wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(registeredWorkerId).parameterCount(parameters.length).correlationId(correlationId)
                .sessionKey(SESSION_KEY).step(step).stepDeadlineMs(10_000)
                .putServerNonce(serverNonce, 0, serverNonce.length).putParamsNonce(paramsNonce, 0, paramsNonce.length)
                .serverFlags(-1L).encodedLength();
            sessionMac.signFrame(
                buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + WelcomeEncoder.macEncodingOffset());
            send(length);
            params(step, parameters);
        }

        void params(final long step, final float[] parameters)
        {
            final ParamsChunkEncoder encoder = new ParamsChunkEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder)
                .sessionKey(SESSION_KEY).step(step).parameterCount(parameters.length).chunkIndex(0).chunkCount(1)
                .floatOffset(0).floatCount(parameters.length).checksum(0xC0FFEEL);
            FloatPayload.put(buffer, encoder.limit(), parameters, 0, parameters.length);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength() + 4 * parameters.length;
            final int key = MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.sessionKeyEncodingOffset();
            final int at = MessageHeaderEncoder.ENCODED_LENGTH + ParamsChunkEncoder.macEncodingOffset();
            final FrameMac mac = secret.paramsMac(paramsNonce);
            mac.update(buffer, 0, key).update(buffer, key + 8, at - key - 8)
                .update(buffer, at + FrameMac.LENGTH, length - at - FrameMac.LENGTH).sign(buffer, at);
            send(length);
        }

        float[] awaitGradient()
        {
            poll("GRADIENT", () -> gradient != null);
            return gradient;
        }

        void awaitLeaveAndAcknowledge()
        {
            poll("LEAVE", () -> templates.contains(LeaveDecoder.TEMPLATE_ID));
            buffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + LeaveAckEncoder.BLOCK_LENGTH, (byte)0);
            final int length = MessageHeaderEncoder.ENCODED_LENGTH + new LeaveAckEncoder()
                .wrapAndApplyHeader(buffer, 0, headerEncoder)
                .workerId(registeredWorkerId).sessionKey(SESSION_KEY).finalStep(6).encodedLength();
            sessionMac.signFrame(
                buffer, 0, length, MessageHeaderEncoder.ENCODED_LENGTH + LeaveAckEncoder.macEncodingOffset());
            send(length);
        }

        private void poll(final String what, final java.util.function.BooleanSupplier done)
        {
            await(what + " at the newer server", 10_000, () ->
            {
                requests.poll(assembler, 10);
                return done.getAsBoolean();
            });
        }

        private void onFragment(
            final org.agrona.DirectBuffer frame, final int offset, final int length, final io.aeron.logbuffer.Header h)
        {
            headerDecoder.wrap(frame, offset);
            final int body = offset + MessageHeaderDecoder.ENCODED_LENGTH;
            final int blockLength = headerDecoder.blockLength();
            lastVersion = headerDecoder.version();
            templates.add(headerDecoder.templateId());
            switch (headerDecoder.templateId())
            {
                case RegisterDecoder.TEMPLATE_ID ->
                {
                    registerDecoder.wrap(frame, body, blockLength, lastVersion);
                    assertTrue(secret.registrationMac().verifyFrame(frame, offset, length,
                        body + RegisterDecoder.proofEncodingOffset()), "REGISTER proves the token");
                    registerDecoder.getClientNonce(clientNonce, 0, clientNonce.length);
                    registeredWorkerId = registerDecoder.workerId();
                    sessionMac = secret.sessionMac(registeredWorkerId, clientNonce, serverNonce);
                    correlationId = registerDecoder.correlationId();
                    capabilities = registerDecoder.capabilities();
                    registerDecoder.skipToken();
                    replyEndpoint = registerDecoder.replyEndpoint();
                }
                case GradientChunkDecoder.TEMPLATE_ID ->
                {
                    gradientDecoder.wrap(frame, body, blockLength, lastVersion);
                    assertEquals(SESSION_KEY, gradientDecoder.sessionKey());
                    assertTrue(sessionMac.verifyFrame(frame, offset, length,
                        body + GradientChunkDecoder.macEncodingOffset()), "GRADIENT signed by the worker");
                    computeNanos = gradientDecoder.computeNanos();
                    final float[] received = new float[gradientDecoder.floatCount()];
                    FloatPayload.get(frame, gradientDecoder.limit(), received, 0, received.length);
                    gradient = received;
                }
                case LeaveDecoder.TEMPLATE_ID -> assertEquals(SESSION_KEY, leaveDecoder
                    .wrap(frame, body, blockLength, lastVersion).sessionKey());
                default -> throw new AssertionError("unexpected template " + headerDecoder.templateId());
            }
        }

        private void send(final int length)
        {
            await("newer server sent " + length + " bytes", 5_000, () -> reply.offer(buffer, 0, length) > 0);
        }

        @Override
        public void close()
        {
            CloseHelper.quietCloseAll(reply, requests);
        }
    }

    /** WARN lines of Averon's loggers while open. */
    private static final class CapturedLog implements AutoCloseable
    {
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final LoggerContext context = (LoggerContext)LogManager.getContext(false);
        private final AbstractAppender appender =
            new AbstractAppender("schema-evolution-test", null, null, true, Property.EMPTY_ARRAY)
            {
                @Override
                public void append(final LogEvent event)
                {
                    lines.add(event.getMessage().getFormattedMessage());
                }
            };

        CapturedLog()
        {
            appender.start();
            context.getConfiguration().getLoggerConfig("io.averon").addAppender(appender, Level.WARN, null);
            context.updateLoggers();
        }

        boolean contains(final String text)
        {
            return lines.stream().anyMatch((line) -> line.contains(text));
        }

        @Override
        public void close()
        {
            context.getConfiguration().getLoggerConfig("io.averon").removeAppender(appender.getName());
            context.updateLoggers();
            appender.stop();
        }
    }
}
