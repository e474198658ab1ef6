package io.averon.worker;

import io.averon.worker.data.SourceIndex;

import java.io.IOException;
import java.io.Serializable;

/**
 * A labelled image dataset as a job names it: a few paths and options, never data. The driver calls {@link #index()}
 * once to plan (list files, read headers and labels, count classes); the resulting {@link SourceIndex} travels to
 * the executors, which read and decode only the examples their partitions hold, so image bytes never pass through
 * the driver.
 */
public interface ExampleSource extends Serializable {

    /** A short name for logs and errors, e.g. the dataset path. */
    String name();

    /**
     * Plans this dataset: lists its files and reads what planning needs (counts, labels), decoding no image.
     *
     * @throws InputException when the dataset is missing or malformed; the message names the input and the problem
     * @throws IOException    on a filesystem failure
     */
    SourceIndex index() throws IOException;
}
