package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static io.averon.ps.Fixtures.weightedMean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class UnauthenticatedTrafficTest
{
    private static final int PARAMETERS = 8;

    @Test
    void gradientsFromUnregisteredSendersAreRejectedAndDoNotChangeTheStep() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        final float[][] gradients = { { 1, 1, 1, 1, 2, 2, 2, 2 }, { 3, 3, 3, 3, 0, 0, 0, 0 } };
        final int[] batches = { 1, 3 };
        final String directory;

        try (ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[PARAMETERS], 0, rule);
            Fixtures.ConcurrentExchange exchange = new Fixtures.ConcurrentExchange();
            ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).build());
            ParameterServerClient w1 = ParameterServerClient.connect(clientConfig(server, 1).build());
            RawPeer intruder = new RawPeer(server))
        {
            directory = server.aeronDirectory();
            final float[] poison = new float[PARAMETERS];
            Arrays.fill(poison, 1e6f);

            // Unknown worker with a made-up session, then a real worker's id with a guessed session key.
            intruder.send(gradient(intruder, 99, 0x1234_5678L, poison));
            intruder.send(gradient(intruder, 0, 0x1234_5678L, poison));
            await("2 UNKNOWN_SESSION rejections", 5_000,
                () -> server.stats().rejected(RejectReason.UNKNOWN_SESSION) == 2);

            exchange.submit(w0, gradients[0], batches[0], 1.0);
            exchange.submit(w1, gradients[1], batches[1], 1.0);
            assertEquals(List.of(1L, 1L), exchange.awaitAll(10_000));

            assertArrayEquals(weightedMean(gradients, batches), rule.means.get(0));
            assertEquals(4, rule.globalBatchSizes.get(0));
            final ServerStats stats = server.stats();
            assertEquals(2, stats.gradientsAccepted());
            assertEquals(2, stats.rejectedMessages());
            assertEquals(2, stats.registeredWorkers());
            assertEquals(java.util.Set.of(0, 1), stats.workersSeen());
        }
        Fixtures.assertDirectoryGone(directory);
    }

    @Test
    void registrationWithAWrongTokenFailsFastWithAClearMessage()
    {
        final String directory;
        try (ParameterServer server = ParameterServer.start(
            serverConfig().build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f)))
        {
            directory = server.aeronDirectory();
            final long startNs = System.nanoTime();
            final ParameterServerException ex = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 5).token("wrong").connectTimeoutMs(20_000).build()));
            final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;

            assertTrue(ex.getMessage().contains("token rejected"), ex.getMessage());
            assertTrue(ex.getMessage().contains(server.endpoint()), ex.getMessage());
            assertTrue(elapsedMs < 10_000, "refusal took " + elapsedMs + " ms: it timed out instead of being told");
            final ServerStats stats = server.stats();
            assertEquals(1, stats.rejected(RejectReason.BAD_TOKEN));
            assertEquals(0, stats.registeredWorkers());
            assertTrue(stats.workersSeen().isEmpty());
        }
        Fixtures.assertDirectoryGone(directory);
    }

    @Test
    void noServerAtTheEndpointGivesAClearTimeout() throws Exception
    {
        final int port = Fixtures.unusedUdpPort();
        final ClientConfig config = ClientConfig.builder()
            .serverEndpoint("127.0.0.1:" + port)
            .token(Fixtures.TOKEN)
            .workerId(0)
            .connectTimeoutMs(1_000)
            .termLength(Fixtures.SMALL_TERM)
            .chunkBytes(1024)
            .build();

        // Other runs on this machine (a concurrent build) may hold worker 0 directories of their own: only new ones count.
        final java.util.Set<java.nio.file.Path> before = workerZeroDirectories();
        final ParameterServerException ex = assertThrows(
            ParameterServerException.class, () -> ParameterServerClient.connect(config));
        assertTrue(ex.getMessage().contains("cannot reach the parameter server at 127.0.0.1:" + port + ", UDP port"),
            ex.getMessage());
        final java.util.Set<java.nio.file.Path> left = workerZeroDirectories();
        left.removeAll(before);
        assertTrue(left.isEmpty(), "client's own aeron dir left behind: " + left);
    }

    private static java.util.Set<java.nio.file.Path> workerZeroDirectories() throws java.io.IOException
    {
        try (var shm = java.nio.file.Files.list(java.nio.file.Path.of("/dev/shm")))
        {
            return shm.filter((path) -> path.getFileName().toString().startsWith("averon-worker-0-") &&
                java.nio.file.Files.exists(path.resolve("cnc.dat")))
                .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
        }
    }

    private static int gradient(final RawPeer peer, final int workerId, final long sessionKey, final float[] values)
    {
        return peer.withFloats(peer.gradient()
            .workerId(workerId)
            .sessionKey(sessionKey)
            .step(0)
            .batchSize(1000)
            .loss(0.0)
            .chunkIndex(0)
            .chunkCount(1)
            .floatOffset(0), values, 0, values.length);
    }
}
