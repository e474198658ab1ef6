package io.averon.ps;

import java.util.Arrays;

/**
 * How long the parameter server's steps took, from one step's completion to the next while workers were present, as
 * counts in logarithmic buckets: bucket 0 holds steps under {@link #FIRST_BOUND_MS}, bucket k each next half octave
 * (bounds grow by a factor of sqrt 2, so a bucket's figure is within 41% of the times it holds), the last bucket
 * everything above. Immutable; {@link #minus} gives the distribution of an interval, such as one epoch.
 */
public final class StepTimeHistogram
{
    /** Upper bound of bucket 0, in milliseconds. */
    public static final double FIRST_BOUND_MS = 0.25;
    /** Buckets: 0.25 ms x sqrt(2)^30 = 8.2 s is the last bounded one. */
    public static final int BUCKETS = 32;

    private final long[] counts;

    /** Takes {@code counts} over: every caller hands it a fresh array. */
    StepTimeHistogram(final long[] counts)
    {
        if (counts.length != BUCKETS)
        {
            throw new IllegalArgumentException("expected " + BUCKETS + " bucket counts, got " + counts.length);
        }
        this.counts = counts;
    }

    /** A histogram of the given counts, bucket by bucket (as read back from a metrics line). */
    public static StepTimeHistogram of(final long... counts)
    {
        return new StepTimeHistogram(Arrays.copyOf(counts, BUCKETS));
    }

    /** The bucket a step of {@code nanos} falls in. */
    static int bucket(final long nanos)
    {
        final double ms = nanos / 1e6;
        if (ms < FIRST_BOUND_MS)
        {
            return 0;
        }
        final int k = 1 + (int)Math.floor(2 * Math.log(ms / FIRST_BOUND_MS) / Math.log(2));
        return Math.min(k, BUCKETS - 1);
    }

    /** Upper bound of a bucket in milliseconds; infinity for the last. */
    public static double upperBoundMillis(final int bucket)
    {
        return bucket >= BUCKETS - 1 ? Double.POSITIVE_INFINITY : FIRST_BOUND_MS * Math.pow(2, bucket / 2.0);
    }

    /** Steps counted in a bucket. */
    public long count(final int bucket)
    {
        return counts[bucket];
    }

    /** Steps counted in all buckets. */
    public long total()
    {
        long total = 0;
        for (final long c : counts)
        {
            total += c;
        }
        return total;
    }

    /**
     * The upper bound (ms) of the bucket holding the {@code q}-quantile, an over-estimate by less than sqrt 2; NaN for
     * an empty histogram, the largest bounded bucket's bound for the open last bucket.
     */
    public double quantileMillis(final double q)
    {
        final long total = total();
        if (total == 0)
        {
            return Double.NaN;
        }
        final long rank = Math.max(1, (long)Math.ceil(q * total));
        long seen = 0;
        for (int k = 0; k < BUCKETS; k++)
        {
            seen += counts[k];
            if (seen >= rank)
            {
                return Math.min(upperBoundMillis(k), upperBoundMillis(BUCKETS - 2));
            }
        }
        return upperBoundMillis(BUCKETS - 2);
    }

    /** The steps counted here and not in {@code earlier} (a snapshot of the same server taken before). */
    public StepTimeHistogram minus(final StepTimeHistogram earlier)
    {
        final long[] difference = new long[BUCKETS];
        for (int k = 0; k < BUCKETS; k++)
        {
            difference[k] = counts[k] - earlier.counts[k];
        }
        return new StepTimeHistogram(difference);
    }

    /** The counts, bucket by bucket. */
    public long[] counts()
    {
        return counts.clone();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof StepTimeHistogram other && Arrays.equals(counts, other.counts);
    }

    @Override
    public int hashCode()
    {
        return Arrays.hashCode(counts);
    }

    @Override
    public String toString()
    {
        return "StepTimeHistogram" + Arrays.toString(counts);
    }
}
