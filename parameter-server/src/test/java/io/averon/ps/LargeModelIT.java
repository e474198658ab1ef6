package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 25M-float model (100 MB per gradient or parameter set) through the default transport settings: 16 MiB terms,
 * 1 MiB application-level chunks. Every value is distinct and checked, on the server (the mean it averaged) and on
 * the client (the parameters it received before and after the step). Values are generated from the index so that
 * the test holds no expected arrays: heap use stays at about 700 MB of the 3 GB Surefire allows.
 */
@Timeout(300)
class LargeModelIT
{
    private static final int PARAMETERS = 25_000_000;
    private static final int BATCH = 7;

    @Test
    void twentyFiveMillionFloatsRoundTripIntact()
    {
        final AtomicLong meanMismatches = new AtomicLong(-1);
        final AtomicLong ruleCalls = new AtomicLong();
        final UpdateRule rule = (parameters, meanGradient, globalBatchSize, step) ->
        {
            ruleCalls.incrementAndGet();
            long mismatches = 0;
            for (int i = 0; i < parameters.length; i++)
            {
                if (meanGradient[i] != gradient(i))
                {
                    mismatches++;
                }
                parameters[i] -= meanGradient[i];
            }
            meanMismatches.set(mismatches);
        };

        final String directory;
        final ParameterServer server;
        {
            final float[] initial = new float[PARAMETERS];
            for (int i = 0; i < PARAMETERS; i++)
            {
                initial[i] = initialParameter(i);
            }
            server = ParameterServer.start(
                ParameterServerConfig.builder().token(Fixtures.TOKEN).build(), initial, 0, rule);
        }

        try (server)
        {
            directory = server.aeronDirectory();
            final long connectStartNs = System.nanoTime();
            try (ParameterServerClient client = ParameterServerClient.connect(ClientConfig.builder()
                .serverEndpoint(server.endpoint())
                .token(Fixtures.TOKEN)
                .workerId(0)
                .aeronDirectory(server.aeronDirectory())
                .build()))
            {
                final long connectMs = (System.nanoTime() - connectStartNs) / 1_000_000;
                assertEquals(PARAMETERS, client.parameters().length);
                assertEquals(0, countMismatches(client.parameters(), false), "initial parameters at the client");

                final float[] gradient = new float[PARAMETERS];
                for (int i = 0; i < PARAMETERS; i++)
                {
                    gradient[i] = gradient(i);
                }

                final long exchangeStartNs = System.nanoTime();
                assertEquals(1, client.exchange(gradient, BATCH, 0.5));
                final long exchangeMs = (System.nanoTime() - exchangeStartNs) / 1_000_000;

                assertEquals(1, ruleCalls.get());
                assertEquals(0, meanMismatches.get(), "mean gradient values differing from what was sent");
                assertEquals(0, countMismatches(client.parameters(), true), "updated parameters at the client");
                assertEquals(1, server.step());
                assertEquals(1, server.stats().gradientsAccepted());
                assertEquals(0, server.stats().rejectedMessages());
                assertTrue(server.stats().examplesApplied() == BATCH);

                System.out.printf("25M floats: connect + 100 MB parameters %d ms, exchange (100 MB gradient up, " +
                    "update, 100 MB parameters down) %d ms%n", connectMs, exchangeMs);
            }
        }
        Fixtures.assertDirectoryGone(directory);
    }

    private static long countMismatches(final float[] parameters, final boolean afterStep)
    {
        long mismatches = 0;
        for (int i = 0; i < parameters.length; i++)
        {
            final float expected = afterStep ? initialParameter(i) - gradient(i) : initialParameter(i);
            if (parameters[i] != expected)
            {
                mismatches++;
            }
        }
        return mismatches;
    }

    /** Distinct finite value per index: consecutive float bit patterns starting at 2.0. */
    private static float initialParameter(final int i)
    {
        return Float.intBitsToFloat(0x4000_0000 + i);
    }

    /** Distinct finite value per index: consecutive float bit patterns starting at 1.0. */
    private static float gradient(final int i)
    {
        return Float.intBitsToFloat(0x3F80_0000 + i);
    }
}
