package io.averon.jobs.models;

import io.averon.driver.config.JobConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The run header's optimizer line, from the configuration alone, for one worker and for eight. */
class OptimizerDescriptionTest {
    private static JobConfig job(String... settings) {
        return JobConfig.load("", "test", List.of(settings));
    }

    @Test
    void theDefaultsScaleAdamsRateWithTheSquareRootOfTheWorkerCount() {
        assertEquals("adam, learning rate 0.001 (0.001 x sqrt(global batch 64 / lr-base-batch 64): square-root "
                + "scaling for adam), no warm-up, global batch 64 (1 worker x 64)",
                ModelCatalog.describeOptimizer(job(), 1));
        assertEquals("adam, learning rate 0.00282843 (0.001 x sqrt(global batch 512 / lr-base-batch 64): "
                + "square-root scaling for adam), no warm-up, global batch 512 (8 workers x 64)",
                ModelCatalog.describeOptimizer(job(), 8));
    }

    @Test
    void theDefaultsScaleMomentumSgdLinearly() {
        assertEquals("momentum, learning rate 0.008 (0.001 x global batch 512 / lr-base-batch 64: linear scaling for "
                + "momentum), no warm-up, global batch 512 (8 workers x 64)",
                ModelCatalog.describeOptimizer(job("model.updater=momentum"), 8));
        assertEquals("adam, learning rate 0.001 (as configured, not scaled), no warm-up, global batch 512 "
                + "(8 workers x 64)", ModelCatalog.describeOptimizer(job("model.lr-scaling=none"), 8));
    }

    @Test
    void squareRootScalingFromTheOneWorkerBatchLeavesOneWorkerAlone() {
        JobConfig sqrt = job("model.lr-scaling=sqrt", "model.lr-base-batch=64");
        assertEquals("adam, learning rate 0.001 (0.001 x sqrt(global batch 64 / lr-base-batch 64): square-root "
                + "scaling), no warm-up, global batch 64 (1 worker x 64)", ModelCatalog.describeOptimizer(sqrt, 1));
        assertEquals("adam, learning rate 0.00282843 (0.001 x sqrt(global batch 512 / lr-base-batch 64): "
                + "square-root scaling), no warm-up, global batch 512 (8 workers x 64)",
                ModelCatalog.describeOptimizer(sqrt, 8));
    }

    @Test
    void linearScalingAndWarmUpAreSpelledOut() {
        JobConfig linear = job("model.lr-scaling=linear", "model.lr-base-batch=256", "model.warmup-iterations=50",
                "model.updater=lars",
                "model.schedule=cosine");
        assertEquals("lars, learning rate 0.002 (0.001 x global batch 512 / lr-base-batch 256: linear "
                + "scaling), cosine schedule, warm-up over 50 steps from 0.100x, global batch 512 (8 workers x 64)",
                ModelCatalog.describeOptimizer(linear, 8));
        assertEquals("lars, learning rate 0.00025 (0.001 x global batch 64 / lr-base-batch 256: linear "
                + "scaling), cosine schedule, warm-up over 50 steps from 0.100x, global batch 64 (1 worker x 64)",
                ModelCatalog.describeOptimizer(linear, 1));
    }
}
