package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class ParameterServerLifecycleTest
{
    @Test
    void invalidConfigurationNamesTheKey()
    {
        assertRejected("token", () -> ParameterServerConfig.builder().build());
        assertRejected("stepDeadlineMs", () -> serverConfig().stepDeadlineMs(0).build());
        assertRejected("evictAfterMissedSteps", () -> serverConfig().evictAfterMissedSteps(0).build());
        assertRejected("port", () -> serverConfig().port(70_000).build());
        assertRejected("host", () -> serverConfig().host("127.0.0.1|term-length=1g").build());
        assertRejected("mtu", () -> serverConfig().mtu(1000).build());
        assertRejected("termLength", () -> serverConfig().termLength(3_000_000).build());
        assertRejected("chunkBytes", () -> ParameterServerConfig.builder().token("t").chunkBytes(4 << 20).build());
        assertRejected("socketBufferBytes", () -> serverConfig().socketBufferBytes(1).build());

        assertRejected("serverEndpoint", () -> ClientConfig.builder().token("t").workerId(0).build());
        assertRejected("serverEndpoint",
            () -> ClientConfig.builder().serverEndpoint("localhost").token("t").workerId(0).build());
        assertRejected("workerId", () -> ClientConfig.builder().serverEndpoint("127.0.0.1:5").token("t").build());
        assertRejected("responseTimeoutMs", () -> ClientConfig.builder()
            .serverEndpoint("127.0.0.1:5").token("t").workerId(0).responseTimeoutMs(0).build());
        assertRejected("initialParameters[1]", () -> ParameterServer.start(
            serverConfig().build(), new float[] { 0, Float.NaN }, 0, (p, g, b, s) -> { }));

        assertFalse(serverConfig().build().toString().contains(Fixtures.TOKEN));
    }

    @Test
    void ownMediaDriversDeleteTheirDirectoriesOnClose() throws Exception
    {
        final String serverDirectory = "/dev/shm/averon-test-" + UUID.randomUUID();
        final String clientDirectory;
        try (ParameterServer server = ParameterServer.start(
            serverConfig().aeronDirectory(serverDirectory).build(), new float[] { 1, 2, 3 }, 41,
            new Fixtures.RecordingRule(1)))
        {
            assertEquals(serverDirectory, server.aeronDirectory());
            assertTrue(new File(serverDirectory).isDirectory());
            assertEquals(41, server.step());

            final ClientConfig config = clientConfig(server, 0).aeronDirectory(null).build();
            try (ParameterServerClient client = ParameterServerClient.connect(config))
            {
                clientDirectory = client.aeronDirectory();
                assertTrue(clientDirectory.startsWith("/dev/shm/averon-worker-0-"), clientDirectory);
                assertTrue(new File(clientDirectory, "cnc.dat").exists());
                assertEquals(41, client.step());
                assertArrayEquals(new float[] { 1, 2, 3 }, client.parameters());
            }
            Fixtures.assertDirectoryGone(clientDirectory);
            await("member to leave", 5_000, () -> server.stats().registeredWorkers() == 0);
        }
        Fixtures.assertDirectoryGone(serverDirectory);

        // A directory that is neither empty nor Aeron's must not be handed to a driver that deletes it.
        final Path precious = Files.createTempDirectory("averon-precious");
        Files.writeString(precious.resolve("keep.txt"), "data");
        try
        {
            assertRejected("not an Aeron directory", () -> ParameterServer.start(
                serverConfig().aeronDirectory(precious.toString()).build(), new float[1], 0, (p, g, b, s) -> { }));
            assertTrue(Files.exists(precious.resolve("keep.txt")));
        }
        finally
        {
            Files.delete(precious.resolve("keep.txt"));
            Files.delete(precious);
        }
    }

    @Test
    void leaveRemovesTheMemberAtOnceSoTheStepCompletesWithoutTheDeadline() throws Exception
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1);
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(30_000).build(), new float[4], 0, rule);
            Fixtures.ConcurrentExchange exchange = new Fixtures.ConcurrentExchange();
            ParameterServerClient stays = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            final ParameterServerClient leaves = ParameterServerClient.connect(clientConfig(server, 1).build());
            await("2 members", 5_000, () -> server.stats().registeredWorkers() == 2);

            final long startNs = System.nanoTime();
            final Future<Long> pending = exchange.submit(stays, new float[] { 1, 2, 3, 4 }, 2, 1.0);
            await("first gradient", 5_000, () -> server.stats().gradientsAccepted() == 1);
            assertFalse(pending.isDone());
            leaves.close(); // waits for LEAVE_ACK

            assertEquals(1L, pending.get(10, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - startNs < TimeUnit.SECONDS.toNanos(10));
            assertEquals(1, server.stats().registeredWorkers());
            assertEquals(0, server.stats().droppedFromStep());
            assertArrayEquals(new float[] { 1, 2, 3, 4 }, rule.means.get(0));
            assertEquals(java.util.Set.of(0, 1), server.stats().workersSeen());
        }
    }

    @Test
    void atStepBoundaryRunsOnTheAgentWithConsistentStateAndRethrows()
    {
        final ParameterServer server = ParameterServer.start(
            serverConfig().build(), new float[] { 5, 6 }, 7, new Fixtures.RecordingRule(1));
        try (server)
        {
            final String result = server.atStepBoundary((parameters, step) ->
                Thread.currentThread().getName() + "|" + step + "|" + parameters[0] + "," + parameters[1]);
            assertEquals("averon-ps-" + server.endpoint() + "|7|5.0,6.0", result);

            final IllegalStateException failure = new IllegalStateException("checkpoint failed");
            assertSame(failure, assertThrows(IllegalStateException.class,
                () -> server.atStepBoundary((parameters, step) -> { throw failure; })));
            assertEquals(2, server.parameterCount());
        }
        assertThrows(ParameterServerException.class, () -> server.atStepBoundary((parameters, step) -> step));
        Fixtures.assertDirectoryGone(server.aeronDirectory());
    }

    @Test
    void failingUpdateRuleStopsTheServerAndTellsEveryClientWhy()
    {
        final UpdateRule failing = (parameters, mean, batch, step) ->
        {
            throw new IllegalStateException("updater exploded");
        };
        try (ParameterServer server = ParameterServer.start(serverConfig().build(), new float[2], 0, failing);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            final ParameterServerException ex = assertThrows(ParameterServerException.class,
                () -> client.exchange(new float[] { 1, 1 }, 1, 0.1));
            assertTrue(ex.getMessage().contains("failed applying step 0"), ex.getMessage());
            assertTrue(ex.getMessage().contains("updater exploded"), ex.getMessage());

            final ParameterServerException boundary = assertThrows(ParameterServerException.class,
                () -> server.atStepBoundary((parameters, step) -> step));
            assertTrue(boundary.getMessage().contains("partially updated"), boundary.getMessage());

            final ParameterServerException late = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 1).build()));
            assertTrue(late.getMessage().contains("SERVER_FAILED"), late.getMessage());
            assertEquals(0, server.step());
            assertEquals(0, server.stats().registeredWorkers());
        }
    }

    @Test
    void aGradientForAnAlreadyCompletedStepCountsAsOneLateGradient() throws Exception
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(300).evictAfterMissedSteps(5).build(), new float[8], 0,
                new Fixtures.RecordingRule(1));
            RawPeer slow = new RawPeer(server);
            ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0).build()))
        {
            slow.register(3, Fixtures.TOKEN);
            await("2 members", 5_000, () -> server.stats().registeredWorkers() == 2);
            assertEquals(1, client.exchange(new float[8], 1, 1.0)); // worker 3 dropped at the deadline
            assertEquals(1, server.stats().droppedFromStep());

            final float[] values = new float[8];
            for (int chunk = 0; chunk < 2; chunk++)
            {
                slow.send(slow.withFloats(slow.gradient()
                    .workerId(3).sessionKey(slow.sessionKey).step(0).batchSize(1).loss(1.0)
                    .chunkIndex(chunk).chunkCount(2).floatOffset(chunk * 4), values, 0, 4));
            }
            await("late chunks rejected", 5_000, () -> server.stats().rejected(RejectReason.STALE_STEP) == 2);
            assertEquals(1, server.stats().lateGradients());
            assertEquals(2, server.stats().registeredWorkers());
        }
    }

    private static void assertRejected(final String expectedText, final Executable executable)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, executable);
        assertTrue(ex.getMessage().contains(expectedText), "'" + ex.getMessage() + "' should name " + expectedText);
    }
}
