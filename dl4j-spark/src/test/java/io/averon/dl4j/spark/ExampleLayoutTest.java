package io.averon.dl4j.spark;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every trained example has one (worker, step) run; runs are contiguous, balanced, and a step's runs are its batch. */
class ExampleLayoutTest {

    @Test
    void fullStepsGiveEachWorkerItsRunOfTheGlobalBatch() {
        ExampleLayout layout = new ExampleLayout(96, 3, 8);
        assertEquals(4, layout.steps());
        assertEquals(0, layout.dropped());
        assertEquals(0, layout.worker(0));
        assertEquals(1, layout.worker(8));
        assertEquals(2, layout.worker(23));
        assertEquals(0, layout.worker(24));
        assertEquals(1, layout.step(24));
        assertEquals(16, layout.runEnd(8));
        assertConsistent(layout);
    }

    @Test
    void aShortLastStepIsSplitEvenly() {
        ExampleLayout layout = new ExampleLayout(2 * 16 * 3 + 5, 2, 16);
        assertEquals(4, layout.steps());
        assertEquals(0, layout.dropped());
        int[] last = new int[2];
        for (long i = 96; i < 101; i++) {
            last[layout.worker(i)]++;
        }
        assertEquals(3, last[0]);
        assertEquals(2, last[1]);
        assertConsistent(layout);
    }

    @Test
    void fewerExamplesThanWorkersAfterTheLastFullStepAreDropped() {
        ExampleLayout layout = new ExampleLayout(4 * 10 + 3, 4, 5);
        assertEquals(2, layout.steps());
        assertEquals(3, layout.dropped());
        assertEquals(40, layout.used());
        assertConsistent(layout);
        ExampleLayout oneShortStep = new ExampleLayout(7, 4, 5);
        assertEquals(0, oneShortStep.dropped());
        assertEquals(1, oneShortStep.steps());
        assertConsistent(oneShortStep);
    }

    private static void assertConsistent(ExampleLayout layout) {
        int workers = layout.workers();
        long[][] counts = new long[(int) layout.steps()][workers];
        long i = 0;
        int lastWorker = -1;
        long lastStep = -1;
        while (i < layout.used()) {
            int w = layout.worker(i);
            long k = layout.step(i);
            assertTrue(k > lastStep || (k == lastStep && w > lastWorker), "runs in step, then worker order at " + i);
            long end = layout.runEnd(i);
            assertTrue(end > i && end <= layout.used(), "run end " + end + " at " + i);
            for (long j = i; j < end; j++) {
                assertEquals(w, layout.worker(j), "worker of " + j);
                assertEquals(k, layout.step(j), "step of " + j);
            }
            counts[(int) k][w] += end - i;
            lastWorker = w;
            lastStep = k;
            i = end;
        }
        for (long[] step : counts) {
            long min = Long.MAX_VALUE;
            long max = 0;
            for (long c : step) {
                min = Math.min(min, c);
                max = Math.max(max, c);
            }
            assertTrue(min >= 1 && max - min <= 1, "every worker trains 1+ examples per step, balanced within one");
        }
    }
}
