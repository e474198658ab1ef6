package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;

import java.io.Serializable;

/**
 * Per-channel mean and standard deviation of a dataset's raw samples scaled to [0, 1], for the normalisation values a
 * dataset manifest records and {@link AugmentSpec.Builder#normalize(double[], double[])} takes. Statistics are over
 * every sample of every added image at its stored size (no resize or crop), so large images weigh more than small
 * ones. The standard deviation is the population one (divide by n).
 *
 * <p>Keeps a 256-bin histogram per channel rather than running sums: adding is one increment per sample, the result
 * is exact whatever the order, and partial statistics from Spark partitions {@link #merge(ChannelStats) merge} by
 * adding counts. Not thread-safe.
 */
public final class ChannelStats implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int channels;
    private final long[][] counts;

    public ChannelStats(int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive, was " + channels);
        }
        this.channels = channels;
        this.counts = new long[channels][256];
    }

    public int channels() {
        return channels;
    }

    /** Samples seen per channel. */
    public long count() {
        long n = 0;
        for (long k : counts[0]) {
            n += k;
        }
        return n;
    }

    public ChannelStats add(PixelImage image) {
        if (image.channels() != channels) {
            throw new IllegalArgumentException("image has " + image.channels() + " channels, these statistics have "
                    + channels);
        }
        byte[] s = image.samples();
        int plane = image.height() * image.width();
        for (int c = 0; c < channels; c++) {
            long[] h = counts[c];
            int end = (c + 1) * plane;
            for (int i = c * plane; i < end; i++) {
                h[s[i] & 0xFF]++;
            }
        }
        return this;
    }

    /** Adds {@code other}'s samples into this one. */
    public ChannelStats merge(ChannelStats other) {
        if (other.channels != channels) {
            throw new IllegalArgumentException("cannot merge statistics of " + other.channels + " channels into "
                    + channels);
        }
        for (int c = 0; c < channels; c++) {
            for (int v = 0; v < 256; v++) {
                counts[c][v] += other.counts[c][v];
            }
        }
        return this;
    }

    /** Per-channel mean of sample / 255. */
    public double[] mean() {
        long n = nonEmptyCount();
        double[] mean = new double[channels];
        for (int c = 0; c < channels; c++) {
            long sum = 0;
            for (int v = 0; v < 256; v++) {
                sum += counts[c][v] * v;
            }
            mean[c] = sum / (double) n / 255.0;
        }
        return mean;
    }

    /** Per-channel population standard deviation of sample / 255. */
    public double[] std() {
        double[] mean = mean();
        long n = nonEmptyCount();
        double[] std = new double[channels];
        for (int c = 0; c < channels; c++) {
            double m = mean[c] * 255.0;
            double sq = 0;
            for (int v = 0; v < 256; v++) {
                double d = v - m;
                sq += counts[c][v] * d * d;
            }
            std[c] = Math.sqrt(sq / n) / 255.0;
        }
        return std;
    }

    private long nonEmptyCount() {
        long n = count();
        if (n == 0) {
            throw new IllegalStateException("no images added: mean and std are undefined");
        }
        return n;
    }
}
