package io.averon.dl4j.spark;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A user's RDD of DataSets made ready for synchronous training, once: exactly one partition per worker, holding that
 * worker's minibatch of every step in step order ({@link ExampleLayout}), persisted on the executors. DL4J's own
 * masters re-read the user's RDD at every fit, and an RDD parallelized from the driver then travels from the driver
 * again each time; here it is read twice when prepared (once to count its examples, once to shuffle them to their
 * workers) and never again while the same RDD is fitted.
 */
final class StepBatches {
    private final int sourceId;
    private final ExampleLayout layout;
    private final JavaRDD<DataSet> batches;

    private StepBatches(int sourceId, ExampleLayout layout, JavaRDD<DataSet> batches) {
        this.sourceId = sourceId;
        this.layout = layout;
        this.batches = batches;
    }

    /**
     * Counts, shuffles, re-batches and persists {@code source}, then materializes the result.
     *
     * @param sourceId the id of the user's RDD that {@code source} reads (itself, or the RDD it maps from)
     *
     * @throws IllegalArgumentException when the RDD holds fewer examples than there are workers
     */
    static StepBatches prepare(JavaRDD<DataSet> source, int sourceId, int workers, int batch, StorageLevel level) {
        List<Long> counts = source.mapPartitions(StepBatches::countExamples).collect();
        long[] offsets = new long[counts.size()];
        long total = 0;
        for (int p = 0; p < offsets.length; p++) {
            offsets[p] = total;
            total += counts.get(p);
        }
        if (total < workers) {
            throw new IllegalArgumentException("the RDD holds " + total + " example(s), fewer than the " + workers
                    + " workers of AveronTrainingMaster: every worker needs at least one example per step");
        }
        ExampleLayout layout = new ExampleLayout(total, workers, batch);
        JavaPairRDD<Long, DataSet> pieces = source
                .mapPartitionsWithIndex((p, it) -> cut(it, offsets[p], layout), false)
                .mapToPair(piece -> piece);
        JavaRDD<DataSet> batches = pieces.repartitionAndSortWithinPartitions(new WorkerPartitioner(layout))
                .mapPartitions(it -> new StepAssembly(it, layout), true);
        batches.setName("AveronTrainingMaster minibatches of RDD " + sourceId + " (" + workers + " workers x "
                + batch + ")");
        batches.persist(level);
        long made = batches.count();
        if (made != workers * layout.steps()) {
            batches.unpersist(false);
            throw new IllegalStateException("prepared " + made + " minibatches, expected " + workers + " workers x "
                    + layout.steps() + " steps");
        }
        return new StepBatches(sourceId, layout, batches);
    }

    /** Whether these are the batches of the user's RDD {@code sourceId} cut for this many workers and batch size. */
    boolean preparedFrom(org.apache.spark.SparkContext context, int sourceId, int workers, int batch) {
        // RDD ids count per context: a new context's RDD 7 is another RDD.
        return batches.rdd().sparkContext() == context && sourceId == this.sourceId && layout.workers() == workers && layout.batch() == batch;
    }

    ExampleLayout layout() {
        return layout;
    }

    JavaRDD<DataSet> rdd() {
        return batches;
    }

    /** Frees the executors' copies. */
    void release() {
        batches.unpersist(false);
    }

    private static Iterator<Long> countExamples(Iterator<DataSet> partition) {
        long n = 0;
        while (partition.hasNext()) {
            DataSet ds = partition.next();
            requireSupported(ds);
            n += ds.numExamples();
        }
        return Collections.singletonList(n).iterator();
    }

    /** Network.computeGradient takes features and labels only: a mask would be silently ignored, so it is refused. */
    private static void requireSupported(DataSet ds) {
        if (ds.getFeaturesMaskArray() != null || ds.getLabelsMaskArray() != null) {
            throw new UnsupportedOperationException("AveronTrainingMaster does not support DataSets with feature or "
                    + "label masks (variable-length sequences)");
        }
    }

    /**
     * Cuts a partition's DataSets at the boundaries of (worker, step) runs: each piece, keyed by the RDD position of
     * its first example, goes to one worker's minibatch of one step.
     */
    private static Iterator<Tuple2<Long, DataSet>> cut(Iterator<DataSet> partition, long offset, ExampleLayout layout) {
        List<Tuple2<Long, DataSet>> pieces = new ArrayList<>();
        long first = offset;
        while (partition.hasNext()) {
            DataSet ds = partition.next();
            int n = ds.numExamples();
            long from = first;
            while (from < first + n && from < layout.used()) {
                long to = Math.min(Math.min(first + n, layout.runEnd(from)), layout.used());
                pieces.add(new Tuple2<>(from, slice(ds, (int) (from - first), (int) (to - first), n)));
                from = to;
            }
            first += n;
        }
        return pieces.iterator();
    }

    private static DataSet slice(DataSet ds, int from, int to, int n) {
        if (from == 0 && to == n) {
            return ds;
        }
        // A copy, not a view: a view would carry its whole parent buffer into the shuffle.
        return new DataSet(rows(ds.getFeatures(), from, to), rows(ds.getLabels(), from, to));
    }

    private static INDArray rows(INDArray array, int from, int to) {
        INDArrayIndex[] index = new INDArrayIndex[array.rank()];
        index[0] = NDArrayIndex.interval(from, to);
        for (int d = 1; d < index.length; d++) {
            index[d] = NDArrayIndex.all();
        }
        return array.get(index).dup();
    }

    /**
     * A worker's pieces, sorted by RDD position, merged into one minibatch per step. Lazy: one minibatch is held at a
     * time on top of what the shuffle reader holds.
     */
    private static final class StepAssembly implements Iterator<DataSet> {
        private final Iterator<Tuple2<Long, DataSet>> pieces;
        private final ExampleLayout layout;
        private Tuple2<Long, DataSet> pending;

        StepAssembly(Iterator<Tuple2<Long, DataSet>> pieces, ExampleLayout layout) {
            this.pieces = pieces;
            this.layout = layout;
            this.pending = pieces.hasNext() ? pieces.next() : null;
        }

        @Override
        public boolean hasNext() {
            return pending != null;
        }

        @Override
        public DataSet next() {
            if (pending == null) {
                throw new NoSuchElementException();
            }
            long step = layout.step(pending._1());
            List<INDArray> features = new ArrayList<>();
            List<INDArray> labels = new ArrayList<>();
            while (pending != null && layout.step(pending._1()) == step) {
                features.add(pending._2().getFeatures());
                labels.add(pending._2().getLabels());
                pending = pieces.hasNext() ? pieces.next() : null;
            }
            if (features.size() == 1) {
                return new DataSet(features.get(0), labels.get(0));
            }
            return new DataSet(Nd4j.concat(0, features.toArray(new INDArray[0])),
                    Nd4j.concat(0, labels.toArray(new INDArray[0])));
        }
    }
}
