package io.averon.ps;

import java.util.SplittableRandom;

/**
 * The update part of one synchronous step exactly as {@code ParameterServerAgent.completeStep} runs it on the agent
 * thread, without any transport: {@link GradientAggregator#collect} over W members whose gradient buffers are full,
 * {@link GradientAggregator#average} into the mean gradient, the {@link UpdateRule} (here {@link AdamRule}), and the
 * server's finiteness pass over the updated parameters. Beside it, the physical limit: one fused pass that reads the
 * W gradients and the optimizer's three arrays (parameters, m, v) and writes the three back, which is the least
 * memory traffic any implementation of averaging + Adam needs.
 */
final class UpdateHarness
{
    private static final int BATCH = 64;

    private final WorkerSession[] members;
    private final GradientAggregator aggregator = new GradientAggregator();
    private final float[] parameters;
    private final float[] meanGradient;
    private final UpdateRule rule;
    private final float[] m;
    private final float[] v;
    private long step;

    UpdateHarness(final int parameterCount, final int workers)
    {
        final SplittableRandom random = new SplittableRandom(42);
        members = new WorkerSession[workers];
        for (int w = 0; w < workers; w++)
        {
            final float[] gradient = new float[parameterCount];
            for (int j = 0; j < parameterCount; j++)
            {
                gradient[j] = (float)(random.nextDouble() - 0.5) * 1e-2f;
            }
            // No publication or feed: the update part never sends.
            members[w] = new WorkerSession(w, w + 1, "bench:" + w, false, null, null, gradient, null, System.nanoTime());
        }
        parameters = new float[parameterCount];
        for (int j = 0; j < parameterCount; j++)
        {
            parameters[j] = (float)(random.nextDouble() - 0.5) * 0.1f;
        }
        meanGradient = new float[parameterCount];
        rule = new AdamRule(parameterCount);
        m = new float[parameterCount];
        v = new float[parameterCount];
    }

    /** Averaging, Adam and the finiteness pass of one step; returns a value that depends on the result. */
    float update()
    {
        final long completing = contribute();
        aggregator.collect(members, members.length, completing);
        aggregator.average(meanGradient);
        rule.apply(parameters, meanGradient, (int)aggregator.totalBatchSize(), completing);
        final boolean finite = allFinite(parameters);
        aggregator.release();
        return finite ? parameters[0] : Float.NaN;
    }

    /**
     * What the server does around a rule that does nothing (the transport benchmark's): averaging and the finiteness
     * pass, to be told apart from the transport figure.
     */
    float averageOnly()
    {
        final long completing = contribute();
        aggregator.collect(members, members.length, completing);
        aggregator.average(meanGradient);
        final boolean finite = allFinite(parameters);
        aggregator.release();
        return finite ? meanGradient[0] : Float.NaN;
    }

    /**
     * The memory limit of {@link #update}: one pass reading every gradient, the parameters, m and v, writing the
     * parameters, m and v, with trivial arithmetic so that the loop is bound by memory, not by compute.
     */
    float memoryPass()
    {
        final float[] p = parameters;
        final float[] m = this.m;
        final float[] v = this.v;
        final int n = p.length;
        if (members.length == 1)
        {
            final float[] g0 = members[0].gradient;
            for (int j = 0; j < n; j++)
            {
                final float g = g0[j];
                m[j] += g;
                v[j] += g;
                p[j] -= g;
            }
        }
        else if (members.length == 2)
        {
            final float[] g0 = members[0].gradient;
            final float[] g1 = members[1].gradient;
            for (int j = 0; j < n; j++)
            {
                final float g = g0[j] + g1[j];
                m[j] += g;
                v[j] += g;
                p[j] -= g;
            }
        }
        else
        {
            for (int j = 0; j < n; j++)
            {
                float g = 0;
                for (final WorkerSession member : members)
                {
                    g += member.gradient[j];
                }
                m[j] += g;
                v[j] += g;
                p[j] -= g;
            }
        }
        return p[0] + m[n - 1] + v[n / 2];
    }

    long step()
    {
        return step;
    }

    /** Every member has delivered its full gradient for the next step, as after the last chunk arrived. */
    private long contribute()
    {
        final long completing = step++;
        for (final WorkerSession member : members)
        {
            member.beginAssembly(completing, 1, BATCH, 0.5);
            member.contribute(completing);
        }
        return completing;
    }

    private static boolean allFinite(final float[] values)
    {
        for (final float value : values)
        {
            if (!Float.isFinite(value))
            {
                return false;
            }
        }
        return true;
    }
}
