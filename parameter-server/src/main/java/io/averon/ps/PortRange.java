package io.averon.ps;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.function.IntFunction;

/**
 * The UDP ports one side of the parameter server may bind: a single port, an inclusive range such as
 * {@code 40100-40199} (so an operator can open exactly those ports in a firewall), or {@code 0} for an ephemeral port
 * the kernel chooses. {@link #bind} takes the first free port of the range: each port is probed with a plain datagram
 * socket first, because a media driver that already listens on a port would otherwise hand a second subscription the
 * same socket (and the same replies) instead of refusing it.
 */
public final class PortRange
{
    /** An ephemeral port chosen by the kernel. */
    public static final PortRange EPHEMERAL = new PortRange(0, 0);

    private final int first;
    private final int last;

    private PortRange(final int first, final int last)
    {
        this.first = first;
        this.last = last;
    }

    /**
     * @param first first port, 1..65535.
     * @param last  last port, first..65535.
     * @return the range.
     */
    public static PortRange of(final int first, final int last)
    {
        if (first == 0 && last == 0)
        {
            return EPHEMERAL;
        }
        if (first < 1 || last > 65535 || last < first)
        {
            throw new IllegalArgumentException("port range must be 1 <= first <= last <= 65535, was " + first + "-" +
                last);
        }
        return new PortRange(first, last);
    }

    /**
     * @param key  configuration key named in errors.
     * @param text "0" (ephemeral), "P" or "FIRST-LAST".
     * @return the range.
     * @throws IllegalArgumentException naming the key and the value when the text is not a port or a range.
     */
    public static PortRange parse(final String key, final String text)
    {
        final String value = text == null ? "" : text.trim();
        try
        {
            final int dash = value.indexOf('-');
            if (dash < 0)
            {
                final int port = Integer.parseInt(value);
                if (port < 0 || port > 65535)
                {
                    throw new NumberFormatException();
                }
                return port == 0 ? EPHEMERAL : new PortRange(port, port);
            }
            final int from = Integer.parseInt(value.substring(0, dash).trim());
            final int to = Integer.parseInt(value.substring(dash + 1).trim());
            return of(from, to);
        }
        catch (final NumberFormatException | IndexOutOfBoundsException ex)
        {
            throw new IllegalArgumentException(key + " must be a UDP port (0 = ephemeral) or a range FIRST-LAST such " +
                "as 40100-40199, was '" + text + "'");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(key + ": " + ex.getMessage() + " ('" + text + "')");
        }
    }

    /** @return true for an ephemeral port. */
    public boolean ephemeral()
    {
        return first == 0;
    }

    /** @return first port of the range (0 when ephemeral). */
    public int first()
    {
        return first;
    }

    /** @return last port of the range (0 when ephemeral). */
    public int last()
    {
        return last;
    }

    /** @return number of ports in the range (1 for ephemeral). */
    public int size()
    {
        return last - first + 1;
    }

    /**
     * Open something on the first free port of this range.
     *
     * @param what  what is being bound, for the error ("parameter server", "worker 3 reply channel").
     * @param key   configuration key that sets the range, for the error.
     * @param host  local address to bind (may be 0.0.0.0).
     * @param open  opens the channel on a port; throws if the port turned out to be taken.
     * @param <T>   what open returns.
     * @return what open returned for the first port that worked.
     * @throws NoFreePortException naming the host, the range and the key when every port is taken.
     */
    public <T> T bind(final String what, final String key, final String host, final IntFunction<T> open)
    {
        if (ephemeral())
        {
            return open.apply(0);
        }
        RuntimeException lastFailure = null;
        for (int port = first; port <= last; port++)
        {
            if (!free(host, port))
            {
                continue;
            }
            try
            {
                return open.apply(port);
            }
            catch (final RuntimeException ex)
            {
                if (!addressInUse(ex))
                {
                    throw ex;
                }
                lastFailure = ex;
            }
        }
        throw new NoFreePortException("no free UDP port for the " + what + " on " + host + ": all " + size() +
            " ports of " + this + " are in use; widen " + key + " (and open the new ports in the firewall) or stop " +
            "what holds them", lastFailure);
    }

    /** @return the range as {@link #parse} reads it: "0", "P" or "FIRST-LAST". */
    public String spec()
    {
        return ephemeral() ? "0" : first == last ? Integer.toString(first) : first + "-" + last;
    }

    @Override
    public String toString()
    {
        return ephemeral() ? "0 (ephemeral)" : spec();
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof PortRange other && other.first == first && other.last == last;
    }

    @Override
    public int hashCode()
    {
        return first * 65536 + last;
    }

    private static boolean free(final String host, final int port)
    {
        try (DatagramSocket socket = new DatagramSocket(null))
        {
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(UdpChannels.unbracketed(host), port));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private static boolean addressInUse(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            final String message = t.getMessage();
            if (t instanceof java.net.BindException ||
                (message != null && message.toLowerCase(java.util.Locale.ROOT).contains("address already in use")))
            {
                return true;
            }
        }
        return false;
    }
}
