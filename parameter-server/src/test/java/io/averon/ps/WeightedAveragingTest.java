package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Random;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static io.averon.ps.Fixtures.weightedMean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

@Timeout(60)
class WeightedAveragingTest
{
    private static final int PARAMETERS = 10;
    private static final int[] BATCH = { 3, 5, 8 };
    private static final float RATE = 0.25f;

    @Test
    void meanIsTheExactBatchWeightedAverageInWorkerIdOrderAndClientsReceiveTheRuleResult() throws Exception
    {
        final float[][] gradients = stepZeroGradients();
        final double[] losses = { 0.5, 1.5, 2.25 };
        final float[] expected = weightedMean(gradients, BATCH);

        // Guard that this test can tell the order apart: the sum in arrival order 0, 2, 1 differs at index 0.
        final float arrivalOrderMean0 = (float)(((double)BATCH[0] * gradients[0][0] +
            (double)BATCH[2] * gradients[2][0] + (double)BATCH[1] * gradients[1][0]) / 16.0);
        assertEquals(0.25f, expected[0]);
        assertNotEquals(expected[0], arrivalOrderMean0);

        final float[] initial = new float[PARAMETERS];
        for (int i = 0; i < PARAMETERS; i++)
        {
            initial[i] = 0.5f * i;
        }
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(RATE);
        final String directory;

        // 16-byte chunks: every 10-float gradient and parameter set travels as 3 chunks.
        try (ParameterServer server = ParameterServer.start(
                serverConfig().chunkBytes(16).build(), initial, 0, rule);
            Fixtures.ConcurrentExchange exchange = new Fixtures.ConcurrentExchange())
        {
            directory = server.aeronDirectory();
            try (ParameterServerClient c2 = ParameterServerClient.connect(clientConfig(server, 2).chunkBytes(16).build());
                ParameterServerClient c0 = ParameterServerClient.connect(clientConfig(server, 0).chunkBytes(16).build());
                ParameterServerClient c1 = ParameterServerClient.connect(clientConfig(server, 1).chunkBytes(16).build()))
            {
                final ParameterServerClient[] clients = { c0, c1, c2 };
                for (final ParameterServerClient client : clients)
                {
                    assertEquals(0, client.step());
                    assertArrayEquals(initial, client.parameters());
                }
                await("3 registered workers", 5_000, () -> server.stats().registeredWorkers() == 3);

                // Arrival order 0, 2, 1, forced by waiting for each gradient to be accepted.
                exchange.submit(c0, gradients[0], BATCH[0], losses[0]);
                await("gradient of worker 0", 10_000, () -> server.stats().gradientsAccepted() == 1);
                exchange.submit(c2, gradients[2], BATCH[2], losses[2]);
                await("gradient of worker 2", 10_000, () -> server.stats().gradientsAccepted() == 2);
                exchange.submit(c1, gradients[1], BATCH[1], losses[1]);
                assertEquals(List.of(1L, 1L, 1L), exchange.awaitAll(20_000));

                assertEquals(1, rule.means.size());
                assertArrayEquals(expected, rule.means.get(0));
                assertEquals(16, rule.globalBatchSizes.get(0));
                assertEquals(0L, rule.steps.get(0));
                for (int i = 0; i < PARAMETERS; i++)
                {
                    assertEquals(initial[i] - RATE * expected[i], rule.results.get(0)[i], "rule result " + i);
                }
                for (final ParameterServerClient client : clients)
                {
                    assertEquals(1, client.step());
                    assertArrayEquals(rule.results.get(0), client.parameters());
                }

                ServerStats stats = server.stats();
                assertEquals(1, stats.step());
                assertEquals(16, stats.examplesApplied());
                assertEquals(3, stats.gradientsAccepted());
                assertEquals((3 * 0.5 + 5 * 1.5 + 8 * 2.25) / 16, stats.lastStepLoss(), 1e-15);
                assertEquals(0, stats.rejectedMessages());
                assertEquals(java.util.Set.of(0, 1, 2), stats.workersSeen());

                // Second step, all at once: arrival order is now up to the scheduler, the result must not be.
                final float[][] next = randomGradients(new Random(7));
                exchange.submit(c1, next[1], BATCH[1], 1.0);
                exchange.submit(c2, next[2], BATCH[2], 1.0);
                exchange.submit(c0, next[0], BATCH[0], 1.0);
                assertEquals(List.of(2L, 2L, 2L), exchange.awaitAll(20_000));
                assertArrayEquals(weightedMean(next, BATCH), rule.means.get(1));
                assertEquals(1L, rule.steps.get(1));
                for (final ParameterServerClient client : clients)
                {
                    assertArrayEquals(rule.results.get(1), client.parameters());
                }
                stats = server.stats();
                assertEquals(2, stats.step());
                assertEquals(32, stats.examplesApplied());
                assertEquals(0, stats.droppedFromStep());
            }
            await("members to leave", 5_000, () -> server.stats().registeredWorkers() == 0);
        }
        Fixtures.assertDirectoryGone(directory);
    }

    /**
     * Index 0 holds values whose double sum depends on order (3 * 2^53 + 5 loses the 1 in the last place), the rest
     * are random floats of mixed magnitude.
     */
    private static float[][] stepZeroGradients()
    {
        final float[][] gradients = randomGradients(new Random(42));
        gradients[0][0] = (float)Math.pow(2, 53);
        gradients[1][0] = 1.0f;
        gradients[2][0] = (float)(-3 * Math.pow(2, 50));
        return gradients;
    }

    private static float[][] randomGradients(final Random random)
    {
        final float[][] gradients = new float[3][PARAMETERS];
        for (final float[] gradient : gradients)
        {
            for (int i = 0; i < PARAMETERS; i++)
            {
                gradient[i] = (float)(random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
        }
        return gradients;
    }
}
