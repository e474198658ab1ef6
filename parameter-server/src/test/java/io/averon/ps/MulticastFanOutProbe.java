package io.averon.ps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link MulticastFanOutIT} starts inside a network namespace whose loopback carries multicast: a server
 * and two workers, each on its own media driver, train a small synthetic problem for a fixed number of steps with
 * PARAMS sent to each worker ({@code unicast}) or once to a multicast group ({@code multicast}), and print what the
 * test compares: the final parameters of the server and each worker, and how many steps each worker received on the
 * group.
 */
final class MulticastFanOutProbe
{
    static final int STEPS = 20;
    private static final int PARAMETERS = 2_000;
    private static final int CHUNK_BYTES = 1_024;

    private MulticastFanOutProbe()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        // "multicast": server and workers on the group; "unicast": neither; "unjoined": the workers look for a group
        // the server does not send to, so they give up on it and ask for their own streams.
        final boolean multicast = args[0].equals("multicast");
        final boolean workersLookForGroup = multicast || args[0].equals("unjoined");
        final String group = args[1];
        final float[] initial = new float[PARAMETERS];
        for (int i = 0; i < PARAMETERS; i++)
        {
            initial[i] = ((i % 17) - 8) * 0.05f;
        }
        final UpdateRule sgd = (parameters, mean, globalBatchSize, step) ->
        {
            for (int i = 0; i < parameters.length; i++)
            {
                parameters[i] -= 0.1f * mean[i];
            }
        };

        final ExecutorService threads = Executors.newFixedThreadPool(2);
        try (ParameterServer server = ParameterServer.start(Fixtures.serverConfig().chunkBytes(CHUNK_BYTES)
            .maxWorkers(2).paramsGroup(multicast ? group : null).build(), initial, 0, sgd))
        {
            final List<ParameterServerClient> clients = new ArrayList<>();
            try
            {
                for (int w = 0; w < 2; w++)
                {
                    clients.add(ParameterServerClient.connect(Fixtures.clientConfig(server, w)
                        .aeronDirectory(null) // each worker on its own media driver, as on its own host
                        .media(ClientConfig.Media.UDP)
                        .chunkBytes(CHUNK_BYTES)
                        .paramsGroup(workersLookForGroup ? group : null)
                        .build()));
                }
                final List<Future<float[]>> work = new ArrayList<>();
                for (int w = 0; w < 2; w++)
                {
                    final ParameterServerClient client = clients.get(w);
                    final int worker = w;
                    work.add(threads.submit(() -> train(client, worker)));
                }
                for (int w = 0; w < 2; w++)
                {
                    final float[] parameters = work.get(w).get(2, TimeUnit.MINUTES);
                    System.out.println("worker " + w + " parameters " + Arrays.hashCode(parameters) + " group steps " +
                        clients.get(w).stepsReceivedOnGroup() + " forged " + clients.get(w).forgedReplies());
                }
                final float[] serverParameters = server.atStepBoundary((parameters, step) -> parameters.clone());
                System.out.println("server parameters " + Arrays.hashCode(serverParameters) + " step " +
                    server.step());
            }
            finally
            {
                for (final ParameterServerClient client : clients)
                {
                    client.close();
                }
            }
        }
        finally
        {
            threads.shutdownNow();
        }
    }

    private static float[] train(final ParameterServerClient client, final int worker)
    {
        final float[] gradient = new float[PARAMETERS];
        while (client.step() < STEPS)
        {
            final float[] parameters = client.parameters();
            for (int i = 0; i < PARAMETERS; i++)
            {
                gradient[i] = parameters[i] * (worker + 1) - 0.01f * (i % 7);
            }
            client.exchange(gradient, 1 + worker, 0.5);
        }
        return client.parameters().clone();
    }
}
