package io.averon.jobs;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.net.URI;

/**
 * The local filesystem under a made-up scheme, {@value #SCHEME}{@code :///path}, for tests that must tell whether a
 * reader was given the run's Hadoop settings: Hadoop finds this class only through {@code fs.averontest.impl},
 * which a test sets in the SparkContext alone (as {@code spark.hadoop.fs.averontest.impl}). A JVM-default
 * {@code new Configuration()} cannot open such a path.
 */
public final class AliasedLocalFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "averontest";

    /**
     * The settings a SparkConf needs so that paths of this scheme open: the implementation, and no FileSystem cache,
     * since the cache is keyed by scheme and user alone and would hand a reader without the settings the instance
     * that planning (with them) created.
     */
    public static final String[][] SPARK_SETTINGS = {
            {"spark.hadoop.fs." + SCHEME + ".impl", AliasedLocalFileSystem.class.getName()},
            {"spark.hadoop.fs." + SCHEME + ".impl.disable.cache", "true"}};

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        return plain(super.getFileStatus(f));
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        FileStatus[] statuses = super.listStatus(f);
        for (int i = 0; i < statuses.length; i++) {
            statuses[i] = plain(statuses[i]);
        }
        return statuses;
    }

    // The local statuses read permissions lazily through a file: URI, which this scheme's paths are not.
    private static FileStatus plain(FileStatus s) {
        return new FileStatus(s.getLen(), s.isDirectory(), s.getReplication(), s.getBlockSize(),
                s.getModificationTime(), s.getPath());
    }
}
