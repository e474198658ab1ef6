package io.averon.ps;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepContributionsTest
{
    private static WorkerSession member(final int workerId)
    {
        return new WorkerSession(workerId, workerId + 1, "test:" + workerId, false, null, null, new float[1], null, 0);
    }

    @Test
    void recordsWhoseGradientEachStepAppliedAcrossWordBoundaries()
    {
        final StepContributions record = new StepContributions(130, 40);
        final WorkerSession a = member(0);
        final WorkerSession b = member(64);
        final WorkerSession c = member(129);
        for (long step = 40; step < 3000; step++)
        {
            // a contributes every step, b every other step, c abstains (responded with a non-finite gradient).
            a.contribute(step);
            if (step % 2 == 0)
            {
                b.contribute(step);
            }
            c.abstain(step);
            record.completed(step, new WorkerSession[]{ c, b, a });
        }

        final Contributions all = record.since(0);
        assertEquals(40, all.firstStep());
        assertEquals(3000, all.endStep());
        for (long step = 40; step < 3000; step++)
        {
            assertTrue(all.applied(step, 0));
            assertEquals(step % 2 == 0, all.applied(step, 64), "step " + step);
            assertFalse(all.applied(step, 129));
            assertFalse(all.applied(step, 1));
        }
    }

    @Test
    void forgetsTheStepsBeforeTheOneAskedForAndKeepsRecording()
    {
        final StepContributions record = new StepContributions(2, 0);
        final WorkerSession a = member(1);
        for (long step = 0; step < 10; step++)
        {
            if (step != 7)
            {
                a.contribute(step);
            }
            record.completed(step, new WorkerSession[]{ a });
        }
        final Contributions tail = record.since(6);
        assertEquals(6, tail.firstStep());
        assertEquals(10, tail.endStep());
        assertFalse(tail.applied(7, 1));
        assertTrue(tail.applied(8, 1));
        assertThrows(IllegalArgumentException.class, () -> tail.applied(5, 1));

        a.contribute(10);
        record.completed(10, new WorkerSession[]{ a });
        final Contributions later = record.since(0);
        assertEquals(6, later.firstStep(), "forgotten steps stay forgotten");
        assertEquals(11, later.endStep());
        assertTrue(later.applied(10, 1));
        assertFalse(later.applied(7, 1));
        assertEquals(11, record.since(20).firstStep(), "asking past the end leaves an empty record");
        assertEquals(11, record.since(20).endStep());
    }

    @Test
    void aStepOutOfOrderIsAProgrammingError()
    {
        final StepContributions record = new StepContributions(1, 5);
        assertThrows(IllegalStateException.class, () -> record.completed(6, new WorkerSession[0]));
    }
}
