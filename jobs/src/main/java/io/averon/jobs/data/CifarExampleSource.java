package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.ExampleSource;
import io.averon.worker.InputException;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;

/**
 * A CIFAR-10 or CIFAR-100 dataset in its published binary form: one or more batch files of fixed-size records (see
 * {@link CifarVariant}), read through the Hadoop FileSystem API so a local path, a {@code file://} or an
 * {@code hdfs://} URI work alike. The object holds only the file locations, the variant and the class names.
 *
 * <p>{@link #index()} checks every file (present, a regular file, its length a positive multiple of the record size,
 * every label in range) and keeps only the label bytes. It streams each file once from start to end to do so (about
 * 150 MB for the CIFAR-10 training set): on HDFS one sequential read is far cheaper than tens of thousands of
 * one-byte positional reads, and it reads every label byte, so a file that is shorter than its status said also
 * shows up at planning. The executors' readers load each file whole (30 MB per CIFAR-10 batch, 150 MB for CIFAR-100
 * {@code train.bin}) the first time one of its examples is asked for, and keep it for the reader's life.
 */
public final class CifarExampleSource implements ExampleSource {
    private static final long serialVersionUID = 1L;

    /** The class names the CIFAR-10 distribution publishes, in label order. */
    public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    /** A file is loaded into one array on the executor. */
    private static final long MAX_FILE = Integer.MAX_VALUE - 8;
    private static final int STREAM_BUFFER = 1 << 20;

    private final List<String> fileUris;
    private final CifarVariant variant;
    private final List<String> classNames;
    private final HadoopSettings hadoop;

    /**
     * @param fileUris   the batch files, in the order their examples are numbered
     * @param variant    the files' layout and the labels to use
     * @param classNames one name per class, or null for the defaults: {@link #CIFAR10_CLASSES} for CIFAR-10,
     *                   "0", "1", ... for CIFAR-100
     * @param hadoop     the run's Hadoop settings, for planning here and reading on the executors
     */
    public CifarExampleSource(List<String> fileUris, CifarVariant variant, List<String> classNames,
                              HadoopSettings hadoop) {
        Objects.requireNonNull(fileUris, "fileUris");
        this.variant = Objects.requireNonNull(variant, "variant");
        if (fileUris.isEmpty()) {
            throw new InputException(variant.format() + " dataset: no files given");
        }
        this.fileUris = List.copyOf(fileUris);
        if (classNames == null) {
            classNames = variant == CifarVariant.CIFAR10 ? CIFAR10_CLASSES : DataShape.numbered(variant.classes());
        } else if (classNames.size() != variant.classes()) {
            throw new InputException(name() + ": " + variant.format() + " " + variant.labelKind() + "labels need "
                    + variant.classes() + " class names, got " + classNames.size());
        }
        this.classNames = List.copyOf(classNames);
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    public CifarExampleSource(List<String> fileUris, CifarVariant variant, HadoopSettings hadoop) {
        this(fileUris, variant, null, hadoop);
    }

    /** The CIFAR-10 training set: {@code data_batch_1.bin} to {@code data_batch_5.bin} in {@code dir}. */
    public static CifarExampleSource cifar10Train(String dir, HadoopSettings hadoop) {
        List<String> files = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            files.add(child(dir, "data_batch_" + i + ".bin"));
        }
        return new CifarExampleSource(files, CifarVariant.CIFAR10, hadoop);
    }

    /** The CIFAR-10 test set: {@code test_batch.bin} in {@code dir}. */
    public static CifarExampleSource cifar10Test(String dir, HadoopSettings hadoop) {
        return new CifarExampleSource(List.of(child(dir, "test_batch.bin")), CifarVariant.CIFAR10, hadoop);
    }

    /** The CIFAR-100 training set: {@code train.bin} in {@code dir}, with its coarse or fine labels. */
    public static CifarExampleSource cifar100Train(String dir, boolean coarse, HadoopSettings hadoop) {
        return new CifarExampleSource(List.of(child(dir, "train.bin")), cifar100(coarse), hadoop);
    }

    /** The CIFAR-100 test set: {@code test.bin} in {@code dir}, with its coarse or fine labels. */
    public static CifarExampleSource cifar100Test(String dir, boolean coarse, HadoopSettings hadoop) {
        return new CifarExampleSource(List.of(child(dir, "test.bin")), cifar100(coarse), hadoop);
    }

    private static CifarVariant cifar100(boolean coarse) {
        return coarse ? CifarVariant.CIFAR100_COARSE : CifarVariant.CIFAR100_FINE;
    }

    private static String child(String dir, String name) {
        Objects.requireNonNull(dir, "dir");
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    public List<String> fileUris() {
        return fileUris;
    }

    public CifarVariant variant() {
        return variant;
    }

    public List<String> classNames() {
        return classNames;
    }

    /** The single file, or the files' common directory followed by their names in braces. */
    @Override
    public String name() {
        if (fileUris.size() == 1) {
            return fileUris.get(0);
        }
        String first = fileUris.get(0);
        String parent = first.substring(0, first.lastIndexOf('/') + 1);
        List<String> names = new ArrayList<>();
        for (String uri : fileUris) {
            if (parent.isEmpty() || !uri.startsWith(parent) || uri.indexOf('/', parent.length()) >= 0) {
                return String.join(",", fileUris);
            }
            names.add(uri.substring(parent.length()));
        }
        return parent + "{" + String.join(",", names) + "}";
    }

    /** Checks every file and reads its label bytes (streaming the whole file; see the class comment). */
    @Override
    public SourceIndex index() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        int record = variant.recordBytes();
        long[] lengths = new long[fileUris.size()];
        int[] first = new int[fileUris.size() + 1];
        long total = 0;
        List<DataFile> files = new ArrayList<>();
        for (int f = 0; f < fileUris.size(); f++) {
            DataFile file = DataFile.locate(fileUris.get(f), conf, "a " + variant.format() + " binary batch file");
            checkLength(file);
            files.add(file);
            lengths[f] = file.length();
            first[f] = (int) total;
            total += file.length() / record;
            if (total > Integer.MAX_VALUE) {
                throw new InputException(name() + ": more than " + Integer.MAX_VALUE + " examples in one dataset");
            }
        }
        first[fileUris.size()] = (int) total;
        byte[] labels = new byte[(int) total];
        for (int f = 0; f < files.size(); f++) {
            readLabels(files.get(f), labels, first[f]);
        }
        DataShape shape = new DataShape(3, CifarVariant.SIDE, CifarVariant.SIDE, classNames, false);
        return new Index(name(), fileUris, variant, lengths, first, CompactLabels.ofBytes(labels), shape, hadoop);
    }

    private void checkLength(DataFile file) {
        int record = variant.recordBytes();
        long length = file.length();
        String expected = variant.format() + " records of " + record + " bytes";
        if (length == 0) {
            throw new InputException(file.uri() + ": file is empty (0 bytes), expected " + expected);
        }
        if (length % record != 0) {
            int other = variant.labelBytes() == 1 ? CifarVariant.CIFAR100_FINE.recordBytes()
                    : CifarVariant.CIFAR10.recordBytes();
            String hint = length % other == 0
                    ? "; it is a multiple of the " + other + "-byte "
                    + (variant.labelBytes() == 1 ? "CIFAR-100" : "CIFAR-10") + " record: wrong variant?"
                    : "; truncated, or not a " + variant.format() + " binary batch file";
            throw new InputException(file.uri() + ": length " + length + " is not a multiple of the " + record
                    + "-byte " + variant.format() + " record" + hint);
        }
        if (length > MAX_FILE) {
            throw new InputException(file.uri() + ": " + length + " bytes is more than one reader loads at once "
                    + "(2 GiB); split it into smaller batch files");
        }
    }

    /** Streams one file's records and copies their label bytes, checking every label byte of the format. */
    private void readLabels(DataFile file, byte[] labels, int first) throws IOException {
        int record = variant.recordBytes();
        int count = (int) (file.length() / record);
        byte[] buffer = new byte[record];
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(file.fs().open(file.path()),
                STREAM_BUFFER))) {
            for (int r = 0; r < count; r++) {
                try {
                    in.readFully(buffer);
                } catch (EOFException e) {
                    throw new InputException(file.uri() + ": ended within record " + r + " although its length is "
                            + file.length() + " bytes; was it being written?", e);
                }
                for (int offset = 0; offset < variant.labelBytes(); offset++) {
                    int label = buffer[offset] & 0xFF;
                    int classes = variant.classesAt(offset);
                    if (label >= classes) {
                        throw new InputException(file.uri() + ": record " + r + " has " + variant.labelKindAt(offset)
                                + "label " + label + ", out of range for " + variant.format() + "'s " + classes + " "
                                + variant.labelKindAt(offset) + "classes (0.." + (classes - 1) + ")");
                    }
                }
                labels[first + r] = buffer[variant.labelOffset()];
            }
        }
    }

    @Override
    public String toString() {
        return "CifarExampleSource[" + variant + ", " + name() + "]";
    }

    /** The planned dataset: file locations and lengths, where each file's examples start, and the labels. */
    private static final class Index implements SourceIndex {
        private static final long serialVersionUID = 1L;
        private final String name;
        private final List<String> uris;
        private final CifarVariant variant;
        private final long[] lengths;
        /** Example number of each file's first record; one extra entry holds the total. */
        private final int[] first;
        private final CompactLabels labels;
        private final DataShape shape;
        private final HadoopSettings hadoop;

        Index(String name, List<String> uris, CifarVariant variant, long[] lengths, int[] first, CompactLabels labels,
              DataShape shape, HadoopSettings hadoop) {
            this.name = name;
            this.uris = uris;
            this.variant = variant;
            this.lengths = lengths;
            this.first = first;
            this.labels = labels;
            this.shape = shape;
            this.hadoop = hadoop;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public DataShape shape() {
            return shape;
        }

        @Override
        public int size() {
            return labels.size();
        }

        @Override
        public int label(int example) {
            return labels.get(example);
        }

        @Override
        public String describe(int example) {
            int f = fileOf(example);
            return uris.get(f) + "#" + (example - first[f]);
        }

        int fileOf(int example) {
            if (example < 0 || example >= size()) {
                throw new IndexOutOfBoundsException("example " + example + " of " + size() + " in " + name);
            }
            int found = Arrays.binarySearch(first, 0, uris.size(), example);
            if (found >= 0) {
                // Empty files cannot pass planning, so no two files start at the same example.
                return found;
            }
            return -found - 2;
        }

        @Override
        public ExampleReader open() {
            return new Reader(this, hadoop.toConfiguration());
        }
    }

    /** Loads each file once, the first time a prefetch thread needs it; later reads copy from memory. */
    private static final class Reader implements ExampleReader {
        private final Index index;
        private final Configuration conf;
        private final AtomicReferenceArray<byte[]> files;
        private final Object[] locks;

        Reader(Index index, Configuration conf) {
            this.index = index;
            this.conf = conf;
            this.files = new AtomicReferenceArray<>(index.uris.size());
            this.locks = new Object[index.uris.size()];
            for (int i = 0; i < locks.length; i++) {
                locks[i] = new Object();
            }
        }

        @Override
        public LabelledImage read(int example) throws IOException {
            int f = index.fileOf(example);
            byte[] data = file(f);
            int record = example - index.first[f];
            byte[] pixels = new byte[CifarVariant.IMAGE_BYTES];
            long start = (long) record * index.variant.recordBytes() + index.variant.labelBytes();
            System.arraycopy(data, (int) start, pixels, 0, pixels.length);
            PixelImage image = new PixelImage(3, CifarVariant.SIDE, CifarVariant.SIDE, pixels);
            return new LabelledImage(image, null, index.labels.get(example));
        }

        private byte[] file(int f) throws IOException {
            byte[] data = files.get(f);
            if (data != null) {
                return data;
            }
            // One lock per file: threads wanting different files load them in parallel, and a file is read once.
            synchronized (locks[f]) {
                data = files.get(f);
                if (data == null) {
                    data = load(f);
                    files.set(f, data);
                }
                return data;
            }
        }

        private byte[] load(int f) throws IOException {
            String uri = index.uris.get(f);
            DataFile file = DataFile.locate(uri, conf, "a " + index.variant.format() + " binary batch file");
            if (file.length() != index.lengths[f]) {
                // Record positions were planned from the old length; reading on would mislabel examples.
                throw new InputException(uri + ": changed since the dataset was planned: length " + file.length()
                        + " bytes, was " + index.lengths[f]);
            }
            byte[] data = new byte[(int) file.length()];
            try (FSDataInputStream in = file.fs().open(file.path())) {
                in.readFully(data);
            } catch (EOFException e) {
                throw new InputException(uri + ": ended before its length of " + file.length()
                        + " bytes; was it being written?", e);
            }
            return data;
        }

        @Override
        public void close() {
            for (int i = 0; i < files.length(); i++) {
                files.set(i, null);
            }
        }
    }
}
