package io.averon.ps;

/**
 * Adam as a plain Java {@link UpdateRule} over float arrays, with DL4J's formulation and defaults (learning rate 1e-3,
 * beta1 0.9, beta2 0.999, epsilon 1e-8, bias correction folded into the step size):
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)}.
 * It stands in for the project's DL4J-backed rule (worker module), which this module cannot depend on: it reads and
 * writes exactly the arrays any Adam must (mean gradient, parameters, m, v) in one fused pass, so it measures what
 * the server's update costs when the optimizer itself is not the bottleneck.
 */
final class AdamRule implements UpdateRule
{
    private static final double LEARNING_RATE = 1e-3;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final float EPSILON = 1e-8f;

    private final float[] m;
    private final float[] v;

    AdamRule(final int parameterCount)
    {
        m = new float[parameterCount];
        v = new float[parameterCount];
    }

    @Override
    public void apply(final float[] parameters, final float[] meanGradient, final int globalBatchSize, final long step)
    {
        final double t = step + 1;
        final float stepSize = (float)(LEARNING_RATE * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t)));
        final float b1 = (float)BETA1;
        final float b2 = (float)BETA2;
        final float c1 = 1 - b1;
        final float c2 = 1 - b2;
        final float[] m = this.m;
        final float[] v = this.v;
        for (int j = 0, n = parameters.length; j < n; j++)
        {
            final float g = meanGradient[j];
            final float mj = b1 * m[j] + c1 * g;
            final float vj = b2 * v[j] + c2 * g * g;
            m[j] = mj;
            v[j] = vj;
            parameters[j] -= stepSize * mj / ((float)Math.sqrt(vj) + EPSILON);
        }
    }
}
