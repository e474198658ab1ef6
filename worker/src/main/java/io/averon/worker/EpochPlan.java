package io.averon.worker;

import java.io.Serializable;
import java.util.SplittableRandom;

/**
 * How one epoch's training examples are dealt to the workers: a permutation of all example indices drawn from
 * (seed, epoch), cut into {@code workers} contiguous slices whose sizes differ by at most one. Every worker derives its
 * own slice from these four numbers, so the driver ships a plan of a few bytes instead of index lists, and a retried
 * task gets exactly the slice its predecessor had.
 */
public final class EpochPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final long seed;
    private final int epoch;
    private final int workers;
    private final int datasetSize;

    public EpochPlan(long seed, int epoch, int workers, int datasetSize) {
        if (workers <= 0) {
            throw new IllegalArgumentException("workers must be positive, got " + workers);
        }
        if (workers > datasetSize) {
            throw new InputException("cannot split " + datasetSize + " training examples across " + workers
                    + " workers: every worker needs at least one example (lower train.workers or use more data)");
        }
        this.seed = seed;
        this.epoch = epoch;
        this.workers = workers;
        this.datasetSize = datasetSize;
    }

    public long seed() {
        return seed;
    }

    public int epoch() {
        return epoch;
    }

    public int workers() {
        return workers;
    }

    public int datasetSize() {
        return datasetSize;
    }

    /** The example indices of {@code worker}'s partition, in the order it trains on them. */
    public int[] partition(int worker) {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " outside [0, " + workers + ")");
        }
        int[] order = permutation();
        int from = start(worker);
        int to = start(worker + 1);
        int[] slice = new int[to - from];
        System.arraycopy(order, from, slice, 0, slice.length);
        return slice;
    }

    /**
     * As {@link #partition(int)}, but with the epoch drawn class-balanced: each of the {@code datasetSize} draws
     * picks a class uniformly among the classes that have examples, then one of its examples uniformly, with
     * replacement. Rare classes are seen as often as common ones; the epoch keeps its length.
     */
    public int[] balancedPartition(int worker, io.averon.worker.data.SourceIndex index) {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker " + worker + " outside [0, " + workers + ")");
        }
        int classes = index.shape().classes();
        int[] counts = new int[classes];
        for (int i = 0; i < datasetSize; i++) {
            counts[index.label(i)]++;
        }
        int[][] members = new int[classes][];
        int present = 0;
        for (int c = 0; c < classes; c++) {
            members[c] = new int[counts[c]];
            present += counts[c] > 0 ? 1 : 0;
        }
        int[] presentClasses = new int[present];
        for (int c = 0, k = 0; c < classes; c++) {
            if (counts[c] > 0) {
                presentClasses[k++] = c;
            }
        }
        int[] fill = new int[classes];
        for (int i = 0; i < datasetSize; i++) {
            int c = index.label(i);
            members[c][fill[c]++] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch + 0x5DEECE66DL);
        int from = start(worker);
        int to = start(worker + 1);
        int[] slice = new int[to - from];
        for (int i = 0; i < to; i++) {
            int[] pool = members[presentClasses[random.nextInt(present)]];
            int pick = pool[random.nextInt(pool.length)];
            if (i >= from) {
                slice[i - from] = pick;
            }
        }
        return slice;
    }

    /** Size of {@code worker}'s partition. */
    public int partitionSize(int worker) {
        return start(worker + 1) - start(worker);
    }

    /** Number of minibatches of at most {@code batchSize} in the largest partition: the steps of this epoch. */
    public int steps(int batchSize) {
        return (partitionSize(0) + batchSize - 1) / batchSize;
    }

    private int start(int worker) {
        return sliceStart(datasetSize, workers, worker);
    }

    /** Where slice {@code index} of {@code parts} contiguous slices of {@code size} items, sizes within one, begins. */
    static int sliceStart(int size, int parts, int index) {
        long base = size / parts;
        long extra = size % parts;
        return (int) (index * base + Math.min(index, extra));
    }

    private int[] permutation() {
        int[] order = new int[datasetSize];
        for (int i = 0; i < datasetSize; i++) {
            order[i] = i;
        }
        // Fisher-Yates with a generator seeded from (seed, epoch): identical on every executor and JDK.
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = datasetSize - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
