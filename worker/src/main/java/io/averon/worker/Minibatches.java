package io.averon.worker;

import org.nd4j.linalg.dataset.DataSet;

import java.io.IOException;

/**
 * The minibatches one worker trains in one round, in step order: batch b belongs to the round's step b. It is what
 * {@link StepLoop} needs of a data source, so the same synchronous loop runs over Averon's own dataset reader
 * ({@link TrainingWorker}) and over minibatches a Spark program already holds in an RDD.
 */
public interface Minibatches {

    /** Whether a batch is left. */
    boolean hasNext();

    /**
     * The next batch, waiting for it if it is still being assembled.
     *
     * @return the batch, or null when none of its examples could be used: the worker then takes part in the step
     *         with a zero gradient of weight one rather than stall it
     * @throws IOException when the batch cannot be read
     */
    DataSet next() throws IOException;

    /**
     * Drops the next batches without handing them out: those of steps the parameter server completed without this
     * worker, so that its next batch is that of the server's next step.
     *
     * @return how many were dropped (fewer only at the end of the round)
     */
    int skip(int count);
}
