package io.averon.worker;

import java.io.IOException;
import java.io.Serializable;

/**
 * A labelled image dataset that a worker reads by example index. The driver only needs its size to plan
 * partitions; every executor loads the examples itself from the Hadoop FileSystem, so image bytes never pass
 * through the driver. Implementations are small serializable descriptions (paths, shapes), not data.
 */
public interface ExampleSource extends Serializable {

    /** A short name for logs and errors, e.g. the dataset path. */
    String name();

    /** Number of examples, read cheaply (e.g. from a file header) so the driver can plan without decoding. */
    int size() throws IOException;

    /**
     * Reads every example of this source.
     *
     * @throws InputException when a file is missing, truncated or not in the expected format; the message names
     *                        the file and what is wrong
     * @throws IOException    on a filesystem failure
     */
    Examples load() throws IOException;
}
