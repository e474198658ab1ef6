package io.averon.jobs.data;

import io.averon.worker.image.PixelImage;
import java.io.Serializable;
import java.math.BigInteger;

/**
 * Per-channel sums of 8-bit samples and of their squares, kept as exact integers so that shards merged in any order
 * give the same mean and standard deviation to the last bit; the floating-point division happens once, at the end.
 * Exact up to about 1.4e14 samples per channel (the square sum's long); beyond that adding fails loudly.
 */
final class ChannelMoments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int channels;
    private long samples;
    private final long[] sum;
    private final long[] squares;

    ChannelMoments(int channels) {
        this.channels = channels;
        this.sum = new long[channels];
        this.squares = new long[channels];
    }

    int channels() {
        return channels;
    }

    /** Samples per channel added so far. */
    long samples() {
        return samples;
    }

    void add(PixelImage image) {
        if (image.channels() != channels) {
            throw new IllegalArgumentException("moments of " + channels + " channels cannot take a " + image
                    + " image");
        }
        byte[] s = image.samples();
        int plane = image.height() * image.width();
        for (int c = 0; c < channels; c++) {
            long total = 0;
            long square = 0;
            for (int i = c * plane, end = i + plane; i < end; i++) {
                int v = s[i] & 0xFF;
                total += v;
                square += v * v;
            }
            sum[c] += total;
            squares[c] = Math.addExact(squares[c], square);
        }
        samples += plane;
    }

    void merge(ChannelMoments other) {
        if (other.channels != channels) {
            throw new IllegalArgumentException("cannot merge moments of " + other.channels + " channels into "
                    + channels);
        }
        samples = Math.addExact(samples, other.samples);
        for (int c = 0; c < channels; c++) {
            sum[c] = Math.addExact(sum[c], other.sum[c]);
            squares[c] = Math.addExact(squares[c], other.squares[c]);
        }
    }

    /** Mean of channel {@code c} over samples scaled to [0, 1]; 0 when empty. */
    float mean(int c) {
        return samples == 0 ? 0f : (float) ((double) sum[c] / samples / 255.0);
    }

    /** Population standard deviation of channel {@code c} over samples scaled to [0, 1]; 0 when empty. */
    float std(int c) {
        if (samples == 0) {
            return 0f;
        }
        // n * sum(v^2) - (sum v)^2 is exact in BigInteger and never negative, unlike E[v^2] - E[v]^2 in doubles.
        BigInteger n = BigInteger.valueOf(samples);
        BigInteger s = BigInteger.valueOf(sum[c]);
        BigInteger spread = n.multiply(BigInteger.valueOf(squares[c])).subtract(s.multiply(s));
        double variance = spread.doubleValue() / ((double) samples * samples);
        return (float) (Math.sqrt(variance) / 255.0);
    }
}
