package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.Subscription;
import io.averon.ps.wire.WireSchema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 item 5, reflection: a REGISTER with a bad token is answered at most once, rate-limited, and only at the
 * host the frame actually came from; a frame naming a reply endpoint on another address makes the server send
 * nothing there.
 */
@Timeout(60)
class ReflectionTest
{
    private static final int PARAMETERS = 4;

    @Test
    void aBadTokenClaimingAnotherAddressGetsNothingThereAndOneAtItsOwnGetsOneRefusal()
    {
        // The "victim" listens on another loopback address, as the reflection target would elsewhere. Closed before
        // the server: an Aeron client whose media driver went away exits the JVM.
        try (ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f));
            RawPeer attacker = new RawPeer(server);
            Aeron victimClient = Aeron.connect(new Aeron.Context().aeronDirectoryName(server.aeronDirectory()));
            Subscription target = victimClient.addSubscription(
                "aeron:udp?endpoint=127.0.0.2:0", WireSchema.REPLY_STREAM_ID))
        {
            await("victim bound", 5_000, () -> target.resolvedEndpoint() != null);
            final String victimEndpoint = target.resolvedEndpoint();
            assertTrue(victimEndpoint.startsWith("127.0.0.2:"), victimEndpoint);

            attacker.sendRegister(0, "wrong", victimEndpoint, 11);
            await("BAD_TOKEN counted", 5_000, () -> server.stats().rejected(RejectReason.BAD_TOKEN) == 1);
            final long quietUntilNs = System.nanoTime() + 1_500_000_000L;
            int fragments = 0;
            while (System.nanoTime() - quietUntilNs < 0)
            {
                fragments += target.poll((buffer, offset, length, header) -> { }, 10);
                assertEquals(0, target.imageCount(), "the server opened a publication to the claimed endpoint");
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
            }
            assertEquals(0, fragments);
            assertEquals(1, server.stats().refusalsWithheld());

            // The same mistake at the sender's own address is answered, once.
            attacker.sendRegister(0, "wrong", attacker.replyEndpoint(), 12);
            final List<String> rejects = attacker.collectRejects(1_500);
            assertEquals(1, rejects.size(), rejects.toString());
            assertTrue(rejects.get(0).startsWith("TOKEN_REJECTED: token rejected by the parameter server at " +
                server.endpoint()), rejects.get(0));
            final ServerStats stats = server.stats();
            assertEquals(2, stats.rejected(RejectReason.BAD_TOKEN));
            assertEquals(1, stats.refusalsWithheld());
            assertEquals(0, stats.registeredWorkers());
        }
    }

    @Test
    void aFloodOfBadTokensFromTheSendersOwnAddressIsAnsweredAtTheRateLimit()
    {
        try (ParameterServer server = ParameterServer.start(
                serverConfig().build(), new float[PARAMETERS], 0, new Fixtures.RecordingRule(1.0f));
            RawPeer flooder = new RawPeer(server))
        {
            final int sent = 40;
            final long startNs = System.nanoTime();
            for (int i = 0; i < sent; i++)
            {
                flooder.sendRegister(0, "wrong", flooder.replyEndpoint(), 100 + i);
            }
            await("every bad REGISTER counted", 5_000, () -> server.stats().rejected(RejectReason.BAD_TOKEN) == sent);
            final long floodMs = (System.nanoTime() - startNs) / 1_000_000;
            final List<String> rejects = flooder.collectRejects(1_500);

            // A burst of 4, then one per 250 ms while the flood lasted.
            final long allowed = 4 + floodMs / 250 + 1;
            assertTrue(rejects.size() >= 1 && rejects.size() <= allowed,
                rejects.size() + " refusals for a flood of " + sent + " over " + floodMs + " ms");
            assertEquals(sent - rejects.size(), server.stats().refusalsWithheld());
        }
    }
}
