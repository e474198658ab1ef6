package io.averon.ps;

import io.averon.ps.wire.WireSchema;

import java.nio.charset.StandardCharsets;

/**
 * Immutable configuration of a {@link ParameterServer}: where it listens, the job token clients must present, the
 * step deadline and eviction policy, and the Aeron transport sizes. Built with {@link #builder()}; {@code build()}
 * validates every value and names the offending key in an {@link IllegalArgumentException}. The token is never
 * printed by {@link #toString()}.
 */
public final class ParameterServerConfig
{
    /** Default step deadline: a step completes at most this long after its first gradient arrived. */
    public static final long DEFAULT_STEP_DEADLINE_MS = 30_000;
    /** Default number of consecutive missed deadlines before a worker is evicted. */
    public static final int DEFAULT_EVICT_AFTER_MISSED_STEPS = 3;
    /** MTU value that means "fit the interface of the bound address, or the advertised one behind a wildcard". */
    public static final int AUTO_MTU = 0;
    /** Default UDP MTU: chosen from the link, see {@link LinkMtu}. */
    public static final int DEFAULT_MTU = AUTO_MTU;
    /** Default Aeron term length (messages are capped at term length / 8). */
    public static final int DEFAULT_TERM_LENGTH = 16 * 1024 * 1024;
    /** Default payload bytes per application-level chunk. */
    public static final int DEFAULT_CHUNK_BYTES = 1024 * 1024;
    /** Default UDP socket buffer and receiver window; measured here to lift loopback throughput about threefold. */
    public static final int DEFAULT_SOCKET_BUFFER_BYTES = 2 * 1024 * 1024;
    /** Default largest batch size one gradient may declare. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 1 << 20;
    /** Default number of worker ids (0 .. n-1) the server accepts; a run passes its worker count. */
    public static final int DEFAULT_MAX_WORKERS = 1024;
    /** Default number of consecutive steps without a finite update after which the server declares divergence. */
    public static final int DEFAULT_MAX_NON_FINITE_STEPS = 3;

    private final String bindHost;
    private final String advertisedHost;
    private final PortRange ports;
    private final String token;
    private final long stepDeadlineMs;
    private final int evictAfterMissedSteps;
    private final String aeronDirectory;
    private final int mtu;
    private final int termLength;
    private final int chunkBytes;
    private final int socketBufferBytes;
    private final int maxBatchSize;
    private final int maxWorkers;
    private final int maxNonFiniteSteps;
    private final String paramsGroup;

    private ParameterServerConfig(final Builder builder)
    {
        bindHost = builder.bindHost != null ? builder.bindHost : builder.advertisedHost;
        advertisedHost = builder.advertisedHost;
        ports = builder.ports;
        token = builder.token;
        stepDeadlineMs = builder.stepDeadlineMs;
        evictAfterMissedSteps = builder.evictAfterMissedSteps;
        aeronDirectory = builder.aeronDirectory;
        // The bound interface carries the traffic when it is one; behind a wildcard, the advertised address's does.
        mtu = builder.mtu != AUTO_MTU ? builder.mtu :
            LinkMtu.forLocalAddress(UdpChannels.isWildcard(bindHost) ? advertisedHost : bindHost);
        termLength = builder.termLength;
        chunkBytes = builder.chunkBytes;
        socketBufferBytes = builder.socketBufferBytes;
        maxBatchSize = builder.maxBatchSize;
        maxWorkers = builder.maxWorkers;
        maxNonFiniteSteps = builder.maxNonFiniteSteps;
        paramsGroup = builder.paramsGroup;
    }

    /** @return a builder with defaults and no token. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return a builder holding this configuration's values. */
    public Builder toBuilder()
    {
        return new Builder()
            .bindHost(bindHost)
            .advertisedHost(advertisedHost)
            .ports(ports)
            .token(token)
            .stepDeadlineMs(stepDeadlineMs)
            .evictAfterMissedSteps(evictAfterMissedSteps)
            .aeronDirectory(aeronDirectory)
            .mtu(mtu)
            .termLength(termLength)
            .chunkBytes(chunkBytes)
            .socketBufferBytes(socketBufferBytes)
            .maxBatchSize(maxBatchSize)
            .maxWorkers(maxWorkers)
            .maxNonFiniteSteps(maxNonFiniteSteps)
            .paramsGroup(paramsGroup);
    }

    /** @return local address the server binds (0.0.0.0 for every interface). */
    public String bindHost()
    {
        return bindHost;
    }

    /** @return address workers are told to send to; never a wildcard. */
    public String advertisedHost()
    {
        return advertisedHost;
    }

    /** @return UDP ports the server may bind; it takes the first free one. */
    public PortRange ports()
    {
        return ports;
    }

    /** @return job secret clients must present. */
    public String token()
    {
        return token;
    }

    /** @return step deadline in milliseconds. */
    public long stepDeadlineMs()
    {
        return stepDeadlineMs;
    }

    /** @return consecutive missed deadlines before eviction. */
    public int evictAfterMissedSteps()
    {
        return evictAfterMissedSteps;
    }

    /** @return media driver directory, or null for a fresh one under /dev/shm. */
    public String aeronDirectory()
    {
        return aeronDirectory;
    }

    /** @return UDP MTU of the server's publications (resolved from the link when configured as auto). */
    public int mtu()
    {
        return mtu;
    }

    /** @return Aeron term length of the server's publications. */
    public int termLength()
    {
        return termLength;
    }

    /** @return payload bytes per PARAMS chunk. */
    public int chunkBytes()
    {
        return chunkBytes;
    }

    /** @return UDP socket buffer and receiver window length. */
    public int socketBufferBytes()
    {
        return socketBufferBytes;
    }

    /** @return largest batch size a gradient may declare; larger ones are rejected. */
    public int maxBatchSize()
    {
        return maxBatchSize;
    }

    /** @return worker ids the server accepts are 0 .. maxWorkers - 1, which also bounds its membership. */
    public int maxWorkers()
    {
        return maxWorkers;
    }

    /** @return consecutive steps without a finite update after which the server stops with a divergence error. */
    public int maxNonFiniteSteps()
    {
        return maxNonFiniteSteps;
    }

    /**
     * @return multicast group (host:port) on which the server sends PARAMS once to every worker that joined it, sent
     *         out of the advertised address's interface; null to send to each worker on its own reply channel.
     */
    public String paramsGroup()
    {
        return paramsGroup;
    }

    @Override
    public String toString()
    {
        return "ParameterServerConfig{bindHost=" + bindHost + ", advertisedHost=" + advertisedHost +
            ", ports=" + ports + ", token=***" +
            ", stepDeadlineMs=" + stepDeadlineMs + ", evictAfterMissedSteps=" + evictAfterMissedSteps +
            ", aeronDirectory=" + aeronDirectory + ", mtu=" + mtu + ", termLength=" + termLength +
            ", chunkBytes=" + chunkBytes + ", socketBufferBytes=" + socketBufferBytes +
            ", maxBatchSize=" + maxBatchSize + ", maxWorkers=" + maxWorkers +
            ", maxNonFiniteSteps=" + maxNonFiniteSteps + ", paramsGroup=" + paramsGroup + '}';
    }

    /**
     * Mutable builder of {@link ParameterServerConfig}; setters only record values, {@link #build()} validates.
     */
    public static final class Builder
    {
        private String bindHost;
        private String advertisedHost = "127.0.0.1";
        private PortRange ports = PortRange.EPHEMERAL;
        private String paramsGroup;
        private String token;
        private long stepDeadlineMs = DEFAULT_STEP_DEADLINE_MS;
        private int evictAfterMissedSteps = DEFAULT_EVICT_AFTER_MISSED_STEPS;
        private String aeronDirectory;
        private int mtu = DEFAULT_MTU;
        private int termLength = DEFAULT_TERM_LENGTH;
        private int chunkBytes = DEFAULT_CHUNK_BYTES;
        private int socketBufferBytes = DEFAULT_SOCKET_BUFFER_BYTES;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int maxWorkers = DEFAULT_MAX_WORKERS;
        private int maxNonFiniteSteps = DEFAULT_MAX_NON_FINITE_STEPS;

        private Builder()
        {
        }

        /** @param host to bind and to advertise (a single-interface server). @return this */
        public Builder host(final String host)
        {
            this.bindHost = host;
            this.advertisedHost = host;
            return this;
        }

        /** @param bindHost local address to bind, 0.0.0.0 for every interface; null = the advertised host. @return this */
        public Builder bindHost(final String bindHost)
        {
            this.bindHost = bindHost;
            return this;
        }

        /** @param advertisedHost address workers send to (required, never a wildcard). @return this */
        public Builder advertisedHost(final String advertisedHost)
        {
            this.advertisedHost = advertisedHost;
            return this;
        }

        /** @param port a single port to bind, 0 for ephemeral. @return this */
        public Builder port(final int port)
        {
            if (port < 0 || port > 65535)
            {
                throw new IllegalArgumentException("port must be in [0, 65535] (0 = ephemeral), was " + port);
            }
            this.ports = port == 0 ? PortRange.EPHEMERAL : PortRange.of(port, port);
            return this;
        }

        /** @param ports ports to try in order (required). @return this */
        public Builder ports(final PortRange ports)
        {
            this.ports = ports;
            return this;
        }

        /** @param token job secret (required). @return this */
        public Builder token(final String token)
        {
            this.token = token;
            return this;
        }

        /** @param stepDeadlineMs step deadline in milliseconds. @return this */
        public Builder stepDeadlineMs(final long stepDeadlineMs)
        {
            this.stepDeadlineMs = stepDeadlineMs;
            return this;
        }

        /** @param evictAfterMissedSteps consecutive missed deadlines before eviction. @return this */
        public Builder evictAfterMissedSteps(final int evictAfterMissedSteps)
        {
            this.evictAfterMissedSteps = evictAfterMissedSteps;
            return this;
        }

        /** @param aeronDirectory media driver directory, null for a fresh one deleted on close. @return this */
        public Builder aeronDirectory(final String aeronDirectory)
        {
            this.aeronDirectory = aeronDirectory;
            return this;
        }

        /** @param mtu UDP MTU, or {@link #AUTO_MTU} to fit the advertised address's interface. @return this */
        public Builder mtu(final int mtu)
        {
            this.mtu = mtu;
            return this;
        }

        /** @param termLength Aeron term length. @return this */
        public Builder termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /** @param chunkBytes payload bytes per chunk. @return this */
        public Builder chunkBytes(final int chunkBytes)
        {
            this.chunkBytes = chunkBytes;
            return this;
        }

        /** @param socketBufferBytes UDP socket buffer and receiver window. @return this */
        public Builder socketBufferBytes(final int socketBufferBytes)
        {
            this.socketBufferBytes = socketBufferBytes;
            return this;
        }

        /** @param maxBatchSize largest batch size a gradient may declare. @return this */
        public Builder maxBatchSize(final int maxBatchSize)
        {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * @param maxWorkers worker ids accepted are 0 .. maxWorkers - 1 (a run passes its worker count).
         * @return this
         */
        public Builder maxWorkers(final int maxWorkers)
        {
            this.maxWorkers = maxWorkers;
            return this;
        }

        /**
         * @param maxNonFiniteSteps consecutive steps without a finite update before divergence stops the server.
         * @return this
         */
        public Builder maxNonFiniteSteps(final int maxNonFiniteSteps)
        {
            this.maxNonFiniteSteps = maxNonFiniteSteps;
            return this;
        }

        /**
         * @param paramsGroup multicast group host:port for PARAMS (see {@link ParameterServerConfig#paramsGroup()}),
         *                    or null for unicast.
         * @return this
         */
        public Builder paramsGroup(final String paramsGroup)
        {
            this.paramsGroup = paramsGroup;
            return this;
        }

        /**
         * @return the validated configuration.
         * @throws IllegalArgumentException naming the first invalid key.
         */
        public ParameterServerConfig build()
        {
            UdpChannels.checkAddresses("advertisedHost", advertisedHost, "workers", "bindHost", bindHost, "ports", ports);
            checkToken(token);
            if (stepDeadlineMs <= 0)
            {
                throw new IllegalArgumentException("stepDeadlineMs must be > 0, was " + stepDeadlineMs);
            }
            if (evictAfterMissedSteps < 1)
            {
                throw new IllegalArgumentException("evictAfterMissedSteps must be >= 1, was " + evictAfterMissedSteps);
            }
            if (aeronDirectory != null && aeronDirectory.isBlank())
            {
                throw new IllegalArgumentException("aeronDirectory must be null or a path, was blank");
            }
            if (maxBatchSize < 1)
            {
                throw new IllegalArgumentException("maxBatchSize must be >= 1, was " + maxBatchSize);
            }
            if (maxWorkers < 1)
            {
                throw new IllegalArgumentException("maxWorkers must be >= 1, was " + maxWorkers);
            }
            // The update rule takes the step's global batch as an int: the bounds guarantee it can never overflow.
            if ((long)maxBatchSize * maxWorkers > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("maxBatchSize x maxWorkers must be at most " + Integer.MAX_VALUE +
                    " (the largest global batch), was " + maxBatchSize + " x " + maxWorkers + ": lower maxBatchSize");
            }
            if (maxNonFiniteSteps < 1)
            {
                throw new IllegalArgumentException("maxNonFiniteSteps must be >= 1, was " + maxNonFiniteSteps);
            }
            UdpChannels.validate(mtu == AUTO_MTU ? LinkMtu.SAFE_DEFAULT : mtu, termLength, chunkBytes,
                socketBufferBytes);
            if (paramsGroup != null)
            {
                UdpChannels.checkGroup("paramsGroup", paramsGroup);
            }
            return new ParameterServerConfig(this);
        }
    }

    /**
     * @param host a host name or address.
     * @return true when it means "every interface" (0.0.0.0, ::): such an address can be bound, never advertised.
     */
    public static boolean isWildcard(final String host)
    {
        return UdpChannels.isWildcard(host);
    }

    static void checkToken(final String token)
    {
        if (token == null || token.isEmpty())
        {
            throw new IllegalArgumentException("token is required (the job secret clients must present)");
        }
        if (token.getBytes(StandardCharsets.UTF_8).length > WireSchema.MAX_VAR_DATA_LENGTH)
        {
            throw new IllegalArgumentException(
                "token must be at most " + WireSchema.MAX_VAR_DATA_LENGTH + " bytes in UTF-8");
        }
    }
}
