package io.averon.ps;

import io.averon.ps.wire.FrameMac;
import io.averon.ps.wire.RunSecret;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
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

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * The authentication work of one synchronous step, all of it on one thread (so it is the CPU the MACs add per step,
 * and an upper bound on the latency they add, since the workers sign and verify in parallel): each of the W workers
 * signs its gradient's chunks, the server verifies them, signs the parameters' chunks once for every member, and
 * each worker verifies them. The wire's own FrameMac over the chunk sizes the wire uses, from direct buffers as the
 * frames are. {@code deploy/bench/mac-cost.sh} sets it beside a LeNet step of the main job measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class StepMacBench
{
    /** LeNet's 431,080 parameters by default; 25,000,000 for a ResNet-50-sized model. */
    @Param({"431080"})
    public int parameters;

    @Param({"2"})
    public int workers;

    @Param({"1048576"})
    public int chunkBytes;

    private UnsafeBuffer[] gradients;
    private UnsafeBuffer params;
    private final UnsafeBuffer macs = new UnsafeBuffer(new byte[FrameMac.LENGTH]);
    private FrameMac[] sessions;
    private FrameMac paramsMac;

    @Setup(Level.Trial)
    public void keys()
    {
        final SecureRandom random = new SecureRandom();
        final RunSecret secret = new RunSecret("benchmark-token");
        sessions = new FrameMac[workers];
        gradients = new UnsafeBuffer[workers];
        for (int w = 0; w < workers; w++)
        {
            sessions[w] = secret.sessionMac(w, RunSecret.newNonce(random), RunSecret.newNonce(random));
            gradients[w] = filled(random);
        }
        paramsMac = secret.paramsMac(RunSecret.newNonce(random));
        params = filled(random);
    }

    private UnsafeBuffer filled(final SecureRandom random)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(parameters * Float.BYTES, 64));
        final byte[] bytes = new byte[parameters * Float.BYTES];
        random.nextBytes(bytes);
        buffer.putBytes(0, bytes);
        return buffer;
    }

    @Benchmark
    public boolean macsOfOneStep()
    {
        boolean ok = true;
        final int length = parameters * Float.BYTES;
        for (int offset = 0; offset < length; offset += chunkBytes)
        {
            final int n = Math.min(chunkBytes, length - offset);
            for (int w = 0; w < workers; w++)
            {
                sessions[w].update(gradients[w], offset, n).sign(macs, 0);       // the worker signs its chunk
                ok &= sessions[w].update(gradients[w], offset, n).verify(macs, 0); // the server checks it
            }
            paramsMac.update(params, offset, n).sign(macs, 0);                   // the server signs once
            for (int w = 0; w < workers; w++)
            {
                ok &= paramsMac.update(params, offset, n).verify(macs, 0);       // each worker checks
            }
        }
        return ok;
    }
}
