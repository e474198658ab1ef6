package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.ExampleSource;
import io.averon.worker.Examples;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.InputException;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;

/**
 * An image dataset stored as a pair of IDX files (the MNIST family's format): an unsigned-byte images file of
 * magic {@code 0x00000803} (count x rows x columns, one channel) and an unsigned-byte labels file of magic
 * {@code 0x00000801}. Both are read through the Hadoop FileSystem API, so a plain local path, a {@code file://}
 * URI or an {@code hdfs://} URI work alike (a path without a scheme resolves against {@code fs.defaultFS}, which is
 * the local filesystem unless the cluster's Hadoop configuration says otherwise); each file may be gzip-compressed
 * or raw, told apart by its content rather than its name. The object holds only the two locations, the class
 * count and the run's Hadoop settings, so it serializes to a few hundred bytes and every executor opens the files
 * itself with the driver's Hadoop settings; anything wrong with
 * the files is reported as an {@link InputException} naming the file and the problem.
 */
public final class IdxExampleSource implements ExampleSource {
    private static final long serialVersionUID = 1L;

    /** Labels are single unsigned bytes, so more classes than this cannot be encoded. */
    private static final int MAX_CLASSES = 256;

    private final String imagesUri;
    private final String labelsUri;
    private final int numClasses;
    private final List<String> classNames;
    private final HadoopSettings hadoop;

    public IdxExampleSource(String imagesUri, String labelsUri, int numClasses, HadoopSettings hadoop) {
        this(imagesUri, labelsUri, numClasses, List.of(), hadoop);
    }

    /**
     * @param classNames names in label order, or empty for numbered classes
     * @param hadoop     the run's Hadoop settings, for planning here and loading on the executors
     */
    public IdxExampleSource(String imagesUri, String labelsUri, int numClasses, List<String> classNames,
                            HadoopSettings hadoop) {
        this.imagesUri = Objects.requireNonNull(imagesUri, "imagesUri");
        this.labelsUri = Objects.requireNonNull(labelsUri, "labelsUri");
        if (numClasses < 1 || numClasses > MAX_CLASSES) {
            throw new InputException(imagesUri + ": number of classes must be between 1 and " + MAX_CLASSES
                    + " for IDX byte labels, got " + numClasses);
        }
        this.numClasses = numClasses;
        if (!classNames.isEmpty() && classNames.size() != numClasses) {
            throw new InputException(imagesUri + ": " + classNames.size() + " class names given (dataset.class-names) "
                    + "for " + numClasses + " classes (dataset.num-classes)");
        }
        this.classNames = List.copyOf(classNames);
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    @Override
    public String name() {
        return imagesUri;
    }

    public String imagesUri() {
        return imagesUri;
    }

    public String labelsUri() {
        return labelsUri;
    }

    public int numClasses() {
        return numClasses;
    }

    /**
     * Plans this dataset on the driver: reads the labels and the images file's header (not its pixels). Executors
     * load the pixels when they open the index.
     */
    @Override
    public SourceIndex index() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        int[] labels = readLabels(conf);
        try (IdxStream in = IdxStream.open(imagesUri, conf)) {
            IdxHeader header = IdxHeader.read(in, IdxKind.IMAGES);
            if (header.count() != labels.length) {
                throw new InputException(imagesUri + ": holds " + header.count() + " images but " + labelsUri
                        + " holds " + labels.length + " labels; the two files must describe the same examples");
            }
            DataShape shape = new DataShape(1, header.rows(), header.columns(),
                    classNames.isEmpty() ? DataShape.numbered(numClasses) : classNames, false);
            return new Index(this, labels, shape);
        }
    }

    /** Loads every example, with the run's Hadoop settings over the calling JVM's defaults. */
    public Examples load() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        int[] labels = readLabels(conf);
        try (IdxStream in = IdxStream.open(imagesUri, conf)) {
            IdxHeader header = IdxHeader.read(in, IdxKind.IMAGES);
            // Checked before decoding tens of megabytes of pixels that could not be used anyway.
            if (header.count() != labels.length) {
                throw new InputException(imagesUri + ": holds " + header.count() + " images but " + labelsUri
                        + " holds " + labels.length + " labels; the two files must describe the same examples");
            }
            byte[] pixels = header.readPayload(in);
            return new Examples(pixels, labels, 1, header.rows(), header.columns(), numClasses);
        }
    }

    /**
     * The number of examples, read from the labels file header alone (a few bytes even when gzipped).
     * {@link #load()} validates the rest.
     */
    public int size() throws IOException {
        try (IdxStream in = IdxStream.open(labelsUri, hadoop.toConfiguration())) {
            return IdxHeader.read(in, IdxKind.LABELS).count();
        }
    }

    private int[] readLabels(Configuration conf) throws IOException {
        byte[] raw;
        try (IdxStream in = IdxStream.open(labelsUri, conf)) {
            raw = IdxHeader.read(in, IdxKind.LABELS).readPayload(in);
        }
        int[] labels = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            int label = raw[i] & 0xFF;
            if (label >= numClasses) {
                throw new InputException(labelsUri + ": label " + label + " of example " + i
                        + " is out of range for " + numClasses + " classes (expected 0.." + (numClasses - 1) + ")");
            }
            labels[i] = label;
        }
        return labels;
    }

    @Override
    public String toString() {
        return "IdxExampleSource[images=" + imagesUri + ", labels=" + labelsUri + ", classes=" + numClasses + "]";
    }

    /** The planned IDX dataset: labels and shape; the pixels are loaded once per reader on the executor. */
    private static final class Index implements SourceIndex {
        private static final long serialVersionUID = 1L;
        private final IdxExampleSource source;
        private final int[] labels;
        private final DataShape shape;

        Index(IdxExampleSource source, int[] labels, DataShape shape) {
            this.source = source;
            this.labels = labels;
            this.shape = shape;
        }

        @Override
        public String name() {
            return source.imagesUri;
        }

        @Override
        public DataShape shape() {
            return shape;
        }

        @Override
        public int size() {
            return labels.length;
        }

        @Override
        public int label(int example) {
            return labels[example];
        }

        @Override
        public String describe(int example) {
            return source.imagesUri + "#" + example;
        }

        @Override
        public ExampleReader open() throws IOException {
            return source.load();
        }
    }
}
