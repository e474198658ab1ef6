package io.averon.ps;

import java.io.File;
import java.net.DatagramSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared test fixtures: small transport settings so that tests stay light on a two-core machine, client configs
 * that share the server's media driver, an update rule that records what it was given, and polling waits.
 */
final class Fixtures
{
    static final String TOKEN = "test-secret";
    /** Small terms keep /dev/shm use low; 1 MiB terms allow chunks up to 128 KiB. */
    static final int SMALL_TERM = 1024 * 1024;
    /** Publications to one endpoint from one media driver must agree on socket buffers; all tests use this. */
    static final int SOCKET_BUFFER = 1024 * 1024;

    private Fixtures()
    {
    }

    static ParameterServerConfig.Builder serverConfig()
    {
        return ParameterServerConfig.builder()
            .token(TOKEN)
            .termLength(SMALL_TERM)
            .chunkBytes(64 * 1024)
            .socketBufferBytes(SOCKET_BUFFER);
    }

    static ClientConfig.Builder clientConfig(final ParameterServer server, final int workerId)
    {
        return ClientConfig.builder()
            .serverEndpoint(server.endpoint())
            .token(TOKEN)
            .workerId(workerId)
            .aeronDirectory(server.aeronDirectory())
            .termLength(SMALL_TERM)
            .chunkBytes(64 * 1024)
            .socketBufferBytes(SOCKET_BUFFER)
            .connectTimeoutMs(10_000)
            .responseTimeoutMs(20_000);
    }

    /**
     * The averaging formula the server documents, written out independently: weighted sum in double over workers in
     * ascending id order (callers pass them in that order), divided by the total batch, rounded to float.
     */
    static float[] weightedMean(final float[][] gradients, final int[] batchSizes)
    {
        final int length = gradients[0].length;
        long total = 0;
        for (final int batch : batchSizes)
        {
            total += batch;
        }
        final float[] mean = new float[length];
        for (int j = 0; j < length; j++)
        {
            double sum = 0;
            for (int k = 0; k < gradients.length; k++)
            {
                sum += (double)batchSizes[k] * (double)gradients[k][j];
            }
            mean[j] = (float)(sum / total);
        }
        return mean;
    }

    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            try
            {
                Thread.sleep(5);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static int unusedUdpPort() throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1")))
        {
            return socket.getLocalPort();
        }
    }

    static void assertDirectoryGone(final String directory)
    {
        assertFalse(new File(directory).exists(), "aeron directory " + directory + " still exists after close");
    }

    /**
     * Runs each client's exchange on its own thread, since exchange blocks until the step completes.
     */
    static final class ConcurrentExchange implements AutoCloseable
    {
        private final ExecutorService executor = Executors.newCachedThreadPool();
        private final List<Future<Long>> pending = new ArrayList<>();

        Future<Long> submit(
            final ParameterServerClient client, final float[] gradient, final int batchSize, final double loss)
        {
            final Future<Long> future = executor.submit(() -> client.exchange(gradient, batchSize, loss));
            pending.add(future);
            return future;
        }

        List<Long> awaitAll(final long timeoutMs) throws Exception
        {
            final List<Long> steps = new ArrayList<>();
            for (final Future<Long> future : pending)
            {
                steps.add(future.get(timeoutMs, TimeUnit.MILLISECONDS));
            }
            pending.clear();
            return steps;
        }

        @Override
        public void close()
        {
            executor.shutdownNow();
        }
    }

    /**
     * Plain SGD (parameters -= rate * mean) that records every call, so tests can compare what the server averaged
     * with a hand-computed mean and what clients received with what the rule produced.
     */
    static final class RecordingRule implements UpdateRule
    {
        final List<float[]> means = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<float[]> results = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Integer> globalBatchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Long> steps = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final float rate;

        RecordingRule(final float rate)
        {
            this.rate = rate;
        }

        @Override
        public void apply(final float[] parameters, final float[] meanGradient, final int globalBatchSize,
            final long step)
        {
            means.add(meanGradient.clone());
            globalBatchSizes.add(globalBatchSize);
            steps.add(step);
            for (int i = 0; i < parameters.length; i++)
            {
                parameters[i] -= rate * meanGradient[i];
            }
            results.add(parameters.clone());
        }
    }
}
