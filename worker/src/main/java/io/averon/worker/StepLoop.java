package io.averon.worker;

import io.averon.ps.ParameterServerClient;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * A worker's synchronous steps with the parameter server: for each minibatch it computes the gradient on the
 * parameters its client holds, exchanges it, and continues with the parameters of the step the server returns. The
 * server decides what a step is; the loop only follows, dropping the minibatches of steps the server completed
 * without it (a pause, an eviction), so batch b of a round always trains in the round's step b. It knows nothing of
 * where the minibatches come from ({@link Minibatches}).
 */
public final class StepLoop {
    private static final Logger LOG = LoggerFactory.getLogger(StepLoop.class);

    private final ModelReplica replica;
    private final ParameterServerClient client;
    private final int worker;

    /**
     * @param replica the worker's network, already holding the client's parameters
     * @param client  a client registered with the server
     * @param worker  this worker's id, for the log
     */
    public StepLoop(ModelReplica replica, ParameterServerClient client, int worker) {
        this.replica = replica;
        this.client = client;
        this.worker = worker;
    }

    /**
     * Trains the batches, one step each, until none is left or {@code cancelled} says to stop.
     *
     * @param batches   the round's batches from the first one this worker still has to train
     * @param firstStep the server step the first of them belongs to
     * @param cancelled checked before every step
     * @param epoch     1-based epoch, for the log
     * @return what the loop did
     */
    public Totals run(Minibatches batches, long firstStep, BooleanSupplier cancelled, int epoch) throws IOException {
        float[] gradient = new float[replica.parameterCount()];
        int steps = 0;
        int taken = 0;
        int realigned = 0;
        long examples = 0;
        double lossSum = 0;
        long computeNanos = 0;
        long waitNanos = 0;
        while (batches.hasNext() && !cancelled.getAsBoolean()) {
            long t0 = System.nanoTime();
            DataSet next = batches.next();
            taken++;
            double loss;
            int size;
            if (next == null) {
                // Nothing of this batch could be used: take part in the step without moving the average much rather
                // than stall it (a zero gradient of weight one).
                Arrays.fill(gradient, 0f);
                loss = 0;
                size = 1;
            } else {
                size = next.numExamples();
                loss = replica.gradient(next, gradient);
            }
            long t1 = System.nanoTime();
            long step = client.exchange(gradient, size, loss);
            replica.parameters(client.parameters());
            // Batch b belongs to step firstStep + b. A worker the server went on without (a GC pause, SIGSTOP, an
            // eviction) comes back to a later step: it drops the batches of the steps it missed instead of running
            // them alone after the others have finished.
            long behind = step - (firstStep + taken + realigned);
            if (behind > 0) {
                int dropped = batches.skip((int) Math.min(behind, Integer.MAX_VALUE));
                realigned += dropped;
                LOG.warn("worker {} came back at step {}, {} step(s) after its last batch: dropped {} batch(es) of "
                        + "epoch {} to train in step with the others", worker, step, behind, dropped, epoch);
            }
            long t2 = System.nanoTime();
            computeNanos += t1 - t0;
            waitNanos += t2 - t1;
            steps++;
            examples += next == null ? 0 : next.numExamples();
            lossSum += loss;
        }
        return new Totals(steps, examples, lossSum, computeNanos, waitNanos);
    }

    /**
     * @param steps        minibatches computed and sent
     * @param examples     examples in them
     * @param lossSum      sum of their mean losses
     * @param computeNanos time spent reading batches and computing gradients
     * @param waitNanos    time spent waiting for the parameter server
     */
    public record Totals(int steps, long examples, double lossSum, long computeNanos, long waitNanos) {
    }
}
