package io.averon.ps;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepTimeHistogramTest
{
    private static long ms(final double millis)
    {
        return (long)(millis * 1e6);
    }

    @Test
    void bucketsGrowByHalfOctaves()
    {
        assertEquals(0, StepTimeHistogram.bucket(ms(0.1)));
        assertEquals(1, StepTimeHistogram.bucket(ms(0.25)));
        assertEquals(1, StepTimeHistogram.bucket(ms(0.35)));
        assertEquals(2, StepTimeHistogram.bucket(ms(0.36)));
        assertEquals(3, StepTimeHistogram.bucket(ms(0.5)));
        // 100 ms: 0.25 x sqrt(2)^17 = 90.5 <= 100 < 128.
        assertEquals(18, StepTimeHistogram.bucket(ms(100)));
        assertTrue(StepTimeHistogram.upperBoundMillis(17) <= 100 && 100 < StepTimeHistogram.upperBoundMillis(18));
        assertEquals(StepTimeHistogram.BUCKETS - 1, StepTimeHistogram.bucket(TimeUnit.HOURS.toNanos(1)));
        assertEquals(Double.POSITIVE_INFINITY, StepTimeHistogram.upperBoundMillis(StepTimeHistogram.BUCKETS - 1));
    }

    @Test
    void quantilesAreTheBoundOfTheBucketHoldingThem()
    {
        final long[] counts = new long[StepTimeHistogram.BUCKETS];
        counts[StepTimeHistogram.bucket(ms(100))] = 90;
        counts[StepTimeHistogram.bucket(ms(1000))] = 10;
        final StepTimeHistogram h = StepTimeHistogram.of(counts);

        assertEquals(100, h.total());
        assertEquals(128, h.quantileMillis(0.5), 1e-9);
        assertEquals(128, h.quantileMillis(0.9), 1e-9);
        assertEquals(1024, h.quantileMillis(0.91), 1e-9);
        assertTrue(Double.isNaN(StepTimeHistogram.of().quantileMillis(0.5)));

        final StepTimeHistogram later = StepTimeHistogram.of(h.counts()).minus(StepTimeHistogram.of());
        assertEquals(h, later);
        assertEquals(0, h.minus(h).total());
    }

    @Test
    void theServerCountsEveryStepAfterTheFirstOfAMembership() throws Exception
    {
        try (ParameterServer server = ParameterServer.start(serverConfig().build(), new float[3], 0,
                new Fixtures.RecordingRule(1));
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            for (int i = 0; i < 6; i++)
            {
                Thread.sleep(2);
                client.exchange(new float[3], 1, 1.0);
            }
            final StepTimeHistogram times = server.stats().stepTimes();
            assertEquals(5, times.total(), "the first step has no predecessor to be timed from: " + times);
            assertTrue(times.quantileMillis(0) >= 2, "each step waited at least 2 ms: " + times);
        }
    }
}
