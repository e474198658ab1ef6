package io.averon.ps;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;

/**
 * Chooses the Aeron MTU (the largest UDP payload a publication sends) for a link from the local interface that carries
 * it, so that no datagram is fragmented at the IP layer: a 1500-byte Ethernet link gets 1472 over IPv4, jumbo frames
 * and loopback get more, capped at {@link #AUTO_CAP}. When the interface cannot be known (a wildcard or unresolvable
 * address) it falls back to {@link #SAFE_DEFAULT}, which fits a 1500-byte network even with tunnel or IPv6 headers.
 * IP fragments are lost as a whole datagram when any one of them is lost, which is why this matters off loopback.
 */
public final class LinkMtu
{
    /** Fits a 1500-byte link with room for IPv6 and tunnel headers; Aeron's own default. */
    public static final int SAFE_DEFAULT = 1408;
    /** Largest MTU chosen automatically: the figure measured fastest on loopback here without huge socket buffers. */
    public static final int AUTO_CAP = 8192;

    private static final int IPV4_UDP_HEADERS = 20 + 8;
    private static final int IPV6_UDP_HEADERS = 40 + 8;

    private LinkMtu()
    {
    }

    /**
     * @param localHost the local address whose interface carries the link (the host a side binds or advertises).
     * @return an Aeron MTU: a multiple of 32 that fits the interface's MTU, in [{@value UdpChannels#MIN_MTU},
     * {@value #AUTO_CAP}].
     */
    public static int forLocalAddress(final String localHost)
    {
        try
        {
            final InetAddress address = InetAddress.getByName(UdpChannels.unbracketed(localHost));
            if (address.isAnyLocalAddress())
            {
                return SAFE_DEFAULT;
            }
            final NetworkInterface nif = NetworkInterface.getByInetAddress(address);
            if (nif == null || nif.getMTU() <= 0)
            {
                return SAFE_DEFAULT;
            }
            return fit(nif.getMTU(), address instanceof Inet6Address);
        }
        catch (final IOException ex)
        {
            return SAFE_DEFAULT;
        }
    }

    /**
     * @param linkMtu the interface's MTU in bytes (IP packet size).
     * @param ipv6    whether the link carries IPv6.
     * @return the Aeron MTU for it.
     */
    static int fit(final int linkMtu, final boolean ipv6)
    {
        final int payload = linkMtu - (ipv6 ? IPV6_UDP_HEADERS : IPV4_UDP_HEADERS);
        return Math.max(UdpChannels.MIN_MTU, Math.min(AUTO_CAP, payload & ~31));
    }
}
