package io.averon.jobs.data;

import java.io.Serializable;
import java.util.List;

/**
 * What one finished {@link ShardWriter} reports back to the driver: its file, how many records it holds and their
 * labels, how many of each class, the exact channel sums for the dataset's mean and standard deviation, and the bad
 * images it was told were left out. Small enough to collect one per shard (a few bytes per record for the labels);
 * {@link PreparedManifest#commit} turns the collected summaries into the dataset's manifest and labels file.
 */
public final class PreparedShard implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int index;
    private final String file;
    private final int[] labels;
    private final long[] classCounts;
    private final ChannelMoments moments;
    private final long skipped;
    // An array, not a List: Spark's Kryo rebuilds collections by adding to them, which immutable lists refuse.
    private final String[] skippedExamples;

    PreparedShard(int index, String file, int[] labels, long[] classCounts, ChannelMoments moments, long skipped,
                  List<String> skippedExamples) {
        this.index = index;
        this.file = file;
        this.labels = labels;
        this.classCounts = classCounts;
        this.moments = moments;
        this.skipped = skipped;
        this.skippedExamples = skippedExamples.toArray(new String[0]);
    }

    /** The shard's number, which orders shards (and so numbers examples) in the dataset. */
    public int index() {
        return index;
    }

    /** The shard file's name inside the prepared directory, e.g. {@code shard-00007.bin}. */
    public String file() {
        return file;
    }

    public int records() {
        return labels.length;
    }

    /** Bad images left out of this shard. */
    public long skipped() {
        return skipped;
    }

    int[] labels() {
        return labels;
    }

    /** Images per class, or for segmentation mask pixels per class (ignored pixels not counted). */
    long[] classCounts() {
        return classCounts;
    }

    ChannelMoments moments() {
        return moments;
    }

    /** The first few bad images' descriptions. */
    List<String> skippedExamples() {
        return List.of(skippedExamples);
    }

    @Override
    public String toString() {
        return file + " (" + records() + " records, " + skipped + " skipped)";
    }
}
