package io.averon.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 6 end to end: a learning rate far too high makes the parameter server count steps without a finite
 * update and stop, and the run ends with one line naming the step, the last checkpoint and the likely cause,
 * instead of training on.
 */
class DivergenceIT {
    @TempDir
    Path tmp;

    @Test
    void aLearningRateFarTooHighStopsTheRunNamingTheStepTheCheckpointAndTheCause() {
        // Adam moves each weight by about the learning rate per step: at 1e6 LeNet's loss saturates but stays finite
        // for the few steps of a small run, at 1e30 the next forward pass overflows and every gradient is NaN.
        Invocation run = Invocation.of("train", "fashion-mnist-lenet", "--master", "local[2]", "--workers", "2",
                "--run-dir", tmp.resolve("run").toString(), "--set", "dataset.train-limit=512",
                "--set", "dataset.test-limit=64", "--set", "train.epochs=1", "--set", "train.batch-size=32",
                "--set", "model.learning-rate=1e30");

        assertEquals(2, run.status(), "exit status; stderr: " + run.err());
        String line = run.err().strip();
        assertTrue(line.startsWith("averon: error: training diverged at step "), line);
        assertTrue(line.contains("consecutive steps without a finite update (ps.max-non-finite-steps = 3; at step "),
                line);
        assertTrue(line.contains("last checkpoint written: none"), line);
        assertTrue(line.contains("lower model.learning-rate (now 1.0E30)"), line);
        assertFalse(line.contains("\n"), "one line: " + line);
        assertFalse(run.out().contains("model saved"), run.out());
    }
}
