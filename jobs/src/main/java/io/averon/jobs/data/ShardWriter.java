package io.averon.jobs.data;

import io.averon.worker.data.BadImages;
import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.image.PixelImage;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes one shard of a prepared dataset on an executor: records of already preprocessed images (at the dataset's
 * target shape) appended in order, in the layout {@link PreparedManifest} documents. The file appears under its
 * final name only when {@link #finish()} succeeds: it is written under a hidden temporary name unique to this
 * writer and renamed at the end, so a failed or retried task never leaves a half shard where readers look. Should a
 * speculative or retried attempt of the same shard already have finished, its file is replaced; this assumes, as
 * Spark does, that a shard's content is a deterministic function of its input. {@link #close()} without
 * {@link #finish()} abandons the shard and deletes the temporary file. Not thread-safe: one writer per task.
 */
public final class ShardWriter implements Closeable {
    private static final int BUFFER = 1 << 20;

    private final FileSystem fs;
    private final Path target;
    private final Path temporary;
    private final int shardIndex;
    private final DataShape shape;
    private final DataOutputStream out;
    private final ChannelMoments moments;
    private final long[] classCounts;
    private int[] labels = new int[256];
    private int records;
    private long skipped;
    private final List<String> skippedExamples = new ArrayList<>();
    private boolean open = true;

    /**
     * Starts shard {@code shardIndex} of the prepared dataset in {@code dir} (created if need be).
     *
     * @param shape the stored shape: every image must be exactly {@code channels x height x width}
     */
    public ShardWriter(FileSystem fs, Path dir, int shardIndex, DataShape shape) throws IOException {
        if (shardIndex < 0) {
            throw new IllegalArgumentException("shard index must not be negative, was " + shardIndex);
        }
        this.fs = Objects.requireNonNull(fs, "fs");
        this.shape = Objects.requireNonNull(shape, "shape");
        this.shardIndex = shardIndex;
        this.target = new Path(dir, fileName(shardIndex));
        // The leading underscore hides the file from Hadoop input formats; the UUID keeps concurrent attempts apart.
        this.temporary = new Path(dir, "_tmp." + fileName(shardIndex) + "." + UUID.randomUUID());
        this.moments = new ChannelMoments(shape.channels());
        this.classCounts = new long[shape.classes()];
        this.out = new DataOutputStream(new BufferedOutputStream(fs.create(temporary, false), BUFFER));
    }

    /** The name of shard {@code shardIndex}'s file: {@code shard-00000.bin}, {@code shard-00001.bin}, ... */
    public static String fileName(int shardIndex) {
        return String.format("shard-%05d.bin", shardIndex);
    }

    /** Appends a classification example; {@code label} must be a class of the shape. */
    public void append(PixelImage image, int label) throws IOException {
        if (shape.segmentation()) {
            throw new IllegalArgumentException(target + " holds segmentation examples; append an image with its mask");
        }
        checkShape(image, shape.channels(), "image");
        if (label < 0 || label >= shape.classes()) {
            throw new IllegalArgumentException(target + ": label " + label + " of record " + records
                    + " is out of range for " + shape.classes() + " classes");
        }
        write(label, image, null);
        classCounts[label]++;
    }

    /** Appends a segmentation example; mask samples are class ids of the shape or 255 (ignore). */
    public void append(PixelImage image, PixelImage mask) throws IOException {
        if (!shape.segmentation()) {
            throw new IllegalArgumentException(target + " holds classification examples; append an image with its"
                    + " label");
        }
        checkShape(image, shape.channels(), "image");
        checkShape(mask, 1, "mask");
        byte[] ids = mask.samples();
        long[] counts = new long[shape.classes()];
        for (byte id : ids) {
            int v = id & 0xFF;
            if (v == BatchPipeline.IGNORE) {
                continue;
            }
            if (v >= shape.classes()) {
                throw new IllegalArgumentException(target + ": mask of record " + records + " has class id " + v
                        + ", out of range for " + shape.classes() + " classes (" + BatchPipeline.IGNORE
                        + " = ignore)");
            }
            counts[v]++;
        }
        write(-1, image, mask);
        for (int c = 0; c < counts.length; c++) {
            classCounts[c] += counts[c];
        }
    }

    /** Appends {@code example} with its label or its mask, whichever the shape calls for. */
    public void append(LabelledImage example) throws IOException {
        if (shape.segmentation()) {
            if (example.mask() == null) {
                throw new IllegalArgumentException(target + ": record " + records + " has no mask, but the dataset"
                        + " is a segmentation dataset");
            }
            append(example.image(), example.mask());
        } else {
            append(example.image(), example.label());
        }
    }

    /** Counts a bad image that was left out of this shard; the first few descriptions reach the manifest. */
    public void skipped(String description) {
        skipped++;
        if (skippedExamples.size() < BadImages.KEPT) {
            skippedExamples.add(description);
        }
    }

    /** Records appended so far. */
    public int records() {
        return records;
    }

    /**
     * Flushes and closes the shard and moves it to its final name.
     *
     * @return the shard's summary for {@link PreparedManifest#commit}
     */
    public PreparedShard finish() throws IOException {
        if (!open) {
            throw new IllegalStateException(target + " is already finished or closed");
        }
        open = false;
        try {
            out.close();
            if (!fs.rename(temporary, target)) {
                // HDFS refuses to rename over an existing file: another attempt of this shard finished first.
                if (!fs.exists(target) || !fs.delete(target, false) || !fs.rename(temporary, target)) {
                    throw new IOException("cannot rename " + temporary + " to " + target);
                }
            }
        } catch (IOException | RuntimeException e) {
            discard(e);
            throw e;
        }
        return new PreparedShard(shardIndex, target.getName(), Arrays.copyOf(labels, records), classCounts,
                moments, skipped, skippedExamples);
    }

    /** Abandons the shard unless {@link #finish()} completed: its temporary file is deleted. */
    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        try {
            out.close();
        } finally {
            fs.delete(temporary, false);
        }
    }

    private void discard(Exception cause) {
        try {
            fs.delete(temporary, false);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    private void checkShape(PixelImage image, int channels, String what) {
        Objects.requireNonNull(image, what);
        if (image.channels() != channels || image.height() != shape.height() || image.width() != shape.width()) {
            throw new IllegalArgumentException(target + ": " + what + " of record " + records + " is " + image
                    + ", the dataset stores " + channels + "x" + shape.height() + "x" + shape.width());
        }
    }

    private void write(int label, PixelImage image, PixelImage mask) throws IOException {
        if (!open) {
            throw new IllegalStateException(target + " is already finished or closed");
        }
        out.writeInt(label);
        out.write(image.samples());
        if (mask != null) {
            out.write(mask.samples());
        }
        moments.add(image);
        if (records == labels.length) {
            labels = Arrays.copyOf(labels, labels.length * 2);
        }
        labels[records++] = label;
    }
}
