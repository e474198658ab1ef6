package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's and the workers' network settings on a real media driver: bind and advertised addresses kept apart,
 * fixed port ranges (first free port taken, a clear error when all are taken), the MTU fitted to the link, and the
 * two ways a worker can fail to talk to the server, each told apart in one message naming both addresses and the port.
 */
@Timeout(90)
class NetworkSettingsTest
{
    @Test
    void portRangesParseAndRefuseNonsense()
    {
        assertEquals(PortRange.EPHEMERAL, PortRange.parse("k", "0"));
        assertEquals(PortRange.of(40123, 40123), PortRange.parse("k", "40123"));
        final PortRange range = PortRange.parse("ps.worker-ports", " 40100 - 40199 ");
        assertEquals(40100, range.first());
        assertEquals(40199, range.last());
        assertEquals(100, range.size());
        assertEquals("40100-40199", range.spec());
        for (final String bad : new String[] { "", "x", "70000", "-1", "40199-40100", "1-2-3", "0-5" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> PortRange.parse("ps.worker-ports", bad));
            assertTrue(ex.getMessage().contains("ps.worker-ports") && ex.getMessage().contains(bad), ex.getMessage());
        }
    }

    @Test
    void mtuFitsTheLink()
    {
        assertEquals(1472, LinkMtu.fit(1500, false), "IPv4 + UDP headers take 28 of 1500 bytes");
        assertEquals(1440, LinkMtu.fit(1500, true), "IPv6 + UDP headers take 48; rounded down to 32");
        assertEquals(LinkMtu.AUTO_CAP, LinkMtu.fit(9000, false));
        assertEquals(UdpChannels.MIN_MTU, LinkMtu.fit(600, false));
        assertEquals(LinkMtu.AUTO_CAP, LinkMtu.forLocalAddress("127.0.0.1"), "loopback's MTU is 65536");
        assertEquals(LinkMtu.SAFE_DEFAULT, LinkMtu.forLocalAddress("0.0.0.0"));
        assertEquals(LinkMtu.AUTO_CAP, serverConfig().build().mtu(), "auto by default");
        assertEquals(1408, serverConfig().mtu(1408).build().mtu(), "an explicit MTU is kept");
    }

    @Test
    void aWildcardIsBoundButNeverAdvertised()
    {
        final IllegalArgumentException server = assertThrows(IllegalArgumentException.class,
            () -> serverConfig().advertisedHost("0.0.0.0").build());
        assertTrue(server.getMessage().contains("advertisedHost") && server.getMessage().contains("0.0.0.0"));
        final IllegalArgumentException client = assertThrows(IllegalArgumentException.class,
            () -> ClientConfig.builder().serverEndpoint("127.0.0.1:5").token("t").workerId(0).replyHost("[::]")
                .build());
        assertTrue(client.getMessage().contains("replyHost"), client.getMessage());
    }

    @Test
    void serverBoundToEveryInterfaceServesWorkersThroughItsAdvertisedAddress() throws Exception
    {
        final int first = freeUdpRange(3);
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", first));
             ParameterServer server = ParameterServer.start(
                 serverConfig().bindHost("0.0.0.0").advertisedHost("127.0.0.1")
                     .ports(PortRange.of(first, first + 2)).build(),
                 new float[] { 1, 2, 3 }, 0, new Fixtures.RecordingRule(1));
             ParameterServerClient client = ParameterServerClient.connect(clientConfig(server, 0)
                 .aeronDirectory(null).replyPorts(PortRange.of(first + 2, first + 2)).build()))
        {
            assertEquals("127.0.0.1:" + (first + 1), server.endpoint(), "the first port is taken: the next is used");
            assertEquals("127.0.0.1:" + (first + 2), client.replyEndpoint());
            assertArrayEquals(new float[] { 1, 2, 3 }, client.parameters());
            client.exchange(new float[] { 1, 1, 1 }, 4, 0.5);
            assertEquals(1, server.step());
        }
    }

    @Test
    void exhaustedReplyPortsNameTheRangeAndTheKey() throws Exception
    {
        final int first = freeUdpRange(2);
        try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", first));
             DatagramSocket b = new DatagramSocket(new InetSocketAddress("127.0.0.1", first + 1));
             ParameterServer server = ParameterServer.start(serverConfig().host("127.0.0.1").build(),
                 new float[] { 1 }, 0, new Fixtures.RecordingRule(1)))
        {
            // Its own type: the driver reports it as a setting to change, not as a failure.
            final NoFreePortException ex = assertThrows(NoFreePortException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 0).media(ClientConfig.Media.UDP)
                    .replyPorts(PortRange.of(first, first + 1)).build()).close());
            assertTrue(ex.getMessage().contains(first + "-" + (first + 1)) &&
                ex.getMessage().contains("ps.worker-ports") && ex.getMessage().contains("127.0.0.1"),
                ex.getMessage());
        }
    }

    @Test
    void workerThatCannotReachTheServerSaysWhichAddressAndPortToCheck() throws Exception
    {
        final int silent = freeUdpRange(1);
        // Its own type: a driver that never saw any worker register need not retry the stage for this.
        final ServerUnreachableException ex = assertThrows(ServerUnreachableException.class,
            () -> ParameterServerClient.connect(ClientConfig.builder()
                .serverEndpoint("127.0.0.1:" + silent).token("t").workerId(3).replyHost("127.0.0.1")
                .termLength(Fixtures.SMALL_TERM).chunkBytes(64 * 1024).socketBufferBytes(Fixtures.SOCKET_BUFFER)
                .connectTimeoutMs(1_500).build()).close());
        final String message = ex.getMessage();
        assertTrue(message.contains("cannot reach the parameter server at 127.0.0.1:" + silent), message);
        assertTrue(message.contains("UDP port " + silent) && message.contains("ps.advertised-host") &&
            message.contains("replies on 127.0.0.1:"), message);
    }

    @Test
    void serverThatCannotReachTheWorkerIsToldApart() throws Exception
    {
        try (ParameterServer server = ParameterServer.start(serverConfig().host("127.0.0.1").build(),
            new float[] { 1 }, 0, new Fixtures.RecordingRule(1)))
        {
            // The worker listens on 127.0.0.1 but tells the server 127.0.0.2: its REGISTER arrives, no reply does.
            final ParameterServerException ex = assertThrows(ParameterServerException.class,
                () -> ParameterServerClient.connect(clientConfig(server, 5).aeronDirectory(null)
                    .replyHost("127.0.0.2").replyBindHost("127.0.0.1").connectTimeoutMs(2_000).build()).close());
            final String message = ex.getMessage();
            assertTrue(message.contains("cannot reach worker 5's reply endpoint 127.0.0.2:"), message);
            assertFalse(ex instanceof ServerUnreachableException, "the worker did reach the server");
            assertTrue(message.contains("ps.worker-ports") && message.contains(server.endpoint()), message);
        }
    }

    @Test
    void workersOnTheServersMediaDriverTalkOverIpcAndGetTheSameBytesAsOverUdp() throws Exception
    {
        final float[][] results = new float[2][];
        for (final ClientConfig.Media media : new ClientConfig.Media[] { ClientConfig.Media.AUTO, ClientConfig.Media.UDP })
        {
            try (ParameterServer server = ParameterServer.start(serverConfig().host("127.0.0.1").build(),
                    new float[] { 1, 2, 3, 4 }, 0, (p, g, b, step) -> {
                        for (int i = 0; i < p.length; i++)
                        {
                            p[i] -= 0.1f * g[i];
                        }
                    });
                 ParameterServerClient a = ParameterServerClient.connect(clientConfig(server, 0).media(media).build());
                 ParameterServerClient b = ParameterServerClient.connect(clientConfig(server, 1).media(media).build()))
            {
                assertEquals(media == ClientConfig.Media.AUTO, a.replyEndpoint().startsWith("ipc:"),
                    media + " -> " + a.replyEndpoint());
                final Thread other = new Thread(() -> b.exchange(new float[] { 3, 3, 3, 3 }, 2, 0.0));
                other.start();
                a.exchange(new float[] { 0.5f, 1.5f, -2, 7 }, 6, 0.0);
                other.join();
                assertEquals(1, server.step());
                assertArrayEquals(a.parameters(), b.parameters());
                results[media == ClientConfig.Media.AUTO ? 0 : 1] = a.parameters().clone();
            }
        }
        assertArrayEquals(results[1], results[0], "IPC and UDP carry the same bytes");
    }

    @Test
    void ipcNeedsTheServersMediaDriver()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ClientConfig.builder()
            .serverEndpoint("127.0.0.1:5").token("t").workerId(0).media(ClientConfig.Media.IPC).build());
        assertTrue(ex.getMessage().contains("aeronDirectory"), ex.getMessage());
    }

    /** A block of consecutive ports free for UDP (and TCP, which nothing here needs, but keeps the probe honest). */
    private static int freeUdpRange(final int length) throws Exception
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            final int base;
            try (ServerSocket probe = new ServerSocket(0))
            {
                base = probe.getLocalPort();
            }
            if (base + length > 65535)
            {
                continue;
            }
            boolean free = true;
            for (int p = base; p < base + length && free; p++)
            {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", p)))
                {
                    free = s.isBound();
                }
                catch (final java.io.IOException ex)
                {
                    free = false;
                }
            }
            if (free)
            {
                return base;
            }
        }
        throw new IllegalStateException("no block of " + length + " free UDP ports");
    }
}
