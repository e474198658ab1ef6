package io.averon.worker.data;

import io.averon.worker.image.BadImageException;

import java.io.Closeable;
import java.io.IOException;

/**
 * Reads and decodes single examples of a {@link SourceIndex} on an executor. Implementations are thread-safe, since
 * the pipeline's prefetch threads share one; whole-file formats load their file once, per-image formats read each
 * file as it is asked for.
 */
public interface ExampleReader extends Closeable {

    /**
     * @throws BadImageException when the example's bytes cannot be decoded into an image (the exception names the
     *                           file and the reason)
     * @throws IOException       when the file cannot be read
     */
    LabelledImage read(int example) throws IOException, BadImageException;

    @Override
    default void close() throws IOException {
    }
}
