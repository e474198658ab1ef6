package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmarks' harnesses on a small model, so that the build notices when they stop working; the benchmarks
 * themselves run only from deploy/bench/ps-step.sh.
 */
@Timeout(60)
class StepHarnessTest
{
    private static final int PARAMETERS = 300_000; // more than one 1 MiB chunk per gradient

    @Test
    void transportStepsOverIpcAndUdpWithOneAndTwoWorkers()
    {
        for (final ClientConfig.Media media : new ClientConfig.Media[] {ClientConfig.Media.IPC, ClientConfig.Media.UDP})
        {
            for (int workers = 1; workers <= 2; workers++)
            {
                final String directory;
                try (TransportHarness harness = new TransportHarness(PARAMETERS, workers, media))
                {
                    directory = harness.directory();
                    assertTrue(new File(directory).isDirectory());
                    assertEquals(1, harness.step());
                    assertEquals(2, harness.step());
                    assertEquals(2, harness.server().step());
                    assertEquals(2L * workers, harness.server().stats().gradientsAccepted());
                    assertEquals(0, harness.server().stats().rejectedMessages());
                    assertEquals(PARAMETERS, harness.client(workers - 1).parameters().length);
                }
                assertFalse(new File(directory).exists(), "media driver directory left behind: " + directory);
            }
        }
    }

    @Test
    void updateAndItsMemoryPassRun()
    {
        for (int workers = 1; workers <= 2; workers++)
        {
            final UpdateHarness harness = new UpdateHarness(1000, workers);
            final float first = harness.update();
            assertTrue(Float.isFinite(first));
            assertTrue(Float.isFinite(harness.update()));
            assertTrue(Float.isFinite(harness.averageOnly()));
            assertTrue(Float.isFinite(harness.memoryPass()));
            assertEquals(3, harness.step());
        }
    }
}
