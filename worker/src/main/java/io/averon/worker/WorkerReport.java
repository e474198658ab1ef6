package io.averon.worker;

import java.io.Serializable;

/**
 * What one worker did in one epoch, returned to the driver for the epoch summary.
 *
 * @param worker       worker index
 * @param host         where it ran ("host/pidN"; several, comma-separated, when rounds ran it in different places)
 * @param steps        minibatches it computed and sent
 * @param examples     examples in those minibatches
 * @param skippedSteps steps it skipped because a previous attempt of this task had taken them
 * @param lossSum      sum of its minibatch losses (for the mean)
 * @param computeNanos time spent computing gradients
 * @param waitNanos    time spent waiting for the parameter server
 * @param batchesReady of the minibatches taken, how many the prefetch threads had ready when asked
 * @param badImages    images left out because they could not be decoded
 */
public record WorkerReport(int worker, String host, int steps, long examples, int skippedSteps, double lossSum,
                           long computeNanos, long waitNanos, int batchesReady,
                           io.averon.worker.data.BadImages badImages) implements Serializable {

    /**
     * This worker's report with that of a later round of the same epoch added: one line per worker in the epoch's
     * summary, however many catch-up rounds it took part in.
     */
    public WorkerReport andLater(WorkerReport later) {
        if (later.worker != worker) {
            throw new IllegalArgumentException("report of worker " + later.worker + " added to worker " + worker + "'s");
        }
        io.averon.worker.data.BadImages bad = badImages.snapshot();
        bad.merge(later.badImages);
        // Every place the worker ran in this epoch, in order: a catch-up round may run it on another executor.
        String hosts = java.util.Arrays.asList(host.split(", ")).contains(later.host) ? host : host + ", " + later.host;
        return new WorkerReport(worker, hosts, steps + later.steps, examples + later.examples,
                skippedSteps + later.skippedSteps, lossSum + later.lossSum, computeNanos + later.computeNanos,
                waitNanos + later.waitNanos, batchesReady + later.batchesReady, bad);
    }
}
