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

import java.util.concurrent.TimeUnit;

/**
 * The update part of one synchronous step of a 25M-float model as the server applies it ({@link UpdateHarness}):
 * {@link #update} (averaging of W gradients, Adam, the finiteness pass) against its physical limit
 * {@link #memoryPass} (one pass over the arrays it must read and write), and {@link #averageOnly}, the share of
 * the server's step that the transport benchmark's do-nothing rule still pays.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class StepUpdateBench
{
    @Param({"1", "2"})
    public int workers;

    @Param({"25000000"})
    public int parameters;

    private UpdateHarness harness;

    @Setup(Level.Trial)
    public void allocate()
    {
        harness = new UpdateHarness(parameters, workers);
    }

    @Benchmark
    public float update()
    {
        return harness.update();
    }

    @Benchmark
    public float averageOnly()
    {
        return harness.averageOnly();
    }

    @Benchmark
    public float memoryPass()
    {
        return harness.memoryPass();
    }
}
