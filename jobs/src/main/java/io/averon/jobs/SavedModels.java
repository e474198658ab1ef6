package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import io.averon.worker.Network;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;

/**
 * Reads saved networks from any Hadoop FileSystem, for evaluation, fine-tuning and distillation teachers: Averon's
 * model.zip or any DL4J ModelSerializer file, and Keras HDF5 models ({@code .h5}, {@code .hdf5}: Sequential or
 * functional, with weights, as Keras's {@code model.save} writes them) through DL4J's Keras importer. A missing or
 * unreadable file is a user error naming the key. Models are read on the driver with the run's Hadoop settings.
 */
final class SavedModels {
    private SavedModels() {
    }

    static Network read(String uri, String role, HadoopSettings hadoop) {
        Path path = new Path(uri);
        FileSystem fs;
        try {
            fs = path.getFileSystem(hadoop.toConfiguration());
        } catch (IOException e) {
            // Not the file's fault: say so rather than calling it "not a DL4J model file" below.
            throw new InputException(role + " " + uri + ": cannot open its filesystem (" + e.getMessage() + ")");
        }
        try {
            if (!fs.exists(path)) {
                throw new InputException(role + " " + uri + ": no such file");
            }
            if (KerasModels.isKerasFile(uri)) {
                return KerasModels.read(fs, path, role + " " + uri);
            }
            try (FSDataInputStream in = fs.open(path)) {
                return Network.restore(in.readAllBytes());
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof InputException input) {
                throw input;
            }
            throw new InputException(role + " " + uri + " is not a DL4J model file: " + e.getMessage());
        }
    }
}
