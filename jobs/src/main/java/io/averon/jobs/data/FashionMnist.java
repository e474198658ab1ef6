package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the Fashion-MNIST files (Zalando's 70,000 28 x 28 grey clothing images in 10 classes, as IDX) live on this
 * machine, and the two {@link IdxExampleSource}s over them. It looks in the configured directory (by default the
 * Debian package's {@value #DEFAULT_DIRECTORY}) and then in the download cache that
 * {@code deploy/fetch-fashion-mnist.sh} fills ({@code ${AVERON_CACHE:-~/.cache/averon}/fashion-mnist}); when neither
 * holds all four files it fails with an {@link InputException} that says where it looked and how to get the data.
 * Each file may be gzipped ({@code .gz}, as published) or unpacked; a configured directory may be any Hadoop
 * FileSystem URI.
 */
public final class FashionMnist {
    public static final String DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist";
    public static final int CLASSES = 10;
    public static final int SIDE = 28;

    static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    private static final String[] FILES = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};

    private static final Logger LOG = LoggerFactory.getLogger(FashionMnist.class);

    private final String directory;
    private final String trainImages;
    private final String trainLabels;
    private final String testImages;
    private final String testLabels;
    private final HadoopSettings hadoop;

    private FashionMnist(String directory, List<String> files, HadoopSettings hadoop) {
        this.directory = directory;
        this.hadoop = hadoop;
        this.trainImages = files.get(0);
        this.trainLabels = files.get(1);
        this.testImages = files.get(2);
        this.testLabels = files.get(3);
    }

    /**
     * Finds the dataset in {@code configuredDir} (null or blank means {@value #DEFAULT_DIRECTORY}) or else in
     * {@link #cacheDirectory()}.
     *
     * @param hadoop the run's Hadoop settings: they locate the files and travel with the sources over them
     * @throws InputException when neither location holds all four files
     */
    public static FashionMnist locate(String configuredDir, HadoopSettings hadoop) {
        return locate(configuredDir, cacheDirectory(), hadoop);
    }

    static FashionMnist locate(String configuredDir, String cacheDir, HadoopSettings hadoop) {
        Configuration conf = hadoop.toConfiguration();
        // The default and the cache are local by definition; qualifying them keeps a cluster whose fs.defaultFS is
        // hdfs:// from looking for them in HDFS. A directory the user configured follows the usual Hadoop rules.
        Map<String, String> candidates = new LinkedHashMap<>();
        if (configuredDir == null || configuredDir.isBlank()) {
            candidates.put(local(DEFAULT_DIRECTORY), DEFAULT_DIRECTORY);
        } else {
            candidates.put(configuredDir, configuredDir);
        }
        candidates.putIfAbsent(local(cacheDir), cacheDir);
        List<String> looked = new ArrayList<>();
        for (Map.Entry<String, String> candidate : candidates.entrySet()) {
            List<String> found = new ArrayList<>();
            String problem = find(candidate.getKey(), conf, found);
            if (problem == null) {
                LOG.info("Fashion-MNIST found in {}", candidate.getValue());
                return new FashionMnist(qualified(candidate.getKey(), conf), found, hadoop);
            }
            looked.add(candidate.getValue() + " (" + problem + ")");
        }
        throw new InputException("Fashion-MNIST not found: looked in " + String.join(" and ", looked)
                + "; run deploy/fetch-fashion-mnist.sh or `apt-get install dataset-fashion-mnist`");
    }

    /** {@code ${AVERON_CACHE:-~/.cache/averon}/fashion-mnist}, the directory the fetch script downloads into. */
    public static String cacheDirectory() {
        String root = System.getenv("AVERON_CACHE");
        if (root == null || root.isBlank()) {
            root = Paths.get(System.getProperty("user.home"), ".cache", "averon").toString();
        }
        return Paths.get(root, "fashion-mnist").toAbsolutePath().toString();
    }

    /** The qualified directory the dataset was found in, e.g. {@code file:/usr/share/datasets/fashion-mnist}. */
    public String directory() {
        return directory;
    }

    /** The 60,000 training examples. */
    public IdxExampleSource train() {
        return new IdxExampleSource(trainImages, trainLabels, CLASSES, hadoop);
    }

    /** The 10,000 test examples. */
    public IdxExampleSource test() {
        return new IdxExampleSource(testImages, testLabels, CLASSES, hadoop);
    }

    @Override
    public String toString() {
        return "FashionMnist[" + directory + "]";
    }

    private static String local(String dir) {
        return new Path("file", null, Paths.get(dir).toAbsolutePath().normalize().toString()).toString();
    }

    private static String qualified(String dir, Configuration conf) {
        try {
            Path path = new Path(dir);
            return path.getFileSystem(conf).makeQualified(path).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fills {@code found} with a qualified URI per dataset file and returns null, or returns what is wrong with
     * {@code dir}.
     */
    private static String find(String dir, Configuration conf, List<String> found) {
        Path base;
        FileSystem fs;
        try {
            base = new Path(dir);
            fs = base.getFileSystem(conf);
            base = fs.makeQualified(base);
        } catch (IllegalArgumentException e) {
            throw new InputException("Fashion-MNIST directory '" + dir + "' is not a valid path or URI: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new InputException("Fashion-MNIST directory " + dir + ": " + e.getMessage(), e);
        }
        FileStatus directory = status(fs, base);
        if (directory == null || !directory.isDirectory()) {
            return "no such directory";
        }
        List<String> missing = new ArrayList<>();
        for (String name : FILES) {
            // The published files are gzipped; an unpacked copy is as good, the reader tells them apart by content.
            String file = firstNonEmpty(fs, base, name + ".gz", name);
            if (file != null) {
                found.add(file);
            } else {
                missing.add(name + ".gz");
            }
        }
        return missing.isEmpty() ? null : "missing " + String.join(", ", missing);
    }

    private static String firstNonEmpty(FileSystem fs, Path dir, String... names) {
        for (String name : names) {
            Path path = new Path(dir, name);
            FileStatus status = status(fs, path);
            if (status != null && status.isFile() && status.getLen() > 0) {
                return path.toString();
            }
        }
        return null;
    }

    private static FileStatus status(FileSystem fs, Path path) {
        try {
            return fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }
}
