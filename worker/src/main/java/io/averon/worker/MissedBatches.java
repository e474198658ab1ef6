package io.averon.worker;

import io.averon.ps.Contributions;

import java.util.Arrays;
import java.util.function.BiPredicate;
import java.util.function.IntUnaryOperator;

/**
 * The minibatches of one round of an epoch that no applied step trained, as (worker, batch) pairs in ascending order.
 * Batch b of worker k's slice belongs to step roundStart + b; the parameter server's {@link Contributions} say whether
 * k's gradient went into that step. A worker that was lost, stalled past the step deadline, evicted, or that sent a
 * non-finite gradient leaves its batches of those steps here, to be dealt again in a {@link CatchUpRound}.
 * Rendered as text ("0:3-5,1:7") so a checkpoint taken mid-epoch carries them to a resumed run.
 */
public final class MissedBatches {
    private static final MissedBatches NONE = new MissedBatches(new long[0]);

    /** Sorted, distinct (worker << 32 | batch). */
    private final long[] pairs;

    private MissedBatches(long[] pairs) {
        this.pairs = pairs;
    }

    public static MissedBatches none() {
        return NONE;
    }

    /**
     * The batches of a round whose steps, within [{@code fromStep}, {@code toStep}), did not apply their worker's
     * gradient. Steps before {@code fromStep} are taken as accounted for elsewhere (a resumed run's checkpoint);
     * steps the record has not reached yet count as missed only if they are below {@code toStep}.
     *
     * @param round     the round's assignment (slices and its start step)
     * @param record    the server's record, covering at least [fromStep, min(toStep, record end))
     * @param fromStep  first step to account for
     * @param toStep    one past the last step to account for
     */
    public static MissedBatches of(WorkerAssignment round, Contributions record, long fromStep, long toStep) {
        return of(round.workers(), round::sliceSize, round.batchSize(), round.epochStartStep(),
                fromStep, toStep, (step, worker) -> step >= record.firstStep() && step < record.endStep()
                        && record.applied(step, worker));
    }

    /** As above, with the slices' lengths and the record as functions. */
    static MissedBatches of(int workers, IntUnaryOperator sliceLength, int batchSize, long roundStart,
                            long fromStep, long toStep, BiPredicate<Long, Integer> applied) {
        long[] found = new long[16];
        int count = 0;
        for (int worker = 0; worker < workers; worker++) {
            int batches = (sliceLength.applyAsInt(worker) + batchSize - 1) / batchSize;
            for (int batch = 0; batch < batches; batch++) {
                long step = roundStart + batch;
                if (step < fromStep || step >= toStep) {
                    continue;
                }
                if (!applied.test(step, worker)) {
                    if (count == found.length) {
                        found = Arrays.copyOf(found, count * 2);
                    }
                    found[count++] = pack(worker, batch);
                }
            }
        }
        return count == 0 ? NONE : new MissedBatches(Arrays.copyOf(found, count));
    }

    /** @return the batches in either set. */
    public MissedBatches and(MissedBatches other) {
        if (other.pairs.length == 0) {
            return this;
        }
        if (pairs.length == 0) {
            return other;
        }
        long[] all = new long[pairs.length + other.pairs.length];
        System.arraycopy(pairs, 0, all, 0, pairs.length);
        System.arraycopy(other.pairs, 0, all, pairs.length, other.pairs.length);
        return new MissedBatches(Arrays.stream(all).sorted().distinct().toArray());
    }

    public boolean isEmpty() {
        return pairs.length == 0;
    }

    /** @return how many batches were missed. */
    public int count() {
        return pairs.length;
    }

    /** The example indices of the missed batches, worker by worker, batch by batch: what a catch-up round deals. */
    public int[] examples(WorkerAssignment round) {
        int[] out = new int[16];
        int count = 0;
        int cachedWorker = -1;
        int[] order = null;
        int batchSize = round.batchSize();
        for (long pair : pairs) {
            int worker = (int) (pair >>> 32);
            int batch = (int) pair;
            if (worker != cachedWorker) {
                if (worker >= round.workers()) {
                    throw new IllegalArgumentException("missed batch of worker " + worker + " but the round has "
                            + round.workers() + " worker(s)");
                }
                order = round.order(worker);
                cachedWorker = worker;
            }
            int from = batch * batchSize;
            if (from >= order.length) {
                throw new IllegalArgumentException("missed batch " + batch + " of worker " + worker + " but its slice"
                        + " has " + order.length + " example(s) in batches of " + batchSize);
            }
            int to = Math.min(order.length, from + batchSize);
            if (count + (to - from) > out.length) {
                out = Arrays.copyOf(out, Math.max(out.length * 2, count + (to - from)));
            }
            System.arraycopy(order, from, out, count, to - from);
            count += to - from;
        }
        return Arrays.copyOf(out, count);
    }

    /** "worker:first-last,..." with consecutive batches of a worker as one range; "" when none. */
    public String render() {
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (i < pairs.length) {
            int worker = (int) (pairs[i] >>> 32);
            int first = (int) pairs[i];
            int last = first;
            while (i + 1 < pairs.length && pairs[i + 1] == pack(worker, last + 1)) {
                last++;
                i++;
            }
            text.append(text.length() == 0 ? "" : ",").append(worker).append(':').append(first);
            if (last != first) {
                text.append('-').append(last);
            }
            i++;
        }
        return text.toString();
    }

    /**
     * The inverse of {@link #render()}.
     *
     * @throws IllegalArgumentException naming the part of the text that is not "worker:batch" or "worker:first-last"
     */
    public static MissedBatches parse(String text) {
        if (text == null || text.isBlank()) {
            return NONE;
        }
        long[] found = new long[16];
        int count = 0;
        for (String part : text.trim().split(",")) {
            String[] workerAndRange = part.split(":", -1);
            String[] range = workerAndRange.length == 2 ? workerAndRange[1].split("-", -1) : new String[0];
            int worker;
            int first;
            int last;
            try {
                if (range.length < 1 || range.length > 2) {
                    throw new NumberFormatException();
                }
                worker = Integer.parseInt(workerAndRange[0].trim());
                first = Integer.parseInt(range[0].trim());
                last = range.length == 2 ? Integer.parseInt(range[1].trim()) : first;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("missed batches: '" + part + "' is not worker:batch or "
                        + "worker:first-last");
            }
            if (worker < 0 || first < 0 || last < first) {
                throw new IllegalArgumentException("missed batches: '" + part + "' is not a range of batches of a "
                        + "worker (negative, or last before first)");
            }
            for (int batch = first; batch <= last; batch++) {
                if (count == found.length) {
                    found = Arrays.copyOf(found, count * 2);
                }
                found[count++] = pack(worker, batch);
            }
        }
        return new MissedBatches(Arrays.stream(found, 0, count).sorted().distinct().toArray());
    }

    private static long pack(int worker, int batch) {
        return ((long) worker << 32) | (batch & 0xFFFFFFFFL);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MissedBatches that && Arrays.equals(pairs, that.pairs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pairs);
    }

    @Override
    public String toString() {
        return "MissedBatches{" + render() + "}";
    }
}
