package io.averon.jobs.data;

import io.averon.worker.EpochPlan;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A worker that comes back after the server went on without it drops the batches of the steps it missed: after
 * {@code skip(n)} the pipeline hands out exactly the batch it would have handed out n batches later, including
 * batches already being prefetched, and at the end of the epoch it drops only what is left.
 */
class BatchPipelineSkipTest {
    private static final int BATCH = 32;

    private static List<float[]> features(SourceIndex data, int[] order, int first, int skipAfter, int skip)
            throws Exception {
        PipelineSettings settings = new PipelineSettings(AugmentSpec.builder(1, 28, 28).build(), BadImagePolicy.SKIP,
                2, 4, false, 0);
        List<float[]> out = new ArrayList<>();
        try (ExampleReader reader = data.open();
             BatchPipeline batches = new BatchPipeline(data, reader, settings, order, BATCH, first, 1, 0)) {
            while (batches.hasNext()) {
                out.add(batches.next().features());
                if (out.size() == skipAfter) {
                    assertEquals(skip, batches.skip(skip));
                }
            }
        }
        return out;
    }

    @Test
    void skippedBatchesAreThoseOfTheMissedSteps() throws Exception {
        SourceIndex data = IdxFixture.realFashionMnist().test().index();
        int[] order = java.util.Arrays.copyOf(new EpochPlan(1, 0, 1, data.size()).partition(0), 20 * BATCH);
        List<float[]> all = features(data, order, 0, -1, 0);
        assertEquals(20, all.size());
        List<float[]> skipping = features(data, order, 0, 3, 9); // batches 0-2, then 12-19
        assertEquals(11, skipping.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(all.get(i), skipping.get(i), "batch " + i);
        }
        for (int i = 3; i < 11; i++) {
            assertArrayEquals(all.get(i + 9), skipping.get(i), "batch " + (i + 9));
        }
        // At the end of the epoch only what is left goes.
        PipelineSettings settings = new PipelineSettings(AugmentSpec.builder(1, 28, 28).build(), BadImagePolicy.SKIP,
                2, 4, false, 0);
        try (ExampleReader reader = data.open();
             BatchPipeline batches = new BatchPipeline(data, reader, settings, order, BATCH, 17, 1, 0)) {
            batches.next();
            assertEquals(2, batches.skip(5));
            assertFalse(batches.hasNext());
        }
    }
}
