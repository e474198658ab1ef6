package io.averon.ps;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The blocked, vectorisable average against the formula written out in {@link Fixtures#weightedMean}, bit for bit,
 * over the values that catch a changed summation: negative zeros, subnormals, mixed magnitudes, lengths around the
 * block size, one to four contributors, and batch sizes up to 2^30 (where a single contributor's product is no longer
 * exact in double).
 */
class GradientAggregatorTest
{
    private static float value(final SplittableRandom random)
    {
        return switch (random.nextInt(8))
        {
            case 0 -> -0.0f;
            case 1 -> 0.0f;
            case 2 -> Float.MIN_VALUE * (1 + random.nextInt(1000)) * (random.nextBoolean() ? 1 : -1);
            case 3 -> (float)(random.nextDouble(-1, 1) * 1e30);
            default -> (float)random.nextDouble(-1, 1) * (float)Math.pow(10, random.nextInt(-8, 4));
        };
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
}
