package io.averon.ps;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The blocked, vectorisable average against the formula written out in {@link Fixtures#weightedMean}, bit for bit,
 * over the values that catch a changed summation: negative zeros, subnormals, mixed magnitudes, sums that overflow
 * float, random bit patterns, lengths around the block size, one to four contributors, and batch sizes up to 2^30
 * (where a single contributor's product is no longer exact in double); two equal power-of-two batches take the float
 * pass with its per-block fallback, which a second test drives through many blocks of each kind.
 */
class GradientAggregatorTest
{
    private static float value(final SplittableRandom random)
    {
        return switch (random.nextInt(10))
        {
            case 8 -> Float.MAX_VALUE * (float)random.nextDouble(0.4, 1) * (random.nextBoolean() ? 1 : -1);
            case 9 -> finiteBits(random);
            case 0 -> -0.0f;
            case 1 -> 0.0f;
            case 2 -> Float.MIN_VALUE * (1 + random.nextInt(1000)) * (random.nextBoolean() ? 1 : -1);
            case 3 -> (float)(random.nextDouble(-1, 1) * 1e30);
            default -> (float)random.nextDouble(-1, 1) * (float)Math.pow(10, random.nextInt(-8, 4));
        };
    }

    /** Any finite float: every exponent, tiny and huge, equally often. */
    private static float finiteBits(final SplittableRandom random)
    {
        float f;
        do
        {
            f = Float.intBitsToFloat(random.nextInt());
        }
        while (!Float.isFinite(f));
        return f;
    }

    @Test
    void theBlockedAverageIsTheFormulaBitForBit()
    {
        final SplittableRandom random = new SplittableRandom(8);
        final int[] lengths = { 1, 7, 2047, 2048, 2049, 10_001 };
        // Totals that are powers of two (multiplied by the reciprocal) and others (divided), for one, two (the fused
        // pass) and more contributors (the blocked one).
        final int[][] batchSets = { { 1 }, { 64 }, { 1 << 30 }, { (1 << 29) + 1 }, { 3, 5 }, { 5, 6 }, { 32, 32 },
            { 1 << 30, 1 << 30 }, { 1, 1 << 20, 7 }, { 64, 64, 128 }, { 7, 9, 100 }, { 64, 64, 64, 64 } };
        final GradientAggregator aggregator = new GradientAggregator();
        for (final int length : lengths)
        {
            for (final int[] batches : batchSets)
            {
                final float[][] gradients = new float[batches.length][length];
                final WorkerSession[] members = new WorkerSession[batches.length];
                for (int k = 0; k < batches.length; k++)
                {
                    for (int j = 0; j < length; j++)
                    {
                        gradients[k][j] = value(random);
                    }
                    members[k] = new WorkerSession(k, k + 1, "test:" + k, false, null, null, gradients[k], null, 0);
                    members[k].beginAssembly(5, 1, batches[k], 0.5);
                    members[k].advanceAssembly(length);
                    members[k].contribute(5);
                }
                assertEquals(batches.length, aggregator.collect(members, members.length, 5));
                final float[] mean = new float[length];
                aggregator.average(mean);
                final float[] expected = Fixtures.weightedMean(gradients, batches);
                for (int j = 0; j < length; j++)
                {
                    assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(mean[j]),
                        "length " + length + ", batches " + java.util.Arrays.toString(batches) + ", index " + j +
                        ": expected " + expected[j] + ", got " + mean[j]);
                }
                aggregator.release();
            }
        }
    }

    @Test
    void twoEqualBatchesInFloatAreTheFormulaBitForBitInEveryBlock()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final int length = 64 * 2048 + 5;
        final float[][] gradients = new float[2][length];
        for (int j = 0; j < length; j++)
        {
            // Most blocks of ordinary gradients (the float pass), some with one value that forces the fallback.
            final boolean odd = random.nextInt(20_000) == 0;
            gradients[0][j] = odd ? value(random) : (float)random.nextGaussian() * 1e-3f;
            gradients[1][j] = odd ? finiteBits(random) : (float)random.nextGaussian() * 1e-3f;
        }
        for (final int batch : new int[] { 1, 64, 1 << 30 })
        {
            final WorkerSession[] members = new WorkerSession[2];
            for (int k = 0; k < 2; k++)
            {
                members[k] = new WorkerSession(k, k + 1, "test:" + k, false, null, null, gradients[k], null, 0);
                members[k].beginAssembly(5, 1, batch, 0.5);
                members[k].advanceAssembly(length);
                members[k].contribute(5);
            }
            final GradientAggregator aggregator = new GradientAggregator();
            assertEquals(2, aggregator.collect(members, 2, 5));
            final float[] mean = new float[length];
            aggregator.average(mean);
            final float[] expected = Fixtures.weightedMean(gradients, new int[] { batch, batch });
            for (int j = 0; j < length; j++)
            {
                assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(mean[j]),
                    "batch " + batch + ", index " + j + ": " + gradients[0][j] + " and " + gradients[1][j] +
                    ": expected " + expected[j] + ", got " + mean[j]);
            }
        }
    }
}
