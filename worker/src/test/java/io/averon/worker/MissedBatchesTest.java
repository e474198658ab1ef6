package io.averon.worker;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MissedBatchesTest {

    @Test
    void theBatchesOfStepsWithoutTheirWorkerAreMissedAndNothingElse() {
        // 2 workers, slices of 10 and 9 examples, batches of 4: 3 batches each, steps 100..102.
        // Worker 1 missed step 101; worker 0 missed 102; step 100 is before the range accounted for.
        MissedBatches missed = MissedBatches.of(2, w -> w == 0 ? 10 : 9, 4, 100, 100, 103,
                (step, worker) -> !(worker == 1 && step == 101) && !(worker == 0 && step == 102));
        assertEquals("0:2,1:1", missed.render());
        MissedBatches fromResume = MissedBatches.of(2, w -> 10, 4, 100, 102, 103, (step, worker) -> false);
        assertEquals("0:2,1:2", fromResume.render(), "steps before fromStep are accounted for elsewhere");
        MissedBatches neverTaken = MissedBatches.of(1, w -> 12, 4, 0, 0, 2, (step, worker) -> true);
        assertTrue(neverTaken.isEmpty(), "steps at or past toStep are not this call's to judge");
    }

    @Test
    void aCatchUpRoundDealsTheMissedExamplesSoTheEpochTrainsEachExactlyOnce() {
        EpochPlan plan = new EpochPlan(7, 3, 3, 1000);
        int batch = 32;
        // A stalled worker 2 missed steps 5..9 of the round, worker 0 missed its last (short) batch.
        long start = 40;
        int lastOfZero = (plan.partitionSize(0) + batch - 1) / batch - 1;
        MissedBatches missed = MissedBatches.of(3, plan::partitionSize, batch, start, start, start + 100,
                (step, worker) -> !(worker == 2 && step >= start + 5 && step <= start + 9)
                        && !(worker == 0 && step == start + lastOfZero));
        assertEquals(6, missed.count());
        assertEquals("0:" + lastOfZero + ",2:5-9", missed.render());

        WorkerAssignment round = assignment(plan, batch, start);
        int[] examples = missed.examples(round);
        assertEquals(5 * batch + plan.partitionSize(0) - lastOfZero * batch, examples.length);
        Set<Integer> trained = new HashSet<>();
        for (int worker = 0; worker < 3; worker++) {
            int[] slice = plan.partition(worker);
            for (int b = 0; b * batch < slice.length; b++) {
                boolean lost = (worker == 2 && b >= 5 && b <= 9) || (worker == 0 && b == lastOfZero);
                if (!lost) {
                    for (int i = b * batch; i < Math.min(slice.length, (b + 1) * batch); i++) {
                        assertTrue(trained.add(slice[i]), "trained twice in the first round: " + slice[i]);
                    }
                }
            }
        }
        CatchUpRound catchUp = CatchUpRound.deal(1, examples, 3, batch);
        assertEquals(3, catchUp.workers(), "six batches' worth of examples keep three workers busy");
        WorkerAssignment second = round.catchingUp(catchUp, start + 40);
        int dealt = 0;
        for (int worker = 0; worker < second.workers(); worker++) {
            for (int example : second.order(worker)) {
                assertTrue(trained.add(example), "trained twice: " + example);
                dealt++;
            }
        }
        assertEquals(examples.length, dealt);
        assertEquals(IntStream.range(0, 1000).boxed().collect(java.util.stream.Collectors.toSet()), trained,
                "every example of the epoch exactly once");
    }

    @Test
    void aFewMissedExamplesMakeAShortRoundOnFewWorkers() {
        int[] examples = IntStream.range(0, 40).toArray();
        CatchUpRound round = CatchUpRound.deal(2, examples, 8, 32);
        assertEquals(2, round.workers());
        assertArrayEquals(IntStream.range(0, 20).toArray(), round.slice(0));
        assertEquals(1, CatchUpRound.deal(1, new int[]{5}, 8, 32).workers());
        assertThrows(IllegalArgumentException.class, () -> new CatchUpRound(1, new int[0], 1));
    }

    @Test
    void rendersAndParsesRangesAndRefusesNonsenseNamingIt() {
        MissedBatches a = MissedBatches.parse("1:4-6,0:2, 1:9");
        assertEquals("0:2,1:4-6,1:9", a.render());
        assertEquals(a, MissedBatches.parse(a.render()));
        assertEquals("0:1-2,1:4-6,1:9", a.and(MissedBatches.parse("0:1,1:5")).render());
        assertTrue(MissedBatches.parse("").isEmpty());
        assertEquals(MissedBatches.none(), MissedBatches.parse(" "));
        for (String bad : new String[]{"x", "1:", "1:2-", "1:5-3", "-1:2", "1:2:3", "1:a"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MissedBatches.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("missed batches"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> MissedBatches.parse("0:99").examples(assignment(new EpochPlan(1, 0, 1, 10), 4, 0)));
    }

    private static WorkerAssignment assignment(EpochPlan plan, int batch, long start) {
        return new WorkerAssignment("localhost:1", "t", null, null, null,
                new io.averon.worker.data.PipelineSettings(null, io.averon.worker.data.BadImagePolicy.SKIP, 1, 1, false, 0), plan, batch, start, 1, 1, null, null);
    }
}
