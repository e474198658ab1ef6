package io.averon.dl4j.spark;

import org.apache.spark.Partitioner;

/**
 * Sends a piece of the training data, keyed by the RDD position of its first example, to the partition of the worker
 * that trains it: partition w of the result is worker w's data, and the barrier stage's task w is worker w.
 */
final class WorkerPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;

    private final ExampleLayout layout;

    WorkerPartitioner(ExampleLayout layout) {
        this.layout = layout;
    }

    @Override
    public int numPartitions() {
        return layout.workers();
    }

    @Override
    public int getPartition(Object key) {
        return layout.worker((Long) key);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WorkerPartitioner p && p.layout.equals(layout);
    }

    @Override
    public int hashCode() {
        return layout.hashCode();
    }
}
