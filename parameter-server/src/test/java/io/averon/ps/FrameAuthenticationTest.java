package io.averon.ps;

import io.aeron.ExclusivePublication;
import io.aeron.FragmentAssembler;
import io.aeron.Subscription;
import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.ParamsChunkEncoder;
import io.averon.ps.wire.Refusal;
import io.averon.ps.wire.RegisterDecoder;
import io.averon.ps.wire.RegisterEncoder;
import io.averon.ps.wire.RejectEncoder;
import io.averon.ps.wire.RunSecret;
import io.averon.ps.wire.WireSchema;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static io.averon.ps.Fixtures.weightedMean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 4 over real media drivers and UDP: the token never travels, a session key seen on the wire is worth
 * nothing without the session's MAC key, recordings of authentic frames are refused, and a client drops replies its
 * server did not sign.
 */
@Timeout(60)
class FrameAuthenticationTest
{
    private static final int PARAMETERS = 8;

    @Test
    void aRegisterProvesTheTokenWithoutCarryingIt() throws Exception
    {
        final int port = Fixtures.unusedUdpPort();
        final String token = "a-token-that-must-not-travel";
        final AtomicReference<byte[]> captured = new AtomicReference<>();
        try (EmbeddedAeron driver = EmbeddedAeron.launch(null, "averon-test-register-capture"))
        {
            final Subscription listener = driver.aeron().addSubscription(
                new UdpChannels(8192, Fixtures.SMALL_TERM, Fixtures.SOCKET_BUFFER).subscription("127.0.0.1:" + port),
                WireSchema.REQUEST_STREAM_ID);
            try
            {
                // Nobody answers, so the client gives up after its connect timeout; only its REGISTER matters.
                final CompletableFuture<?> connecting = CompletableFuture.runAsync(() ->
                {
                    try (ParameterServerClient ignored = ParameterServerClient.connect(ClientConfig.builder()
                        .serverEndpoint("127.0.0.1:" + port).token(token).workerId(3)
                        .aeronDirectory(driver.directory()).media(ClientConfig.Media.UDP)
                        .termLength(Fixtures.SMALL_TERM).chunkBytes(64 * 1024)
                        .socketBufferBytes(Fixtures.SOCKET_BUFFER).connectTimeoutMs(3_000).build()))
                    {
                        throw new AssertionError("connected to a server that never answered");
                    }
                    catch (final ParameterServerException expected)
                    {
                        // no WELCOME: expected
                    }
                });
                final FragmentAssembler assembler = new FragmentAssembler((buffer, offset, length, header) ->
                {
                    final byte[] frame = new byte[length];
                    buffer.getBytes(offset, frame);
                    captured.compareAndSet(null, frame);
                });
                await("a REGISTER", 10_000, () -> listener.poll(assembler, 10) >= 0 && captured.get() != null);
                connecting.join();
            }
            finally
            {
                CloseHelper.quietClose(listener);
            }
        }

        final byte[] frame = captured.get();
        final String asText = new String(frame, StandardCharsets.ISO_8859_1);
        assertFalse(asText.contains(token), "the token travelled in the REGISTER");
        assertFalse(asText.contains(token.substring(0, 8)), "part of the token travelled in the REGISTER");
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final int proofAt = MessageHeaderEncoder.ENCODED_LENGTH + RegisterDecoder.proofEncodingOffset();
        assertTrue(new RunSecret(token).registrationMac().verifyFrame(buffer, 0, frame.length, proofAt),
            "the proof verifies under the token's registration key");
        assertFalse(new RunSecret(token + "x").registrationMac().verifyFrame(buffer, 0, frame.length, proofAt));
    }

    @ParameterizedTest
    @EnumSource(value = ClientConfig.Media.class, names = { "UDP", "IPC" })
    void aClientHoldingAnotherTokenIsToldSo(final ClientConfig.Media media)
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f)))
        {
            final ParameterServerException refused = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 0).token("another").media(media).build()));
            assertTrue(refused.getMessage().contains("token rejected by the parameter server at " + server.endpoint()),
                refused.getMessage());
            assertEquals(1, server.stats().rejected(RejectReason.BAD_TOKEN));
            assertEquals(0, server.stats().registeredWorkers());
        }
    }

    @Test
    void aGradientWithAStolenSessionKeyButNoMacKeyIsRejectedAndChangesNothing() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[] honest = { 1, 2, 3, 4, 5, 6, 7, 8 };
        final float[] poison = new float[PARAMETERS];
        Arrays.fill(poison, 1e6f);
        try (ParameterServer server = ParameterServer.start(serverConfig().build(), new float[PARAMETERS], 0, rule);
            ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).build());
            RawPeer victim = new RawPeer(server);
            RawPeer thief = new RawPeer(server))
        {
            victim.register(1, Fixtures.TOKEN);
            // The thief read the victim's session key off the wire: it is in clear in every frame.
            thief.sessionKey = victim.sessionKey;
            final int forged = gradient(thief, 1, 0, 1, poison, 0, PARAMETERS);
            thief.buffer.setMemory(MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkEncoder.macEncodingOffset(),
                16, (byte)0x5A);
            thief.sendAsIs(forged);
            // Even with a MAC made under a key derived the way a session's is, but from a guessed token.
            final RunSecret guessed = new RunSecret("guessed");
            guessed.sessionMac(1, new byte[16], new byte[16]).signFrame(thief.buffer, 0, forged,
                MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkEncoder.macEncodingOffset());
            thief.sendAsIs(forged);
            await("2 BAD_MAC rejections", 5_000, () -> server.stats().rejected(RejectReason.BAD_MAC) == 2);

            victim.send(gradient(victim, 1, 0, 1, honest, 0, PARAMETERS));
            assertEquals(1, w0.exchange(honest, 1, 1.0));
            assertArrayEquals(weightedMean(new float[][] { honest, honest }, new int[] { 1, 1 }), rule.means.get(0));
            assertEquals(2, server.stats().gradientsAccepted());
            assertEquals(2, server.stats().rejectedMessages(), server.stats().rejectedByReason().toString());
        }
    }

    @Test
    void aReplayedChunkIsRefusedWithoutBreakingTheGradientBeingAssembled() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[] values = { 1, 2, 3, 4, 5, 6, 7, 8 };
        try (ParameterServer server = ParameterServer.start(
                serverConfig().chunkBytes(16).build(), new float[PARAMETERS], 0, rule);
            ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).chunkBytes(16).build());
            RawPeer peer = new RawPeer(server))
        {
            peer.register(1, Fixtures.TOKEN);
            final int first = gradient(peer, 1, 0, 2, values, 0, 4);
            peer.send(first);
            peer.sendAsIs(first); // byte for byte, MAC included
            await("REPLAYED counted", 5_000, () -> server.stats().rejected(RejectReason.REPLAYED) == 1);
            peer.send(gradient(peer, 1, 1, 2, values, 4, 4));

            final float[] zeros = new float[PARAMETERS];
            assertEquals(1, w0.exchange(zeros, 1, 1.0));
            assertArrayEquals(weightedMean(new float[][] { zeros, values }, new int[] { 1, 1 }), rule.means.get(0));
            assertEquals(2, server.stats().gradientsAccepted());
            assertEquals(1, server.stats().rejectedMessages(), server.stats().rejectedByReason().toString());
        }
    }

    @Test
    void aReplayedRegisterGetsNoSessionAndNoAnswer()
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f));
            RawPeer peer = new RawPeer(server))
        {
            final int length = peer.encodeRegister(1, Fixtures.TOKEN, peer.replyEndpoint(), 31);
            final byte[] recording = new byte[length];
            peer.buffer.getBytes(0, recording);
            peer.sendAsIs(length);
            await("registered", 5_000, () -> server.stats().registeredWorkers() == 1);
            peer.drainReplies();

            // The worker leaves; someone who recorded its REGISTER plays it back to take its place.
            server.atStepBoundary((parameters, step) -> null); // the REGISTER has been handled by now
            final List<String> before = peer.collectRejects(200);
            assertEquals(List.of(), before);
            peer.buffer.putBytes(0, recording);
            peer.sendAsIs(length);
            await("REPLAYED counted", 5_000, () -> server.stats().rejected(RejectReason.REPLAYED) == 1);
            assertEquals(List.of(), peer.collectRejects(500), "a recording gets no answer");
            assertEquals(1, server.stats().registeredWorkers());
            assertEquals(1, server.stats().rejectedMessages());
        }
    }

    @Test
    void aClientDropsRepliesItsServerDidNotSign() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[] poison = new float[PARAMETERS];
        Arrays.fill(poison, 1e6f);
        try (ParameterServer server = ParameterServer.start(serverConfig().build(), new float[PARAMETERS], 0, rule);
            ParameterServerClient w0 = ParameterServerClient.connect(
                clientConfig(server, 0).media(ClientConfig.Media.UDP).build());
            EmbeddedAeron forgerDriver = EmbeddedAeron.launch(null, "averon-test-forger"))
        {
            final ExclusivePublication forger = forgerDriver.aeron().addExclusivePublication(
                new UdpChannels(8192, Fixtures.SMALL_TERM, Fixtures.SOCKET_BUFFER).publication(w0.replyEndpoint()),
                WireSchema.REPLY_STREAM_ID);
            try
            {
                await("forger connected to the worker", 5_000, forger::isConnected);
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[1024]);
                final MessageHeaderEncoder header = new MessageHeaderEncoder();
                // Newer parameters for the worker's session, and the end of its session: both unsigned.
                final ParamsChunkEncoder params = new ParamsChunkEncoder().wrapAndApplyHeader(buffer, 0, header)
                    .sessionKey(w0.sessionKey()).step(1).parameterCount(PARAMETERS).chunkIndex(0).chunkCount(1)
                    .floatOffset(0).floatCount(PARAMETERS);
                FloatPayload.put(buffer, params.limit(), poison, 0, PARAMETERS);
                offer(forger, buffer, MessageHeaderEncoder.ENCODED_LENGTH + params.encodedLength() + 4 * PARAMETERS);
                offer(forger, buffer, MessageHeaderEncoder.ENCODED_LENGTH + new RejectEncoder()
                    .wrapAndApplyHeader(buffer, 0, header).workerId(0).refusal(Refusal.SERVER_FAILED)
                    .correlationId(0).sessionKey(w0.sessionKey()).reason("forged").encodedLength());
                Thread.sleep(200); // let both arrive before the exchange drains the worker's inbound stream

                final float[] gradient = { 1, 1, 1, 1, 1, 1, 1, 1 };
                assertEquals(1, w0.exchange(gradient, 1, 1.0));
                assertEquals(2, w0.forgedReplies());
                assertArrayEquals(server.atStepBoundary((parameters, step) -> parameters.clone()), w0.parameters());
                assertArrayEquals(gradient, rule.means.get(0));
            }
            finally
            {
                CloseHelper.quietClose(forger);
            }
        }
    }

    private static void offer(final ExclusivePublication publication, final UnsafeBuffer buffer, final int length)
    {
        await("forged frame sent", 5_000, () -> publication.offer(buffer, 0, length) > 0);
    }

    private static int gradient(
        final RawPeer peer,
        final int workerId,
        final int chunkIndex,
        final int chunkCount,
        final float[] values,
        final int floatOffset,
        final int floatCount)
    {
        peer.buffer.setMemory(0, MessageHeaderEncoder.ENCODED_LENGTH + GradientChunkEncoder.BLOCK_LENGTH, (byte)0);
        return peer.withFloats(peer.gradient()
            .workerId(workerId)
            .sessionKey(peer.sessionKey)
            .step(0)
            .batchSize(1)
            .loss(1.0)
            .chunkIndex(chunkIndex)
            .chunkCount(chunkCount)
            .floatOffset(floatOffset), values, floatOffset, floatCount);
    }
}
