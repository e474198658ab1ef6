package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static io.averon.ps.Fixtures.weightedMean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class DeadlineAndEvictionTest
{
    private static final long DEADLINE_MS = 500;
    private static final int PARAMETERS = 6;

    @Test
    void silentWorkerIsDroppedAtTheDeadlineThenEvictedAndRejoinsTransparently() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[][] gradients = { { 1, 2, 3, 4, 5, 6 }, { -1, 0, 1, 0, -1, 0 } };
        final int[] batches = { 2, 6 };
        final float[] expectedMean = weightedMean(gradients, batches);
        final String directory;

        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(DEADLINE_MS).evictAfterMissedSteps(2).build(),
                new float[PARAMETERS], 0, rule);
            Fixtures.ConcurrentExchange exchange = new Fixtures.ConcurrentExchange();
            ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).build());
            ParameterServerClient w1 = ParameterServerClient.connect(clientConfig(server, 1).build());
            ParameterServerClient silent = ParameterServerClient.connect(clientConfig(server, 2).build()))
        {
            directory = server.aeronDirectory();
            await("3 members", 5_000, () -> server.stats().registeredWorkers() == 3);

            // Step 0: worker 2 never answers; the step completes at the deadline with the other two.
            final long startNs = System.nanoTime();
            exchange.submit(w0, gradients[0], batches[0], 1.0);
            exchange.submit(w1, gradients[1], batches[1], 1.0);
            assertEquals(List.of(1L, 1L), exchange.awaitAll(10_000));
            final long stepMs = (System.nanoTime() - startNs) / 1_000_000;
            assertTrue(stepMs >= DEADLINE_MS - 50, "step 0 completed after " + stepMs + " ms, before the deadline");
            assertArrayEquals(expectedMean, rule.means.get(0));
            assertEquals(8, rule.globalBatchSizes.get(0));
            ServerStats stats = server.stats();
            assertEquals(1, stats.droppedFromStep());
            assertEquals(0, stats.evictions());
            assertEquals(3, stats.registeredWorkers());

            // Step 1: second consecutive miss -> evicted.
            exchange.submit(w0, gradients[0], batches[0], 1.0);
            exchange.submit(w1, gradients[1], batches[1], 1.0);
            assertEquals(List.of(2L, 2L), exchange.awaitAll(10_000));
            stats = server.stats();
            assertEquals(2, stats.droppedFromStep());
            assertEquals(1, stats.evictions());
            assertEquals(2, stats.registeredWorkers());

            // Step 2: only the two live members remain, so nobody is dropped.
            exchange.submit(w0, gradients[0], batches[0], 1.0);
            exchange.submit(w1, gradients[1], batches[1], 1.0);
            assertEquals(List.of(3L, 3L), exchange.awaitAll(10_000));
            assertEquals(2, server.stats().droppedFromStep());

            // The silent worker finally exchanges: it learns it was evicted, registers again and adopts step 3.
            assertEquals(0, silent.step());
            assertEquals(3, silent.exchange(new float[PARAMETERS], 4, 1.0));
            final float[] authoritative = server.atStepBoundary((parameters, step) -> parameters.clone());
            assertArrayEquals(authoritative, silent.parameters());
            assertArrayEquals(rule.results.get(2), authoritative);
            assertEquals(3, server.stats().registeredWorkers());

            // With all three live again the next step needs no deadline.
            exchange.submit(w0, gradients[0], batches[0], 1.0);
            exchange.submit(w1, gradients[1], batches[1], 1.0);
            exchange.submit(silent, gradients[1], 4, 1.0);
            assertEquals(List.of(4L, 4L, 4L), exchange.awaitAll(10_000));
            stats = server.stats();
            assertEquals(2, stats.droppedFromStep());
            assertEquals(1, stats.evictions());
            assertEquals(12, rule.globalBatchSizes.get(3));
            assertEquals(0, stats.rejectedMessages());

            // The record a driver accounts for data with: worker 2's gradient went into step 3 only.
            final Contributions record = server.contributionsSince(0);
            assertEquals(0, record.firstStep());
            assertEquals(4, record.endStep());
            for (long step = 0; step < 4; step++)
            {
                assertTrue(record.applied(step, 0), "worker 0, step " + step);
                assertTrue(record.applied(step, 1), "worker 1, step " + step);
                assertEquals(step == 3, record.applied(step, 2), "worker 2, step " + step);
            }
            assertEquals(2, server.contributionsSince(2).firstStep());
        }
        Fixtures.assertDirectoryGone(directory);
    }

    @Test
    void aWorkerThatStopsReadingNeverBlocksTheServerAndIsCountedAsStalled()
    {
        // 4 MiB of parameters against 1 MiB terms: the feed to a reader that never polls stalls after half a term.
        final int parameters = 1 << 20;
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(300).evictAfterMissedSteps(100).build(),
                new float[parameters], 0, rule);
            RawPeer stuck = new RawPeer(server);
            ParameterServerClient live = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            stuck.register(1, Fixtures.TOKEN); // reads WELCOME, then never polls again
            await("stalled feed to worker 1", 5_000, () -> server.stats().stalledSends() >= 1);

            final float[] gradient = new float[parameters];
            gradient[parameters - 1] = 2.0f;
            for (int step = 1; step <= 3; step++)
            {
                assertEquals(step, live.exchange(gradient, 1, 1.0));
                assertEquals(-2.0f * step, live.parameters()[parameters - 1]);
            }
            final ServerStats stats = server.stats();
            assertEquals(3, stats.droppedFromStep());
            assertEquals(2, stats.registeredWorkers());
            assertEquals(1, stats.stalledSends(), "a stall is reported once until the feed makes progress");
        }
    }
}
