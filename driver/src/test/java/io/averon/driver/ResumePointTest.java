package io.averon.driver;

import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.MissedBatches;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResumePointTest {
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(console, true, StandardCharsets.UTF_8);

    /** Epoch 2 in progress: 7 of its steps applied, two batches missed, written with seed 5, 2 workers, batch 32. */
    private static Checkpoint midEpoch(String jobConfig) {
        CheckpointState state = new CheckpointState(1, 20, 7, 5, 2, "model", jobConfig, 0.8, 1,
                MissedBatches.parse("0:3,1:4"));
        return new Checkpoint("hdfs://nn/runs/a/checkpoints/step-20", state, new float[]{1, 2}, new float[]{3});
    }

    private static String jobWithBatch(int batch) {
        return JobConfig.load("", "test", List.of("train.batch-size=" + batch)).render();
    }

    private String console() {
        return console.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theSameSettingsContinueTheEpochWhereTheCheckpointLeftIt() {
        ResumePoint p = ResumePoint.from(midEpoch(jobWithBatch(32)), 5, 2, 32, 3, out);

        assertTrue(p.resumed());
        assertEquals(1, p.epoch());
        assertEquals(20, p.step());
        assertEquals(7, p.stepInEpoch());
        assertEquals("0:3,1:4", p.missed().render());
        assertEquals(0.8, p.bestScore());
        assertEquals(1, p.epochsSinceBest());
        assertArrayEquals(new float[]{3}, p.updaterState());
        assertEquals("", console(), "nothing to warn about");
    }

    @Test
    void aChangedBatchSizeRestartsTheInterruptedEpochAndSaysTheRunIsNoLongerExact() {
        ResumePoint p = ResumePoint.from(midEpoch(jobWithBatch(32)), 5, 2, 64, 3, out);

        assertEquals(0, p.stepInEpoch(), "the old slicing's remaining batches do not exist under batch 64");
        assertTrue(p.missed().isEmpty());
        assertEquals(20, p.step(), "the global step (and step-based schedules) continue");
        assertEquals(1, p.epoch());
        assertTrue(console().contains("train.batch-size = 32, this run has 64"), console());
        assertTrue(console().contains("no longer bit-identical"), console());
        assertTrue(console().contains("epoch 2 restarts from its first step (the examples of its first 7 step(s) are "
                + "trained again)"), console());
    }

    @Test
    void aChangedWorkerCountAndBatchAreBothNamed() {
        ResumePoint p = ResumePoint.from(midEpoch(jobWithBatch(32)), 5, 4, 16, 3, out);

        assertEquals(0, p.stepInEpoch());
        assertTrue(console().contains("checkpoint was written with 2 workers, this run has 4, and with "
                + "train.batch-size = 32, this run has 16"), console());
    }

    @Test
    void aChangedBatchAtAnEpochBoundaryOnlyWarns() {
        CheckpointState state = new CheckpointState(2, 40, 0, 5, 2, "model", jobWithBatch(32));
        ResumePoint p = ResumePoint.from(new Checkpoint("c", state, new float[1], new float[0]), 5, 2, 64, 3, out);

        assertEquals(2, p.epoch());
        assertEquals(0, p.stepInEpoch());
        assertNull(p.updaterState(), "an empty state means a fresh updater");
        assertTrue(console().contains("no longer bit-identical"), console());
        assertFalse(console().contains("restarts"), console());
    }

    @Test
    void theCheckpointsSeedOverrulesAChangedOne() {
        ResumePoint p = ResumePoint.from(midEpoch(jobWithBatch(32)), 99, 2, 32, 3, out);

        assertEquals(5, p.seed());
        assertEquals(7, p.stepInEpoch(), "the seed alone does not change the slicing: the checkpoint's is kept");
        assertTrue(console().contains("train.seed 99 ignored: resuming with the checkpoint's seed 5"), console());
    }

    @Test
    void aCheckpointWhoseConfigurationCannotBeReadDoesNotContinueMidEpochBlindly() {
        ResumePoint p = ResumePoint.from(midEpoch("train { batch-size = \"many\" }"), 5, 2, 32, 3, out);

        assertEquals(0, p.stepInEpoch());
        assertTrue(console().contains("train.batch-size cannot be read"), console());
    }

    @Test
    void aCheckpointThatCompletedTheRunIsRefusedNamingIt() {
        CheckpointState state = new CheckpointState(3, 60, 0, 5, 2, "model", jobWithBatch(32));
        InputException e = assertThrows(InputException.class, () -> ResumePoint.from(
                new Checkpoint("hdfs://nn/c", state, new float[1], new float[0]), 5, 2, 32, 3, out));

        assertTrue(e.getMessage().contains("hdfs://nn/c already completed 3 epochs and train.epochs = 3"),
                e.getMessage());
    }

    @Test
    void aFreshStartBeginsAtStepZeroWithNoMemory() {
        ResumePoint p = ResumePoint.fresh(7, new float[]{1});

        assertFalse(p.resumed());
        assertEquals(0, p.step());
        assertEquals(7, p.seed());
        assertNull(p.updaterState());
        assertEquals(Double.NEGATIVE_INFINITY, p.bestScore());
    }
}
