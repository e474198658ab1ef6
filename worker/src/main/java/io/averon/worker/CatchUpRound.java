package io.averon.worker;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A further round of an epoch: the training examples whose minibatches no applied step trained (their worker was
 * lost, stalled or evicted while the others went on) dealt again to the workers in contiguous slices whose sizes
 * differ by at most one. Running rounds until none is missed trains every example of the epoch exactly once, whatever
 * failed.
 *
 * @param round    1 for the first catch-up round of an epoch, 2 for the next, ...
 * @param examples the example indices to train, in the order they are dealt
 * @param workers  how many workers share them
 */
public record CatchUpRound(int round, int[] examples, int workers) implements Serializable {

    public CatchUpRound {
        if (round < 1) {
            throw new IllegalArgumentException("a catch-up round is numbered from 1, got " + round);
        }
        if (workers < 1 || workers > examples.length) {
            throw new IllegalArgumentException(examples.length + " example(s) cannot be dealt to " + workers
                    + " worker(s)");
        }
    }

    /**
     * Deal {@code examples} to as many of {@code maxWorkers} as keep each worker at one full batch or more, so a few
     * missed examples make a short round on few workers rather than many part-filled steps.
     */
    public static CatchUpRound deal(int round, int[] examples, int maxWorkers, int batchSize) {
        int batches = (examples.length + batchSize - 1) / batchSize;
        return new CatchUpRound(round, examples.clone(), Math.max(1, Math.min(maxWorkers, batches)));
    }

    /** The examples {@code worker} trains in this round, in order. */
    public int[] slice(int worker) {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " outside [0, " + workers + ")");
        }
        return Arrays.copyOfRange(examples, start(worker), start(worker + 1));
    }

    /** The number of examples {@code worker} trains in this round. */
    public int sliceSize(int worker) {
        return start(worker + 1) - start(worker);
    }

    private int start(int worker) {
        return EpochPlan.sliceStart(examples.length, workers, worker);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CatchUpRound that && round == that.round && workers == that.workers
                && Arrays.equals(examples, that.examples);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * round + workers) + Arrays.hashCode(examples);
    }

    @Override
    public String toString() {
        return "CatchUpRound{round=" + round + ", examples=" + examples.length + ", workers=" + workers + "}";
    }
}
