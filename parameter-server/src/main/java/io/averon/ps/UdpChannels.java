package io.averon.ps;

import io.aeron.ChannelUriStringBuilder;
import io.averon.ps.wire.WireSchema;

import java.net.InetAddress;
import java.util.Arrays;
import java.net.UnknownHostException;

/**
 * Builds the Aeron channel URIs of one side (server or client) from its transport settings, and validates those
 * settings and endpoints up front. A reply endpoint is either UDP {@code host:port} or {@code ipc:<stream-id>} for a
 * worker that shares the server's media driver: IPC replies to each worker go on a stream of its own, which the
 * worker chose. Endpoints come from configuration and from REGISTER frames, so they are checked against a strict
 * grammar before they are ever spliced into a URI: a forged "endpoint" carrying {@code |term-length=...} must not
 * reconfigure the server's publications.
 */
final class UdpChannels
{
    static final int MIN_MTU = 576;
    static final int MAX_MTU = 65504;
    static final int MIN_TERM_LENGTH = 64 * 1024;
    static final int MAX_TERM_LENGTH = 1024 * 1024 * 1024;
    static final int MAX_MESSAGE_LENGTH = 16 * 1024 * 1024;
    static final int MIN_SOCKET_BUFFER = 64 * 1024;
    static final int MAX_SOCKET_BUFFER = 64 * 1024 * 1024;
    /** Notices (refusals to strangers) go on small, short-lived publications so they cost little. */
    static final int NOTICE_TERM_LENGTH = MIN_TERM_LENGTH;
    static final int NOTICE_MTU = 4096;
    /** The server's request channel for workers on its own media driver. */
    static final String IPC_REQUESTS = "aeron:ipc";
    static final String IPC_PREFIX = "ipc:";

    private final int mtu;
    private final int termLength;
    private final int socketBufferBytes;

    UdpChannels(final int mtu, final int termLength, final int socketBufferBytes)
    {
        this.mtu = mtu;
        this.termLength = termLength;
        this.socketBufferBytes = socketBufferBytes;
    }

    String subscription(final String endpoint)
    {
        if (isIpcEndpoint(endpoint))
        {
            return IPC_REQUESTS;
        }
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(endpoint)
            .socketRcvbufLength(socketBufferBytes)
            .receiverWindowLength(socketBufferBytes)
            .build();
    }

    String publication(final String endpoint)
    {
        if (isIpcEndpoint(endpoint))
        {
            return new ChannelUriStringBuilder().media("ipc").termLength(termLength).build();
        }
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(endpoint)
            .mtu(mtu)
            .termLength(termLength)
            .socketSndbufLength(socketBufferBytes)
            .build();
    }

    /** @return the client's request publication to a server on the same media driver. */
    String ipcRequests()
    {
        return new ChannelUriStringBuilder().media("ipc").termLength(termLength).build();
    }

    String noticePublication(final String endpoint)
    {
        if (isIpcEndpoint(endpoint))
        {
            return new ChannelUriStringBuilder().media("ipc").termLength(NOTICE_TERM_LENGTH).build();
        }
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(endpoint)
            .mtu(Math.min(mtu, NOTICE_MTU))
            .termLength(NOTICE_TERM_LENGTH)
            // The same socket settings as a member's publication: a notice may still linger on the UDP socket
            // shared with a registration from that endpoint (a refused worker id, taken again once free).
            .socketSndbufLength(socketBufferBytes)
            .build();
    }

    /** @return the server's publication to its multicast group, sent out of the interface holding localAddress. */
    String groupPublication(final String group, final String localAddress)
    {
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(group)
            .networkInterface(localAddress)
            .mtu(mtu)
            .termLength(termLength)
            .socketSndbufLength(socketBufferBytes)
            .build();
    }

    /** @return a worker's subscription to the server's multicast group, joined on the interface of localAddress. */
    String groupSubscription(final String group, final String localAddress)
    {
        return new ChannelUriStringBuilder()
            .media("udp")
            .endpoint(group)
            .networkInterface(localAddress)
            .socketRcvbufLength(socketBufferBytes)
            .receiverWindowLength(socketBufferBytes)
            .build();
    }

    /**
     * A multicast group for PARAMS: an IPv4 multicast address whose last byte is odd (Aeron sends data to it and
     * control messages to the next address) and a port.
     *
     * @return the group, unchanged.
     * @throws IllegalArgumentException naming the key and what is wrong.
     */
    static String checkGroup(final String key, final String group)
    {
        if (!isEndpoint(group) || port(group) <= 0)
        {
            throw new IllegalArgumentException(key + " must be host:port of an IPv4 multicast group, e.g. " +
                "239.255.65.87:40200, was '" + group + "'");
        }
        final String host = host(group);
        final String[] bytes = host.split("\\.");
        final boolean ipv4 = bytes.length == 4 && Arrays.stream(bytes).allMatch((b) -> b.matches("\\d{1,3}") &&
            Integer.parseInt(b) <= 255);
        if (!ipv4 || Integer.parseInt(bytes[0]) < 224 || Integer.parseInt(bytes[0]) > 239)
        {
            throw new IllegalArgumentException(key + " = " + group + ": " + host + " is not an IPv4 multicast " +
                "address (224.0.0.0 to 239.255.255.255; 239.255.x.x is for a site's own use)");
        }
        if ((Integer.parseInt(bytes[3]) & 1) == 0)
        {
            throw new IllegalArgumentException(key + " = " + group + ": the group's last byte must be odd (Aeron " +
                "sends control messages to the next address), e.g. " + bytes[0] + "." + bytes[1] + "." + bytes[2] +
                "." + (Integer.parseInt(bytes[3]) | 1));
        }
        return group;
    }

    static void validate(final int mtu, final int termLength, final int chunkBytes, final int socketBufferBytes)
    {
        if (mtu < MIN_MTU || mtu > MAX_MTU || (mtu & 31) != 0)
        {
            throw new IllegalArgumentException(
                "mtu must be a multiple of 32 in [" + MIN_MTU + ", " + MAX_MTU + "], was " + mtu);
        }
        if (termLength < MIN_TERM_LENGTH || termLength > MAX_TERM_LENGTH || Integer.bitCount(termLength) != 1)
        {
            throw new IllegalArgumentException(
                "termLength must be a power of two in [64 KiB, 1 GiB], was " + termLength);
        }
        if (socketBufferBytes < MIN_SOCKET_BUFFER || socketBufferBytes > MAX_SOCKET_BUFFER)
        {
            throw new IllegalArgumentException(
                "socketBufferBytes must be in [64 KiB, 64 MiB], was " + socketBufferBytes);
        }
        if (socketBufferBytes < mtu)
        {
            throw new IllegalArgumentException(
                "socketBufferBytes (" + socketBufferBytes + ") must be >= mtu (" + mtu + ")");
        }
        final int maxChunkBytes = maxChunkBytes(termLength);
        if (chunkBytes < 4 || (chunkBytes & 3) != 0 || chunkBytes > maxChunkBytes)
        {
            throw new IllegalArgumentException(
                "chunkBytes must be a multiple of 4 in [4, " + maxChunkBytes + "] (termLength/8 minus the " +
                WireSchema.MAX_CHUNK_HEADER_LENGTH + "-byte chunk header, for termLength " + termLength +
                "), was " + chunkBytes);
        }
    }

    static int maxChunkBytes(final int termLength)
    {
        return (Math.min(termLength / 8, MAX_MESSAGE_LENGTH) - WireSchema.MAX_CHUNK_HEADER_LENGTH) & ~3;
    }

    static String checkHost(final String key, final String host)
    {
        if (host == null || host.isEmpty() || !isHost(host))
        {
            throw new IllegalArgumentException(key + " must be a host name or IP address, was '" + host + "'");
        }
        return host;
    }

    /**
     * Checks one side's addresses: the advertised host must be a host its peer can reach (never a wildcard), the
     * bind host (null = the advertised one) a host, and the ports given.
     */
    static void checkAddresses(
        final String advertisedKey,
        final String advertised,
        final String peer,
        final String bindKey,
        final String bind,
        final String portsKey,
        final PortRange ports)
    {
        checkHost(advertisedKey, advertised);
        if (isWildcard(advertised))
        {
            throw new IllegalArgumentException(advertisedKey + " must be an address " + peer + " can reach, was '" +
                advertised + "' (a wildcard can be bound, never advertised)");
        }
        if (bind != null)
        {
            checkHost(bindKey, bind);
        }
        if (ports == null)
        {
            throw new IllegalArgumentException(portsKey + " is required (0 for an ephemeral port)");
        }
    }

    static String checkEndpoint(final String key, final String endpoint)
    {
        if (!isEndpoint(endpoint))
        {
            throw new IllegalArgumentException(key + " must be host:port with port in [1, 65535], was '" +
                endpoint + "'");
        }
        return endpoint;
    }

    /** @return true for a UDP host:port or an ipc:stream-id reply endpoint. */
    static boolean isReplyEndpoint(final String endpoint)
    {
        return isEndpoint(endpoint) || isIpcEndpoint(endpoint);
    }

    static boolean isIpcEndpoint(final String endpoint)
    {
        if (endpoint == null || !endpoint.startsWith(IPC_PREFIX) || endpoint.length() > IPC_PREFIX.length() + 11)
        {
            return false;
        }
        try
        {
            return Integer.parseInt(endpoint.substring(IPC_PREFIX.length())) != 0;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    /** @return the stream replies to this endpoint go on: the shared reply stream over UDP, the worker's own over IPC. */
    static int replyStream(final String endpoint)
    {
        return isIpcEndpoint(endpoint) ? Integer.parseInt(endpoint.substring(IPC_PREFIX.length())) :
            WireSchema.REPLY_STREAM_ID;
    }

    static boolean isEndpoint(final String endpoint)
    {
        if (endpoint == null || endpoint.length() > 255)
        {
            return false;
        }
        final int colon = endpoint.lastIndexOf(':');
        if (colon <= 0 || colon == endpoint.length() - 1 || !isHost(endpoint.substring(0, colon)))
        {
            return false;
        }
        final int port = port(endpoint);
        return port >= 1 && port <= 65535;
    }

    /** @return port of a host:port endpoint, -1 if it is not numeric. */
    static int port(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        final String digits = endpoint.substring(colon + 1);
        if (digits.isEmpty() || digits.length() > 5)
        {
            return -1;
        }
        int port = 0;
        for (int i = 0; i < digits.length(); i++)
        {
            final char c = digits.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            port = port * 10 + (c - '0');
        }
        return port;
    }

    /** @return host part of a host:port endpoint. */
    static String host(final String endpoint)
    {
        return endpoint.substring(0, endpoint.lastIndexOf(':'));
    }

    /** @return the host without the brackets of an IPv6 literal, as socket APIs want it. */
    static String unbracketed(final String host)
    {
        return host.length() > 2 && host.charAt(0) == '[' ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * Whether an endpoint names the host a frame came from. Only address literals can match: resolving a name would
     * block the caller (the server's agent), and a sender that reports a name simply goes unanswered.
     *
     * @param sourceIdentity Aeron's identity of the image the frame arrived on ("ip:port", "[ipv6]:port").
     * @param endpoint       "host:port" the sender claims.
     * @return true if the endpoint's host is the source's address.
     */
    static boolean isSourceHost(final String sourceIdentity, final String endpoint)
    {
        if (IPC_REQUESTS.equals(sourceIdentity))
        {
            // A process on the server's own media driver: an IPC reply reaches it and nobody else.
            return isIpcEndpoint(endpoint);
        }
        if (sourceIdentity == null || sourceIdentity.lastIndexOf(':') <= 0 || !isEndpoint(endpoint))
        {
            return false;
        }
        final String source = unbracketed(host(sourceIdentity));
        final String claimed = unbracketed(host(endpoint));
        if (source.equals(claimed))
        {
            return true;
        }
        // IPv6 literals have several spellings (::1, 0:0:0:0:0:0:0:1); parsing a literal does no name lookup.
        if (claimed.indexOf(':') < 0 || source.indexOf(':') < 0)
        {
            return false;
        }
        try
        {
            return InetAddress.getByName(claimed).equals(InetAddress.getByName(source));
        }
        catch (final UnknownHostException ex)
        {
            return false;
        }
    }

    /** @return true for an address that means "every interface": it can be bound, never advertised. */
    static boolean isWildcard(final String host)
    {
        final String h = unbracketed(host);
        return h.equals("0.0.0.0") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
    }

    private static boolean isHost(final String host)
    {
        if (host.isEmpty() || host.length() > 253)
        {
            return false;
        }
        if (host.charAt(0) == '[')
        {
            if (host.charAt(host.length() - 1) != ']' || host.length() < 3)
            {
                return false;
            }
            for (int i = 1; i < host.length() - 1; i++)
            {
                final char c = host.charAt(i);
                if (!(isHexDigit(c) || c == ':' || c == '.'))
                {
                    return false;
                }
            }
            return true;
        }
        for (int i = 0; i < host.length(); i++)
        {
            final char c = host.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isHexDigit(final char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
