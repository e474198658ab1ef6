package io.averon.worker.data;

import java.io.IOException;
import java.io.Serializable;

/**
 * A planned dataset: how many examples, their labels, their shape, and how an executor reads one. The driver builds
 * it by listing and counting; it travels to the executors in the task closure, so it holds locations and labels,
 * never pixels. Example indices are dense, {@code 0 .. size()-1}, and stable across the run, which is what lets the
 * epoch plan shuffle and partition them and a retried task find exactly the examples its predecessor had.
 */
public interface SourceIndex extends Serializable {

    /** A short name for logs and errors, e.g. the dataset's root path. */
    String name();

    /** Image shape after preprocessing, class count and names, and whether labels are masks. */
    DataShape shape();

    int size();

    /** Class of example {@code example}; -1 for segmentation examples, whose labels are masks. */
    int label(int example);

    /** Where example {@code example} comes from (a path, or file#record), for messages about bad images. */
    String describe(int example);

    /** Files planning already set aside (e.g. empty files) under the skip policy. */
    default long skippedAtPlanning() {
        return 0;
    }

    /** Opens a reader on this executor. Readers are thread-safe: the prefetch threads share one. */
    ExampleReader open() throws IOException;
}
