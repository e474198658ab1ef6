package io.averon.jobs;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkHadoopUtil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Finds a job file a cluster-mode driver cannot see in its working directory: a path or URI on a Hadoop filesystem
 * (a relative path is taken on the default filesystem, HDFS on a Hadoop cluster), or a file the user shipped with
 * {@code spark-submit --files}, named by its file name and read from where spark-submit was told it is. The Hadoop
 * settings are spark-submit's ({@code spark.hadoop.*}), since no Spark context exists yet when the job is read.
 */
final class JobFiles {
    private JobFiles() {
    }

    /** @return the job read from a Hadoop filesystem or from --files, or null when neither has it. */
    static JobConfig find(String job, List<String> overrides) {
        if (!job.endsWith(".conf") && !job.contains("/")) {
            return null;
        }
        SparkConf spark = new SparkConf();
        Configuration hadoop = SparkHadoopUtil.get().newConfiguration(spark);
        JobConfig onFileSystem = read(new Path(job), job, hadoop, overrides);
        if (onFileSystem != null) {
            return onFileSystem;
        }
        String name = new Path(job).getName();
        for (String shipped : spark.get("spark.files", "").split(",")) {
            if (!shipped.isBlank() && new Path(shipped.trim()).getName().equals(name)) {
                JobConfig config = read(new Path(shipped.trim()), job + " (shipped with --files from " + shipped.trim()
                        + ")", hadoop, overrides);
                if (config != null) {
                    return config;
                }
            }
        }
        return null;
    }

    private static JobConfig read(Path path, String origin, Configuration hadoop, List<String> overrides) {
        try {
            FileSystem fs = path.getFileSystem(hadoop);
            if (!fs.isFile(path)) {
                return null;
            }
            try (FSDataInputStream in = fs.open(path)) {
                return JobConfig.load(new String(in.readAllBytes(), StandardCharsets.UTF_8),
                        fs.makeQualified(path).toString(), overrides);
            }
        } catch (IOException e) {
            throw new InputException("job config " + origin + " cannot be read: " + e.getMessage(), e);
        }
    }
}
