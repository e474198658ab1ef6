package io.averon.dl4j.spark;

import io.averon.worker.Minibatches;
import org.nd4j.linalg.dataset.DataSet;

import java.util.Iterator;

/**
 * A worker's persisted partition as the step loop's minibatches: the partition already holds one minibatch per step,
 * in step order, so handing them out in turn is all there is to it.
 */
final class RddMinibatches implements Minibatches {
    private final Iterator<DataSet> partition;

    RddMinibatches(Iterator<DataSet> partition) {
        this.partition = partition;
    }

    @Override
    public boolean hasNext() {
        return partition.hasNext();
    }

    @Override
    public DataSet next() {
        return partition.next();
    }

    @Override
    public int skip(int count) {
        int dropped = 0;
        while (dropped < count && partition.hasNext()) {
            partition.next();
            dropped++;
        }
        return dropped;
    }
}
