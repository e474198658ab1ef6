package io.averon.ps;

import java.util.Map;
import java.util.Set;

/**
 * Immutable snapshot of a parameter server's progress and of everything it discarded, safe to take from any thread.
 * Counters are cumulative since start. Each field is read atomically, but fields updated at different moments are
 * not read as one transaction (for example {@code step} may already count a step whose examples are not yet in
 * {@code examplesApplied}).
 *
 * @param step              number of steps applied so far (starts at the initial step).
 * @param examplesApplied   sum of the global batch sizes of the steps applied since start.
 * @param lastStepLoss      batch-size-weighted mean loss of the last completed step, NaN before the first.
 * @param registeredWorkers current members.
 * @param gradientsAccepted complete, valid gradients received.
 * @param lateGradients     gradients that arrived for a step already completed (counted once per gradient).
 * @param droppedFromStep   worker-steps missed at a deadline.
 * @param evictions         workers evicted after too many consecutive missed deadlines.
 * @param rejectedMessages  frames discarded, all reasons.
 * @param rejectedByReason  frames discarded per {@link RejectReason} name; only non-zero entries.
 * @param workersSeen       ids of every worker that ever registered successfully.
 * @param stalledSends      times a worker's publication stayed back-pressured or disconnected past the step
 *                          deadline while the server was sending to it (the server keeps trying without blocking).
 * @param nonFiniteSteps    steps without a finite update: every answer was non-finite, or the update made the
 *                          parameters non-finite.
 * @param refusalsWithheld  REGISTERs with a bad token left unanswered: their claimed reply host was not the frame's
 *                          source, or the refusal rate limit was spent.
 * @param stepTimes         how long steps took, completion to completion, counting only steps whose predecessor
 *                          completed while workers were registered (not the gap between two epochs' stages).
 */
public record ServerStats(
    long step,
    long examplesApplied,
    double lastStepLoss,
    int registeredWorkers,
    long gradientsAccepted,
    long lateGradients,
    long droppedFromStep,
    long evictions,
    long rejectedMessages,
    Map<String, Long> rejectedByReason,
    Set<Integer> workersSeen,
    long stalledSends,
    long nonFiniteSteps,
    long refusalsWithheld,
    StepTimeHistogram stepTimes)
{
    /**
     * @param reason reject reason.
     * @return frames discarded for that reason.
     */
    public long rejected(final RejectReason reason)
    {
        return rejectedByReason.getOrDefault(reason.name(), 0L);
    }
}
