package io.averon.ps;

import org.agrona.IoUtil;

import java.io.File;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A real {@link ParameterServer} and W real {@link ParameterServerClient}s in one JVM, with the default transport
 * settings (16 MiB terms, 1 MiB chunks, 2 MiB socket buffers, MTU fitted to loopback), sharing the server's media
 * driver as Spark local mode does: over Aeron IPC, or over loopback UDP ({@code ps.transport = udp}). The update rule
 * does nothing, so a step is the transport: each worker encodes its gradient into chunks and offers them, the server
 * assembles and checks them, averages (which cannot be skipped through the public API) and checks the parameters,
 * encodes them once and sends them to every member, and each worker assembles and adopts them. Worker 0 runs on the
 * caller's thread, the others on one thread each, so W gradients are in flight at once as in training.
 */
final class TransportHarness implements AutoCloseable
{
    static final String TOKEN = "averon-bench";
    private static final int BATCH = 64;

    private final ParameterServer server;
    private final String directory;
    private final ParameterServerClient[] clients;
    private final float[][] gradients;
    private final ExecutorService others;

    TransportHarness(final int parameterCount, final int workers, final ClientConfig.Media media)
    {
        if (media == ClientConfig.Media.AUTO)
        {
            throw new IllegalArgumentException("media must be IPC or UDP");
        }
        // A name of our own, so that a benchmark killed mid-run leaves a directory that only our script cleans up.
        directory = new File(LogBufferSpace.defaultDirectory(),
            "averon-bench-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID()).getAbsolutePath();
        final SplittableRandom random = new SplittableRandom(7);
        final float[] initial = new float[parameterCount];
        for (int j = 0; j < parameterCount; j++)
        {
            initial[j] = (float)(random.nextDouble() - 0.5) * 0.1f;
        }
        server = ParameterServer.start(ParameterServerConfig.builder()
            .token(TOKEN)
            .host("127.0.0.1")
            .aeronDirectory(directory)
            .maxWorkers(Math.max(workers, 1))
            .build(), initial, 0, (parameters, meanGradient, globalBatchSize, step) -> { });

        clients = new ParameterServerClient[workers];
        gradients = new float[workers][parameterCount];
        try
        {
            for (int w = 0; w < workers; w++)
            {
                for (int j = 0; j < parameterCount; j++)
                {
                    gradients[w][j] = (float)(random.nextDouble() - 0.5) * 1e-2f;
                }
                clients[w] = ParameterServerClient.connect(ClientConfig.builder()
                    .serverEndpoint(server.endpoint())
                    .token(TOKEN)
                    .workerId(w)
                    .aeronDirectory(server.aeronDirectory())
                    .media(media)
                    .build());
            }
        }
        catch (final RuntimeException ex)
        {
            closeClients();
            server.close();
            deleteDirectory();
            throw ex;
        }
        others = workers > 1 ? Executors.newFixedThreadPool(workers - 1, (runnable) ->
        {
            final Thread thread = new Thread(runnable, "bench-worker");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    /** One synchronous step of every worker; returns the step all of them now hold. */
    long step()
    {
        final int workers = clients.length;
        @SuppressWarnings("unchecked") final Future<Long>[] pending = new Future[workers];
        for (int w = 1; w < workers; w++)
        {
            final ParameterServerClient client = clients[w];
            final float[] gradient = gradients[w];
            pending[w] = others.submit(() -> client.exchange(gradient, BATCH, 0.5));
        }
        final long step = clients[0].exchange(gradients[0], BATCH, 0.5);
        for (int w = 1; w < workers; w++)
        {
            try
            {
                if (pending[w].get() != step)
                {
                    throw new IllegalStateException("worker " + w + " holds step " + pending[w].get() +
                        ", worker 0 holds " + step + ": a worker was dropped from a step");
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
            catch (final ExecutionException ex)
            {
                throw new IllegalStateException("worker " + w + " failed", ex.getCause());
            }
        }
        return step;
    }

    ParameterServer server()
    {
        return server;
    }

    ParameterServerClient client(final int worker)
    {
        return clients[worker];
    }

    String directory()
    {
        return directory;
    }

    @Override
    public void close()
    {
        if (others != null)
        {
            others.shutdownNow();
        }
        closeClients();
        server.close();
        deleteDirectory();
    }

    private void closeClients()
    {
        for (int w = clients.length - 1; w >= 0; w--)
        {
            if (clients[w] != null)
            {
                clients[w].close();
                clients[w] = null;
            }
        }
    }

    /** The server's driver deletes its directory on close; make sure, should it have failed to. */
    private void deleteDirectory()
    {
        final File dir = new File(directory);
        if (dir.exists())
        {
            IoUtil.delete(dir, true);
        }
    }
}
