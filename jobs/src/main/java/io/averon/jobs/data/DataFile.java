package io.averon.jobs.data;

import io.averon.worker.InputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * One file of a dataset located through the Hadoop FileSystem API, with the status it had when located. It turns the
 * ways a user-given location can be wrong (not a URI, unknown scheme, missing, a directory) into one-line
 * {@link InputException}s that name the location, so each format reports them alike.
 */
record DataFile(String uri, FileSystem fs, Path path, FileStatus status) {

    /** The file system and path {@code uri} denotes, without touching the file. */
    static Path path(String uri) {
        try {
            return new Path(uri);
        } catch (IllegalArgumentException e) {
            throw new InputException("'" + uri + "': not a valid path or URI: " + e.getMessage(), e);
        }
    }

    static FileSystem fileSystem(String uri, Path path, Configuration conf) throws IOException {
        try {
            return path.getFileSystem(conf);
        } catch (UnsupportedFileSystemException e) {
            throw new InputException(uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Locates the regular file {@code uri}.
     *
     * @param expected what the file should be, for the message when it is a directory (e.g. "a CIFAR-10 batch file")
     */
    static DataFile locate(String uri, Configuration conf, String expected) throws IOException {
        Path path = path(uri);
        FileSystem fs = fileSystem(uri, path, conf);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new InputException(uri + ": file not found", e);
        }
        if (status.isDirectory()) {
            throw new InputException(uri + ": is a directory, expected " + expected);
        }
        return new DataFile(uri, fs, path, status);
    }

    long length() {
        return status.getLen();
    }
}
