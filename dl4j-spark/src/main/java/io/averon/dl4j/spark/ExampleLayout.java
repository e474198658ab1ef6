package io.averon.dl4j.spark;

import java.io.Serializable;

/**
 * Which worker trains an example in which step, from the example's position in the RDD's order. Step k takes the
 * examples [k x W x B, (k+1) x W x B) and worker w the w-th run of B of them, exactly the minibatch a single-JVM fit
 * with batch W x B takes in its step k; the last, shorter step splits its R examples into W runs differing by at most
 * one. When fewer than W examples are left for it (one per worker), they are not trained: every worker of a
 * synchronous step needs an example, and a step over some workers only would not be the single-JVM step either.
 */
final class ExampleLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int workers;
    private final int batch;
    private final long global;
    private final long used;
    private final long dropped;
    private final long fullSteps;
    private final long remainder;

    /**
     * @param examples examples in the RDD
     * @param workers  workers of the stage
     * @param batch    examples per worker and step
     */
    ExampleLayout(long examples, int workers, int batch) {
        if (workers <= 0 || batch <= 0) {
            throw new IllegalArgumentException("workers and batch size per worker must be positive, were " + workers
                    + " and " + batch);
        }
        this.workers = workers;
        this.batch = batch;
        this.global = (long) workers * batch;
        long rest = examples % global;
        this.dropped = rest < workers ? rest : 0;
        this.used = examples - dropped;
        this.fullSteps = used / global;
        this.remainder = used % global;
    }

    int workers() {
        return workers;
    }

    int batch() {
        return batch;
    }

    /** Steps every worker takes. */
    long steps() {
        return fullSteps + (remainder > 0 ? 1 : 0);
    }

    /** Examples trained. */
    long used() {
        return used;
    }

    /** Examples trained in the first {@code steps} steps. */
    long usedBefore(long steps) {
        return Math.min(used, steps * global);
    }

    /** Examples at the end of the RDD left out (fewer than one per worker after the last full step). */
    long dropped() {
        return dropped;
    }

    /** The step of example {@code i} (i below {@link #used()}). */
    long step(long i) {
        return i / global;
    }

    /** The worker of example {@code i}. */
    int worker(long i) {
        long k = i / global;
        if (k < fullSteps) {
            return (int) ((i % global) / batch);
        }
        return (int) ((i - fullSteps * global) * workers / remainder);
    }

    /** One past the last example of the run (worker, step) that holds example {@code i}. */
    long runEnd(long i) {
        long k = i / global;
        int w = worker(i);
        if (k < fullSteps) {
            return k * global + (long) (w + 1) * batch;
        }
        // Run w of the last step holds j with floor(j x W / R) = w, that is ceil(w x R / W) <= j < ceil((w+1) x R / W).
        return fullSteps * global + ((w + 1) * remainder + workers - 1) / workers;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ExampleLayout l && l.used == used && l.workers == workers && l.batch == batch;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(used) * 31 * 31 + workers * 31 + batch;
    }
}
