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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The transport part of one synchronous step of a 25M-float (ResNet-50-sized) model: W gradients in, one parameter
 * set out to each of the W workers, with the wire encoding and decoding on both sides, through a real server and
 * real clients ({@link TransportHarness}), over Aeron IPC and over loopback UDP. Its limit is
 * {@link MemcpyBench}: one plain copy of the same bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class StepTransportBench
{
    @Param({"ipc", "udp"})
    public String media;

    @Param({"1", "2"})
    public int workers;

    @Param({"25000000"})
    public int parameters;

    private TransportHarness harness;

    @Setup(Level.Trial)
    public void start()
    {
        harness = new TransportHarness(parameters, workers,
            ClientConfig.Media.valueOf(media.toUpperCase(Locale.ROOT)));
    }

    @TearDown(Level.Trial)
    public void stop()
    {
        if (harness != null)
        {
            harness.close();
            harness = null;
        }
    }

    @Benchmark
    public long transport()
    {
        return harness.step();
    }
}
