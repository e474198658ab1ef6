package io.averon.ps;

import io.averon.ps.wire.GradientChunkEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static io.averon.ps.Fixtures.weightedMean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 5, bounds: a registered worker declaring an absurd batch size, or a REGISTER beyond the run's worker
 * count, is rejected under its own reason, and the honest workers' steps complete as if it had never been sent.
 */
@Timeout(60)
class BoundsTest
{
    private static final int PARAMETERS = 6;
    private static final long DEADLINE_MS = 1_000;

    @Test
    void aHugeBatchSizeFromARegisteredWorkerIsRejectedAndTheStepCompletesWithTheOthers() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[][] gradients = { { 1, 2, 3, 4, 5, 6 }, { -1, 0, 1, 0, -1, 0 } };
        final int[] batches = { 2, 6 };

        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(DEADLINE_MS).maxWorkers(3).maxBatchSize(1024).build(),
                new float[PARAMETERS], 0, rule);
            Fixtures.ConcurrentExchange exchange = new Fixtures.ConcurrentExchange();
            ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).build());
            ParameterServerClient w1 = ParameterServerClient.connect(clientConfig(server, 1).build());
            RawPeer rogue = new RawPeer(server))
        {
            rogue.register(2, Fixtures.TOKEN);

            // Before the bound, Integer.MAX_VALUE plus the honest batches overflowed the global batch inside the
            // update's try block and stopped the server for good.
            rogue.send(gradient(rogue, 2, Integer.MAX_VALUE));
            await("BATCH_SIZE_TOO_LARGE counted", 5_000,
                () -> server.stats().rejected(RejectReason.BATCH_SIZE_TOO_LARGE) == 1);

            for (long step = 1; step <= 2; step++)
            {
                exchange.submit(w0, gradients[0], batches[0], 1.0);
                exchange.submit(w1, gradients[1], batches[1], 1.0);
                assertEquals(List.of(step, step), exchange.awaitAll(10_000));
            }
            assertArrayEquals(weightedMean(gradients, batches), rule.means.get(0));
            assertEquals(List.of(8, 8), rule.globalBatchSizes);
            assertNull(server.failure());
            final ServerStats stats = server.stats();
            assertEquals(2, stats.step());
            assertEquals(4, stats.gradientsAccepted());
            assertEquals(2, stats.droppedFromStep(), "the rogue answered neither step");
            assertEquals(1, stats.rejectedMessages());
        }
    }

    @Test
    void aWorkerIdAtOrAboveMaxWorkersIsRefusedNamingTheRange()
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().maxWorkers(2).build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f));
            RawPeer peer = new RawPeer(server))
        {
            peer.sendRegister(2, Fixtures.TOKEN, peer.replyEndpoint(), 5);
            final List<String> rejects = peer.collectRejects(1_500);
            assertEquals(1, rejects.size(), rejects.toString());
            assertTrue(rejects.get(0).startsWith("INVALID_REGISTRATION: worker id 2 is out of range"), rejects.get(0));
            assertTrue(rejects.get(0).contains("ids 0 to 1"), rejects.get(0));
            final ServerStats stats = server.stats();
            assertEquals(1, stats.rejected(RejectReason.WORKER_ID_OUT_OF_RANGE));
            assertEquals(0, stats.registeredWorkers());

            final ParameterServerException ex = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 7).build()));
            assertTrue(ex.getMessage().contains("worker id 7 is out of range"), ex.getMessage());
        }
    }

    @Test
    void boundsWhoseGlobalBatchCouldOverflowAnIntAreRefusedAtConfiguration()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> serverConfig().maxBatchSize(1 << 20).maxWorkers(4096).build());
        assertTrue(ex.getMessage().contains("maxBatchSize x maxWorkers"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> serverConfig().maxBatchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> serverConfig().maxWorkers(0).build());
    }

    private static int gradient(final RawPeer peer, final int workerId, final int batchSize)
    {
        final float[] values = new float[PARAMETERS];
        return peer.withFloats(peer.gradient()
            .workerId(workerId)
            .sessionKey(peer.sessionKey)
            .step(0)
            .batchSize(batchSize)
            .loss(1.0)
            .chunkIndex(0)
            .chunkCount(1)
            .floatOffset(0), values, 0, values.length);
    }
}
