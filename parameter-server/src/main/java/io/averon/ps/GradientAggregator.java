package io.averon.ps;

/**
 * Averages the gradients contributed to one step, weighted by batch size, in a fixed order so that the result is
 * bit-for-bit reproducible whatever order the gradients arrived in:
 * {@code mean[j] = (float)((sum over contributors k in ascending workerId of (double)b_k * (double)g_k[j]) / B)}
 * with {@code B = sum b_k}. Accumulating in double also makes a single contributor's gradient come back exactly.
 * Reuses its arrays; it allocates only when membership grows.
 */
final class GradientAggregator
{
    /** Parameters per block: 2,048 doubles of sums plus a slice of each gradient stay in a 32 KiB L1 cache. */
    private static final int BLOCK = 2048;
    private static final double EXACT_SINGLE_WEIGHT = 1 << 29;

    private final double[] sums = new double[BLOCK];
    private float[][] gradients = new float[8][];
    private double[] weights = new double[8];
    private double[] losses = new double[8];
    private int contributors;
    private long totalBatchSize;
    private double meanLoss;

    /**
     * Gather the contributions to a step.
     *
     * @param members     sessions sorted by ascending worker id.
     * @param memberCount number of sessions in members.
     * @param step        step being completed.
     * @return number of contributors.
     */
    int collect(final WorkerSession[] members, final int memberCount, final long step)
    {
        if (gradients.length < memberCount)
        {
            gradients = new float[memberCount][];
            weights = new double[memberCount];
            losses = new double[memberCount];
        }

        int count = 0;
        long total = 0;
        for (int i = 0; i < memberCount; i++)
        {
            final WorkerSession member = members[i];
            if (member.hasContributed(step))
            {
                gradients[count] = member.gradient;
                weights[count] = member.contributedBatchSize();
                losses[count] = member.contributedLoss();
                total += member.contributedBatchSize();
                count++;
            }
        }
        for (int i = count; i < gradients.length; i++)
        {
            gradients[i] = null;
        }

        double lossSum = 0;
        for (int k = 0; k < count; k++)
        {
            lossSum += weights[k] * losses[k];
        }

        contributors = count;
        totalBatchSize = total;
        meanLoss = count > 0 ? lossSum / total : Double.NaN;
        return count;
    }

    long totalBatchSize()
    {
        return totalBatchSize;
    }

    double meanLoss()
    {
        return meanLoss;
    }

    /**
     * Write the weighted mean of the collected gradients. The parameters are taken in blocks that stay in the L1
     * cache, and within a block the contributors one after the other, so that each inner loop is a plain pass over
     * arrays that the JIT vectorises; every parameter still sums its contributors in ascending worker id from 0.0, so
     * the result is the formula's bit for bit.
     *
     * @param mean destination, one entry per parameter.
     */
    void average(final float[] mean)
    {
        final int count = contributors;
        final int length = mean.length;
        final float[][] gradients = this.gradients;
        final double[] weights = this.weights;
        if (count == 1 && weights[0] <= EXACT_SINGLE_WEIGHT)
        {
            // (double)b * g is exact when b < 2^29 (24 + 29 bits fit a double), so dividing by b gives g back; the
            // sum's start of +0.0 turns a -0.0 into +0.0, which adding 0.0f reproduces.
            final float[] gradient = gradients[0];
            for (int j = 0; j < length; j++)
            {
                mean[j] = gradient[j] + 0.0f;
            }
            return;
        }
        final double total = totalBatchSize;
        // Dividing by a power of two only moves the exponent, and the sums are far from double's subnormal range, so
        // multiplying by its exact reciprocal gives the quotient bit for bit; the multiply vectorises, the division
        // does not. Any other total is divided, as the formula says.
        final boolean powerOfTwo = Long.bitCount(totalBatchSize) == 1;
        final double reciprocal = 1.0 / total;
        if (count == 2)
        {
            // The common case gets one pass with no intermediate array: ((0.0 + b0 g0) + b1 g1) / B, in that order.
            final float[] g0 = gradients[0];
            final float[] g1 = gradients[1];
            final double w0 = weights[0];
            final double w1 = weights[1];
            if (powerOfTwo && w0 == w1)
            {
                averageTwoEqual(g0, g1, mean, w0, reciprocal);
            }
            else if (powerOfTwo)
            {
                averageTwo(g0, g1, mean, w0, w1, reciprocal, 0, length);
            }
            else
            {
                for (int j = 0; j < length; j++)
                {
                    mean[j] = (float)((w0 * g0[j] + 0.0 + w1 * g1[j]) / total);
                }
            }
            return;
        }
        final double[] sums = this.sums;
        for (int from = 0; from < length; from += BLOCK)
        {
            final int n = Math.min(BLOCK, length - from);
            final float[] first = gradients[0];
            final double firstWeight = weights[0];
            for (int i = 0; i < n; i++)
            {
                sums[i] = firstWeight * first[from + i] + 0.0;
            }
            for (int k = 1; k < count; k++)
            {
                final float[] gradient = gradients[k];
                final double weight = weights[k];
                for (int i = 0; i < n; i++)
                {
                    sums[i] += weight * gradient[from + i];
                }
            }
            if (powerOfTwo)
            {
                for (int i = 0; i < n; i++)
                {
                    mean[from + i] = (float)(sums[i] * reciprocal);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    mean[from + i] = (float)(sums[i] / total);
                }
            }
        }
    }

    /**
     * Two contributors of the same power-of-two batch size, the usual step, in float arithmetic: the formula then
     * equals (g0 + g1) / 2 rounded once to float, and so does fl(g0 + g1) * 0.5f whenever that halving is exact (a
     * double sum of two floats is exact unless their exponents differ by more than 29, and then both sides round to
     * the larger one). The halving is inexact only when the float sum overflows or falls below 2^-125, which a
     * max-reduction of |2r - s| detects per block without a branch in the loop; such a block is averaged again with the
     * formula. Floats convert to doubles and back at about a third of the memory bandwidth here, so this pass is about
     * 1.6x faster than the formula's.
     */
    private static void averageTwoEqual(
        final float[] g0, final float[] g1, final float[] mean, final double weight, final double reciprocal)
    {
        final int length = mean.length;
        for (int from = 0; from < length; from += BLOCK)
        {
            final int to = Math.min(length, from + BLOCK);
            float inexact = 0.0f;
            for (int j = from; j < to; j++)
            {
                final float sum = g0[j] + g1[j];
                final float half = sum * 0.5f;
                // The formula's sum starts from +0.0, so a -0.0 average comes out as +0.0.
                mean[j] = half + 0.0f;
                inexact = Math.max(inexact, Math.abs(half * 2.0f - sum));
            }
            if (inexact != 0.0f) // also NaN: an overflowed sum gives infinity - infinity
            {
                averageTwo(g0, g1, mean, weight, weight, reciprocal, from, to);
            }
        }
    }

    /** The formula for two contributors and a power-of-two total, over [from, to): ((0.0 + w0 g0) + w1 g1) / B. */
    private static void averageTwo(
        final float[] g0,
        final float[] g1,
        final float[] mean,
        final double w0,
        final double w1,
        final double reciprocal,
        final int from,
        final int to)
    {
        for (int j = from; j < to; j++)
        {
            mean[j] = (float)((w0 * g0[j] + 0.0 + w1 * g1[j]) * reciprocal);
        }
    }

    /** Drop references to gradient buffers so that departed workers' buffers can be collected. */
    void release()
    {
        for (int i = 0; i < gradients.length; i++)
        {
            gradients[i] = null;
        }
    }
}
