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
     * Write the weighted mean of the collected gradients.
     *
     * @param mean destination, one entry per parameter.
     */
    void average(final float[] mean)
    {
        final int count = contributors;
        final double total = totalBatchSize;
        final float[][] gradients = this.gradients;
        final double[] weights = this.weights;
        for (int j = 0, length = mean.length; j < length; j++)
        {
            double sum = 0;
            for (int k = 0; k < count; k++)
            {
                sum += weights[k] * gradients[k][j];
            }
            mean[j] = (float)(sum / total);
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
