package io.averon.ps;

import io.averon.ps.wire.FloatPayload;
import io.averon.ps.wire.GradientChunkEncoder;
import io.averon.ps.wire.MessageHeaderEncoder;
import io.averon.ps.wire.ParamsChunkEncoder;
import io.averon.ps.wire.WireSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class MalformedFramesTest
{
    private static final int PARAMETERS = 8;
    private static final long DEADLINE_MS = 20_000;

    @Test
    void malformedFramesAreRejectedByReasonAndTheServerKeepsServing()
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final String directory;

        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(DEADLINE_MS).build(), new float[PARAMETERS], 0, rule);
            RawPeer peer = new RawPeer(server);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 1).build()))
        {
            directory = server.aeronDirectory();
            // A registered member (worker 7) so that forged gradients pass the session check and reach deeper
            // validation.
            peer.register(7, Fixtures.TOKEN);
            assertEquals(0, peer.step);
            final float[] values = { 1, 2, 3, 4, 5, 6, 7, 8 };

            // Structural defects.
            peer.buffer.putInt(0, 0x1234_5678);
            peer.send(5);                                                          // shorter than a header
            peer.header(GradientChunkEncoder.BLOCK_LENGTH, GradientChunkEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID,
                WireSchema.VERSION);
            peer.send(8);                                                          // header without block
            final int full = gradient(peer, 0, 1, 0, values.length, values);
            peer.send(full - 4 * 3);                                               // floats cut off
            // Older than the oldest version read. (A newer version is read by SBE's rules: SchemaEvolutionTest.)
            peer.header(GradientChunkEncoder.BLOCK_LENGTH, GradientChunkEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID,
                WireSchema.OLDEST_SUPPORTED_VERSION - 1);
            peer.send(full);                                                       // unsupported version
            peer.header(GradientChunkEncoder.BLOCK_LENGTH, GradientChunkEncoder.TEMPLATE_ID, 0x0BAD,
                WireSchema.VERSION);
            peer.send(full);                                                       // foreign schema
            peer.header(16, 77, WireSchema.SCHEMA_ID, WireSchema.VERSION);
            peer.send(64);                                                         // unknown template
            final ParamsChunkEncoder params = new ParamsChunkEncoder()
                .wrapAndApplyHeader(peer.buffer, 0, peer.headerEncoder)
                .step(0).parameterCount(PARAMETERS).chunkCount(1).floatCount(PARAMETERS);
            FloatPayload.put(peer.buffer, params.limit(), values, 0, PARAMETERS);
            peer.send(MessageHeaderEncoder.ENCODED_LENGTH + params.encodedLength() + 4 * PARAMETERS);

            // Semantic defects from a registered member.
            peer.send(gradient(peer, 0, 1, PARAMETERS - 2, 4, values));            // offset beyond parameterCount
            peer.send(gradient(peer, 1, 2, 4, 4, values));                         // chunk 1 without chunk 0
            peer.send(gradientFor(peer, 0, 0));                                    // batch size 0
            peer.send(gradientFor(peer, 5, 3));                                    // future step
            final float[] nan = values.clone();
            nan[5] = Float.NaN;
            peer.send(gradient(peer, 0, 1, 0, PARAMETERS, nan));                   // NaN: the peer abstains

            final Map<RejectReason, Long> expected = Map.of(
                RejectReason.TRUNCATED, 3L,
                RejectReason.UNSUPPORTED_VERSION, 1L,
                RejectReason.UNKNOWN_SCHEMA, 1L,
                RejectReason.UNKNOWN_TYPE, 1L,
                RejectReason.UNEXPECTED_TYPE, 1L,
                RejectReason.OFFSET_OUT_OF_RANGE, 1L,
                RejectReason.BAD_CHUNK, 1L,
                RejectReason.BAD_BATCH_SIZE, 1L,
                RejectReason.FUTURE_STEP, 1L,
                RejectReason.NON_FINITE, 1L);
            await("all forged frames counted", 5_000, () -> server.stats().rejectedMessages() == 12);
            final ServerStats stats = server.stats();
            expected.forEach((reason, count) -> assertEquals(count, stats.rejected(reason), reason.name()));
            assertEquals(12, stats.rejectedByReason().values().stream().mapToLong(Long::longValue).sum());
            assertEquals(0, stats.gradientsAccepted());
            assertEquals(0, stats.step());

            // The server still serves: the real client's gradient completes the step at once, because the NaN
            // sender counts as having answered (with nothing), so nobody waits for the 20 s deadline.
            {
                final float[] gradient = { 8, 7, 6, 5, 4, 3, 2, 1 };
                final long startNs = System.nanoTime();
                assertEquals(1, client.exchange(gradient, 3, 0.75));
                final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
                assertTrue(elapsedMs < DEADLINE_MS / 2, "step took " + elapsedMs + " ms: it waited for the NaN sender");

                assertArrayEquals(gradient, rule.means.get(0));
                assertEquals(3, rule.globalBatchSizes.get(0));
                final ServerStats after = server.stats();
                assertEquals(1, after.gradientsAccepted());
                assertEquals(0, after.droppedFromStep());
                assertEquals(0.75, after.lastStepLoss());
                assertEquals(12, after.rejectedMessages());
            }
        }
        Fixtures.assertDirectoryGone(directory);
    }

    /**
     * Every rejected frame is counted once (RejectReason's contract), also around a gradient already refused for a
     * non-finite value: its later chunks in the same step, its chunks arriving after the step completed, and a step of
     * Long.MIN_VALUE from a member that never abstained (the session's "no step" sentinel). FrameFuzzIT's accounting
     * rests on this; before, the server dropped all three silently.
     */
    @Test
    void framesAroundANonFiniteGradientAreEachCounted() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(DEADLINE_MS).build(), new float[PARAMETERS], 0, rule);
            RawPeer peer = new RawPeer(server);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 1).build()))
        {
            peer.register(7, Fixtures.TOKEN);
            final float[] values = { 1, Float.NaN, 3, 4, 5, 6, 7, 8 };

            peer.send(gradientFor(peer, Long.MIN_VALUE, 2));                      // never abstained: STALE_STEP
            await("sentinel step counted", 5_000, () -> server.stats().rejectedMessages() == 1);
            peer.send(gradient(peer, 0, 2, 0, 4, values));                         // NaN: the peer abstains
            final int secondChunk = gradient(peer, 1, 2, 4, 4, values);
            peer.send(secondChunk);                                                // rest of it: NON_FINITE too
            await("both chunks counted", 5_000, () -> server.stats().rejected(RejectReason.NON_FINITE) == 2);

            assertEquals(1, client.exchange(new float[PARAMETERS], 1, 1.0));
            peer.send(secondChunk);                                                // after the step: STALE_STEP
            await("late chunk counted", 5_000, () -> server.stats().rejected(RejectReason.STALE_STEP) == 2);
            final ServerStats stats = server.stats();
            assertEquals(4, stats.rejectedMessages(), stats.rejectedByReason().toString());
            assertEquals(1, stats.gradientsAccepted());
        }
    }

    private static int gradient(
        final RawPeer peer,
        final int chunkIndex,
        final int chunkCount,
        final int floatOffset,
        final int floatCount,
        final float[] values)
    {
        return peer.withFloats(peer.gradient()
            .workerId(7)
            .sessionKey(peer.sessionKey)
            .step(0)
            .batchSize(2)
            .loss(1.0)
            .chunkIndex(chunkIndex)
            .chunkCount(chunkCount)
            .floatOffset(floatOffset), values, 0, floatCount);
    }

    private static int gradientFor(final RawPeer peer, final long step, final int batchSize)
    {
        return peer.withFloats(peer.gradient()
            .workerId(7)
            .sessionKey(peer.sessionKey)
            .step(step)
            .batchSize(batchSize)
            .loss(1.0)
            .chunkIndex(0)
            .chunkCount(1)
            .floatOffset(0), new float[PARAMETERS], 0, PARAMETERS);
    }
}
