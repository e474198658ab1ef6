package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.ExampleSource;
import io.averon.worker.InputException;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.NormalisationSource;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A dataset written by {@code averon prepare}: a directory on any Hadoop FileSystem holding shards of preprocessed
 * images in the layout {@link PreparedManifest} documents. Planning reads the manifest, lists the directory once to
 * check every shard's length against it (a truncated or missing shard is named), and reads the labels from
 * {@value PreparedManifest#LABELS_FILE} (4 bytes per example) rather than from the shards.
 *
 * <p>An executor's reader loads a shard whole the first time one of its records is asked for, as long as the
 * shards it has loaded fit in its byte budget ({@link #DEFAULT_CACHE_BYTES} unless given); a shard beyond the
 * budget is read a record at a time with positional reads on one shared stream. Loaded shards stay for the reader's
 * life: an epoch visits examples in shuffled order, so every shard is equally likely to be needed next and evicting
 * one would only trade it for another. The budget is per reader, i.e. per task.
 */
public final class PreparedSource implements ExampleSource {
    private static final long serialVersionUID = 1L;

    /** Bytes of shards one reader keeps in memory unless told otherwise. */
    public static final long DEFAULT_CACHE_BYTES = 512L << 20;
    /** A shard is loaded into one array. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final String dirUri;
    private final long cacheBytes;
    private final HadoopSettings hadoop;

    /** @param hadoop the run's Hadoop settings, for planning here and reading on the executors */
    public PreparedSource(String dirUri, HadoopSettings hadoop) {
        this(dirUri, DEFAULT_CACHE_BYTES, hadoop);
    }

    /** @param cacheBytes bytes of whole shards each reader may keep in memory (0: always read record by record) */
    public PreparedSource(String dirUri, long cacheBytes, HadoopSettings hadoop) {
        this.dirUri = Objects.requireNonNull(dirUri, "dirUri");
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("shard cache budget must not be negative, was " + cacheBytes);
        }
        this.cacheBytes = cacheBytes;
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    @Override
    public String name() {
        return dirUri;
    }

    public String dirUri() {
        return dirUri;
    }

    public long cacheBytes() {
        return cacheBytes;
    }

    /** Reads the manifest, checks the shards' lengths against it and reads the labels file. */
    @Override
    public SourceIndex index() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        Path dir = DataFile.path(dirUri);
        FileSystem fs = DataFile.fileSystem(dirUri, dir, conf);
        PreparedManifest manifest = PreparedManifest.read(fs, dir, dirUri);
        Map<String, FileStatus> listing = new HashMap<>();
        for (FileStatus status : fs.listStatus(dir)) {
            listing.put(status.getPath().getName(), status);
        }
        int recordBytes = manifest.recordBytes();
        List<PreparedManifest.Shard> shards = manifest.shards();
        String[] files = new String[shards.size()];
        int[] first = new int[shards.size() + 1];
        long[] lengths = new long[shards.size()];
        int example = 0;
        for (int s = 0; s < shards.size(); s++) {
            PreparedManifest.Shard shard = shards.get(s);
            String uri = PreparedManifest.child(dirUri, shard.file());
            long expected = (long) shard.records() * recordBytes;
            FileStatus status = listing.get(shard.file());
            if (status == null || status.isDirectory()) {
                throw new InputException(uri + ": missing; " + PreparedManifest.FILE + " lists it with "
                        + shard.records() + " records");
            }
            if (status.getLen() < expected) {
                throw new InputException(uri + ": truncated: " + PreparedManifest.FILE + " says " + shard.records()
                        + " records of " + recordBytes + " bytes (" + expected + " bytes) but the file has "
                        + status.getLen() + " bytes");
            }
            if (status.getLen() > expected) {
                throw new InputException(uri + ": has " + status.getLen() + " bytes, more than the "
                        + shard.records() + " records of " + recordBytes + " bytes (" + expected + " bytes) "
                        + PreparedManifest.FILE + " lists");
            }
            files[s] = shard.file();
            lengths[s] = expected;
            first[s] = example;
            example += shard.records();
        }
        first[shards.size()] = example;
        CompactLabels labels = readLabels(fs, new Path(dir, PreparedManifest.LABELS_FILE), manifest,
                listing.get(PreparedManifest.LABELS_FILE));
        return new Index(dirUri, manifest.shape(), files, lengths, first, labels, recordBytes, cacheBytes,
                manifest.mean().stream().mapToDouble(Float::doubleValue).toArray(),
                manifest.std().stream().mapToDouble(Float::doubleValue).toArray(), hadoop);
    }

    private CompactLabels readLabels(FileSystem fs, Path path, PreparedManifest manifest, FileStatus status)
            throws IOException {
        String uri = PreparedManifest.child(dirUri, PreparedManifest.LABELS_FILE);
        if (status == null || status.isDirectory()) {
            throw new InputException(uri + ": missing; a prepared dataset keeps its labels there");
        }
        int count = (int) manifest.count();
        if (status.getLen() != 4L * count) {
            throw new InputException(uri + ": has " + status.getLen() + " bytes, expected " + 4L * count
                    + " (an int32 label for each of the " + count + " examples " + PreparedManifest.FILE + " lists)");
        }
        DataShape shape = manifest.shape();
        int[] labels = new int[count];
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(fs.open(path), 1 << 16))) {
            for (int i = 0; i < count; i++) {
                labels[i] = in.readInt();
                boolean valid = shape.segmentation() ? labels[i] == -1 : labels[i] >= 0 && labels[i] < shape.classes();
                if (!valid) {
                    throw new InputException(uri + ": label " + labels[i] + " of example " + i + " is invalid for "
                            + (shape.segmentation() ? "a segmentation dataset (expected -1)"
                            : shape.classes() + " classes (expected 0.." + (shape.classes() - 1) + ")"));
                }
            }
        } catch (EOFException e) {
            throw new InputException(uri + ": ended early; was it being written?", e);
        }
        return shape.segmentation() ? CompactLabels.masks(count) : CompactLabels.of(labels, shape.classes());
    }

    @Override
    public String toString() {
        return "PreparedSource[" + dirUri + "]";
    }

    /** The planned prepared dataset: shard names and where their examples start, labels, shape. */
    private static final class Index implements NormalisationSource {
        private static final long serialVersionUID = 1L;
        private final String dirUri;
        private final DataShape shape;
        private final String[] files;
        private final long[] lengths;
        /** Example number of each shard's first record; one extra entry holds the total. */
        private final int[] first;
        private final CompactLabels labels;
        private final int recordBytes;
        private final long cacheBytes;
        private final double[] mean;
        private final double[] std;
        private final HadoopSettings hadoop;

        Index(String dirUri, DataShape shape, String[] files, long[] lengths, int[] first, CompactLabels labels,
              int recordBytes, long cacheBytes, double[] mean, double[] std, HadoopSettings hadoop) {
            this.mean = mean;
            this.std = std;
            this.dirUri = dirUri;
            this.shape = shape;
            this.files = files;
            this.lengths = lengths;
            this.first = first;
            this.labels = labels;
            this.recordBytes = recordBytes;
            this.cacheBytes = cacheBytes;
            this.hadoop = hadoop;
        }

        @Override
        public String name() {
            return dirUri;
        }

        @Override
        public double[] channelMean() {
            return mean.clone();
        }

        @Override
        public double[] channelStd() {
            return std.clone();
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
            int s = shardOf(example);
            return uri(s) + "#" + (example - first[s]);
        }

        String uri(int shard) {
            return PreparedManifest.child(dirUri, files[shard]);
        }

        int shardOf(int example) {
            if (example < 0 || example >= size()) {
                throw new IndexOutOfBoundsException("example " + example + " of " + size() + " in " + dirUri);
            }
            // Empty shards share their start with the next one; the last shard starting at or before the example
            // is the one holding it.
            int lo = 0;
            int hi = files.length - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (first[mid] <= example) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }

        @Override
        public ExampleReader open() throws IOException {
            Path dir = DataFile.path(dirUri);
            return new Reader(this, dir, DataFile.fileSystem(dirUri, dir, hadoop.toConfiguration()));
        }
    }

    /**
     * Reads records from shards cached whole or, past the budget, by positional reads. Each shard's state (its bytes
     * or its open stream) is settled once under the shard's own lock and then read without locking.
     */
    private static final class Reader implements ExampleReader {
        private final Index index;
        private final Path dir;
        private final FileSystem fs;
        /** Per shard: null until first touched, then its byte[] or the FSDataInputStream to read it with. */
        private final AtomicReferenceArray<Object> shards;
        private final Object[] locks;
        private final AtomicLong budget;

        Reader(Index index, Path dir, FileSystem fs) {
            this.index = index;
            this.dir = dir;
            this.fs = fs;
            this.shards = new AtomicReferenceArray<>(index.files.length);
            this.locks = new Object[index.files.length];
            Arrays.setAll(locks, i -> new Object());
            this.budget = new AtomicLong(index.cacheBytes);
        }

        @Override
        public LabelledImage read(int example) throws IOException {
            int s = index.shardOf(example);
            long position = (long) (example - index.first[s]) * index.recordBytes;
            Object shard = shard(s);
            byte[] record;
            int offset;
            if (shard instanceof byte[] whole) {
                record = whole;
                offset = (int) position;
            } else {
                record = new byte[index.recordBytes];
                offset = 0;
                try {
                    ((FSDataInputStream) shard).readFully(position, record);
                } catch (EOFException e) {
                    throw changed(s, e);
                }
            }
            return decode(example, s, record, offset);
        }

        private LabelledImage decode(int example, int s, byte[] bytes, int offset) {
            int label = ((bytes[offset] & 0xFF) << 24) | ((bytes[offset + 1] & 0xFF) << 16)
                    | ((bytes[offset + 2] & 0xFF) << 8) | (bytes[offset + 3] & 0xFF);
            if (label != index.labels.get(example)) {
                throw new InputException(index.describe(example) + ": record has label " + label + " but "
                        + PreparedManifest.LABELS_FILE + " says " + index.labels.get(example)
                        + "; the prepared dataset was changed after it was written");
            }
            DataShape shape = index.shape;
            int imageBytes = shape.imageLength();
            PixelImage image = new PixelImage(shape.channels(), shape.height(), shape.width(),
                    Arrays.copyOfRange(bytes, offset + 4, offset + 4 + imageBytes));
            PixelImage mask = null;
            if (shape.segmentation()) {
                int from = offset + 4 + imageBytes;
                mask = new PixelImage(1, shape.height(), shape.width(),
                        Arrays.copyOfRange(bytes, from, from + shape.height() * shape.width()));
            }
            return new LabelledImage(image, mask, label);
        }

        private Object shard(int s) throws IOException {
            Object state = shards.get(s);
            if (state != null) {
                return state;
            }
            synchronized (locks[s]) {
                state = shards.get(s);
                if (state == null) {
                    state = settle(s);
                    shards.set(s, state);
                }
                return state;
            }
        }

        /** Loads shard {@code s} if the budget still has room for it, else opens it for positional reads. */
        private Object settle(int s) throws IOException {
            long length = index.lengths[s];
            Path path = new Path(dir, index.files[s]);
            if (length <= MAX_ARRAY && reserve(length)) {
                byte[] data = new byte[(int) length];
                try (FSDataInputStream in = open(s, path)) {
                    in.readFully(data);
                } catch (EOFException e) {
                    budget.addAndGet(length);
                    throw changed(s, e);
                } catch (IOException | RuntimeException e) {
                    budget.addAndGet(length);
                    throw e;
                }
                return data;
            }
            return open(s, path);
        }

        private FSDataInputStream open(int s, Path path) throws IOException {
            try {
                return fs.open(path);
            } catch (FileNotFoundException e) {
                throw new InputException(index.uri(s) + ": missing; it was there when the dataset was planned", e);
            }
        }

        private boolean reserve(long length) {
            long left;
            do {
                left = budget.get();
                if (left < length) {
                    return false;
                }
            } while (!budget.compareAndSet(left, left - length));
            return true;
        }

        private InputException changed(int s, EOFException e) {
            return new InputException(index.uri(s) + ": shorter than the " + index.lengths[s]
                    + " bytes it had when the dataset was planned", e);
        }

        @Override
        public void close() throws IOException {
            IOException failure = null;
            for (int s = 0; s < shards.length(); s++) {
                Object state = shards.getAndSet(s, null);
                if (state instanceof FSDataInputStream in) {
                    try {
                        in.close();
                    } catch (IOException e) {
                        failure = e;
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
