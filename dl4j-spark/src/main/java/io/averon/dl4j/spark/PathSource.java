package io.averon.dl4j.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.common.loader.Source;

import java.io.IOException;
import java.io.InputStream;

/**
 * A file a DL4J {@code DataSetLoader} reads, on whatever Hadoop file system its path names (local, HDFS, S3A), as
 * {@code SparkDl4jMultiLayer.fit(path)} hands them to the training master.
 */
final class PathSource implements Source {
    private final String path;

    PathSource(String path) {
        this.path = path;
    }

    @Override
    public InputStream getInputStream() throws IOException {
        Path p = new Path(path);
        return FileSystem.get(p.toUri(), new Configuration()).open(p);
    }

    @Override
    public String getPath() {
        return path;
    }
}
