package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 5, id takeover: a REGISTER with the id of a live member is refused, naming the id, and the member
 * keeps its session; once that member has left, or stayed silent for the step deadline, the id may register again.
 */
@Timeout(60)
class IdTakeoverTest
{
    private static final int PARAMETERS = 4;

    @Test
    void aRegisterForALiveMembersIdIsRefusedAndTheMemberKeepsTraining()
    {
        final Fixtures.RecordingRule rule = new Fixtures.RecordingRule(1.0f);
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(10_000).build(), new float[PARAMETERS], 0, rule);
            RawPeer impostor = new RawPeer(server))
        {
            final float[] gradient = { 1, 2, 3, 4 };
            try (ParameterServerClient w0 = ParameterServerClient.connect(clientConfig(server, 0).build()))
            {
                assertEquals(1, w0.exchange(gradient, 1, 1.0));

                impostor.sendRegister(0, Fixtures.TOKEN, impostor.replyEndpoint(), 7);
                final List<String> rejects = impostor.collectRejects(1_000);
                assertEquals(1, rejects.size(), rejects.toString());
                assertTrue(rejects.get(0).startsWith("WORKER_ID_IN_USE: worker id 0 is in use"), rejects.get(0));
                assertTrue(rejects.get(0).contains(w0.replyEndpoint()), rejects.get(0));
                assertEquals(1, server.stats().rejected(RejectReason.WORKER_ID_IN_USE));

                // The member's session was not replaced: its next gradient is accepted as before.
                assertEquals(2, w0.exchange(gradient, 1, 1.0));
                assertEquals(2, server.stats().gradientsAccepted());
                assertEquals(1, server.stats().registeredWorkers());
            }

            // After a LEAVE the id is free again.
            await("worker 0 left", 5_000, () -> server.stats().registeredWorkers() == 0);
            impostor.register(0, Fixtures.TOKEN);
            assertEquals(2, impostor.step);
            assertEquals(1, server.stats().registeredWorkers());
        }
    }

    @Test
    void aWorkerRefusedBecauseItsIdIsHeldRegistersAgainUntilTheHolderHasBeenSilentForTheDeadline()
    {
        // An executor that died leaves its worker's session behind; the task's retry on a new executor must wait for
        // the step deadline to free the id, not fail at once (Spark would give up on the task after four tries).
        final long deadlineMs = 1_500;
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(deadlineMs).build(), new float[PARAMETERS], 0,
                new Fixtures.RecordingRule(1.0f));
            RawPeer dead = new RawPeer(server))
        {
            dead.register(2, Fixtures.TOKEN);
            final long startNs = System.nanoTime();
            try (ParameterServerClient retry = ParameterServerClient.connect(
                clientConfig(server, 2).connectTimeoutMs(10_000).build()))
            {
                final long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                assertTrue(waitedMs >= deadlineMs - 100, "registered after " + waitedMs + " ms");
                assertTrue(server.stats().rejected(RejectReason.WORKER_ID_IN_USE) >= 1);
                assertEquals(1, server.stats().registeredWorkers());
                assertEquals(1, retry.exchange(new float[PARAMETERS], 1, 1.0), "the new session trains");
            }
        }
    }

    @Test
    void aWorkerWhoseIdStaysHeldPastItsConnectTimeoutIsToldWhy()
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(60_000).build(), new float[PARAMETERS], 0,
                new Fixtures.RecordingRule(1.0f));
            RawPeer holder = new RawPeer(server))
        {
            holder.register(1, Fixtures.TOKEN);
            final ParameterServerException e = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 1).connectTimeoutMs(2_500).build()));
            assertTrue(e.getMessage().contains("worker id 1 is in use") &&
                e.getMessage().endsWith("[WORKER_ID_IN_USE]"), e.getMessage());
        }
    }

    @Test
    void aMemberSilentForTheStepDeadlineMayBeTakenOver() throws Exception
    {
        final long deadlineMs = 300;
        try (ParameterServer server = ParameterServer.start(
                serverConfig().stepDeadlineMs(deadlineMs).build(), new float[PARAMETERS], 0,
                new Fixtures.RecordingRule(1.0f));
            RawPeer first = new RawPeer(server);
            RawPeer second = new RawPeer(server))
        {
            first.register(3, Fixtures.TOKEN);
            final long firstKey = first.sessionKey;
            Thread.sleep(deadlineMs + 200);

            second.register(3, Fixtures.TOKEN);
            assertTrue(second.sessionKey != firstKey);
            final ServerStats stats = server.stats();
            assertEquals(1, stats.registeredWorkers());
            assertEquals(0, stats.rejected(RejectReason.WORKER_ID_IN_USE));
        }
    }
}
