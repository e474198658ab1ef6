package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A parameter server replaced by a new one on the same endpoint (restarted from a checkpoint): the new server knows
 * nothing of the old sessions, and the client, hearing nothing for twice the step deadline plus a slack of 10 s,
 * registers again and adopts the restored parameters. Slow by construction (~12 s).
 * <p>
 * Whether the new server ever sees the orphaned gradient (and counts it as an unknown session) depends on when the
 * client's publication joins the new server's image: frames sent before the join are not replayed. So the test
 * asserts the rejoin, not the rejection; {@code UnauthenticatedTrafficTest} covers rejection deterministically.
 */
@Timeout(90)
class ServerRestartIT
{
    @Test
    void clientRejoinsARestartedServerOnTheSameEndpoint()
    {
        final ParameterServerConfig.Builder config = serverConfig().stepDeadlineMs(500);
        final ParameterServer first = ParameterServer.start(
            config.build(), new float[] { 1, 1, 1 }, 0, new Fixtures.RecordingRule(1));
        final int port = UdpChannels.port(first.endpoint());

        // The client runs its own media driver, so it survives the server's driver going away.
        try (ParameterServerClient client = ParameterServerClient.connect(ClientConfig.builder()
            .serverEndpoint(first.endpoint())
            .token(Fixtures.TOKEN)
            .workerId(4)
            .termLength(Fixtures.SMALL_TERM)
            .chunkBytes(1024)
            .connectTimeoutMs(10_000)
            .responseTimeoutMs(60_000)
            .build()))
        {
            assertEquals(1, client.exchange(new float[] { 1, 2, 3 }, 1, 1.0));
            assertArrayEquals(new float[] { 0, -1, -2 }, client.parameters());
            first.close();
            Fixtures.assertDirectoryGone(first.aeronDirectory());

            final float[] restored = { 7, 8, 9 };
            try (ParameterServer second = ParameterServer.start(
                config.port(port).build(), restored, 5, new Fixtures.RecordingRule(1)))
            {
                final long startNs = System.nanoTime();
                final long step = client.exchange(new float[] { 1, 1, 1 }, 1, 1.0);
                final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;

                assertEquals(5, step, "adopted the restarted server's step");
                assertArrayEquals(restored, client.parameters());
                assertTrue(elapsedMs >= 10_000, "rejoined after " + elapsedMs + " ms, before the silence limit");
                await("worker 4 registered", 5_000, () -> second.stats().workersSeen().contains(4));

                assertEquals(6, client.exchange(new float[] { 1, 1, 1 }, 1, 1.0));
                assertArrayEquals(new float[] { 6, 7, 8 }, client.parameters());
            }
        }
    }
}
