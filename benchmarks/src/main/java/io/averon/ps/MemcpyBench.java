package io.averon.ps;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The physical limit of {@link StepTransportBench}: the bytes one step moves (W gradients of 4P bytes from the
 * workers to the server, one parameter set of 4P bytes from the server to each of the W workers: 2 x W x 4P bytes)
 * copied once each with {@code System.arraycopy}, between distinct arrays far larger than the caches, on one thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class MemcpyBench
{
    @Param({"1", "2"})
    public int workers;

    @Param({"25000000"})
    public int parameters;

    private float[][] workerGradients;
    private float[][] serverGradients;
    private float[] serverParameters;
    private float[][] workerParameters;

    @Setup(Level.Trial)
    public void allocate()
    {
        workerGradients = new float[workers][parameters];
        serverGradients = new float[workers][parameters];
        serverParameters = new float[parameters];
        workerParameters = new float[workers][parameters];
        for (int w = 0; w < workers; w++)
        {
            Arrays.fill(workerGradients[w], 1e-3f * (w + 1));
            Arrays.fill(serverGradients[w], 0f);
            Arrays.fill(workerParameters[w], 0f);
        }
        Arrays.fill(serverParameters, 0.5f);
    }

    @Benchmark
    public float memcpy()
    {
        for (int w = 0; w < workers; w++)
        {
            System.arraycopy(workerGradients[w], 0, serverGradients[w], 0, parameters);
        }
        for (int w = 0; w < workers; w++)
        {
            System.arraycopy(serverParameters, 0, workerParameters[w], 0, parameters);
        }
        return workerParameters[workers - 1][parameters - 1] + serverGradients[0][0];
    }
}
