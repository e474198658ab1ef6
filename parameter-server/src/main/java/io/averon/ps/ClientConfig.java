package io.averon.ps;

/**
 * Immutable configuration of a {@link ParameterServerClient}: the server endpoint and job token, this worker's id,
 * where the client listens for replies, whether it runs its own media driver, its timeouts, and its Aeron transport
 * sizes (which govern the gradients it sends; the parameters it receives are chunked by the server). Built with
 * {@link #builder()}; {@code build()} validates every value and names the offending key.
 */
public final class ClientConfig
{
    /**
     * How the client reaches the server: over UDP, or over shared memory (Aeron IPC) when it shares the server's media
     * driver. AUTO takes IPC exactly when {@link #aeronDirectory()} is set, since Averon points a client at a running
     * driver only when that driver is the server's.
     */
    public enum Media
    {
        /** IPC with a shared media driver, UDP otherwise. */
        AUTO,
        /** Always UDP, even through a shared media driver. */
        UDP,
        /** Always IPC; needs the server's media driver as {@link #aeronDirectory()}. */
        IPC
    }

    /** Default time to reach the server and receive the first parameters. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
    /** Default time to wait for the parameters of a later step after sending a gradient. */
    public static final long DEFAULT_RESPONSE_TIMEOUT_MS = 120_000;

    private final String serverEndpoint;
    private final String token;
    private final int workerId;
    private final String replyHost;
    private final String replyBindHost;
    private final PortRange replyPorts;
    private final Media media;
    private final String aeronDirectory;
    private final long connectTimeoutMs;
    private final long responseTimeoutMs;
    private final int mtu;
    private final int termLength;
    private final int chunkBytes;
    private final int socketBufferBytes;
    private final String paramsGroup;

    private ClientConfig(final Builder builder)
    {
        serverEndpoint = builder.serverEndpoint;
        token = builder.token;
        workerId = builder.workerId;
        replyHost = builder.replyHost;
        replyBindHost = builder.replyBindHost != null ? builder.replyBindHost : builder.replyHost;
        replyPorts = builder.replyPorts;
        media = builder.media == Media.AUTO ? (builder.aeronDirectory != null ? Media.IPC : Media.UDP) : builder.media;
        aeronDirectory = builder.aeronDirectory;
        connectTimeoutMs = builder.connectTimeoutMs;
        responseTimeoutMs = builder.responseTimeoutMs;
        mtu = builder.mtu == ParameterServerConfig.AUTO_MTU ? LinkMtu.forLocalAddress(replyBindHost) : builder.mtu;
        termLength = builder.termLength;
        chunkBytes = builder.chunkBytes;
        socketBufferBytes = builder.socketBufferBytes;
        paramsGroup = builder.paramsGroup;
    }

    /** @return a builder with defaults and no endpoint, token or worker id. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return a builder holding this configuration's values. */
    public Builder toBuilder()
    {
        return new Builder()
            .serverEndpoint(serverEndpoint)
            .token(token)
            .workerId(workerId)
            .replyHost(replyHost)
            .replyBindHost(replyBindHost)
            .replyPorts(replyPorts)
            .media(media)
            .aeronDirectory(aeronDirectory)
            .connectTimeoutMs(connectTimeoutMs)
            .responseTimeoutMs(responseTimeoutMs)
            .mtu(mtu)
            .termLength(termLength)
            .chunkBytes(chunkBytes)
            .socketBufferBytes(socketBufferBytes)
            .paramsGroup(paramsGroup);
    }

    /**
     * @return the server's multicast group for PARAMS, which a UDP client joins on its reply host's interface; null
     *         when the server sends PARAMS to each worker (and for IPC clients, which are sent to over shared memory).
     */
    public String paramsGroup()
    {
        return paramsGroup;
    }

    /** @return "host:port" of the server. */
    public String serverEndpoint()
    {
        return serverEndpoint;
    }

    /** @return job secret. */
    public String token()
    {
        return token;
    }

    /** @return this worker's id, unique within a run. */
    public int workerId()
    {
        return workerId;
    }

    /** @return host the client reports to the server as its reply address. */
    public String replyHost()
    {
        return replyHost;
    }

    /** @return local address the client binds for replies (by default its reply host). */
    public String replyBindHost()
    {
        return replyBindHost;
    }

    /** @return UDP ports the client may bind for replies; it takes the first free one. */
    public PortRange replyPorts()
    {
        return replyPorts;
    }

    /** @return UDP or IPC, resolved from AUTO. */
    public Media media()
    {
        return media;
    }

    /** @return existing media driver directory to use, or null to start an own driver. */
    public String aeronDirectory()
    {
        return aeronDirectory;
    }

    /** @return connect timeout in milliseconds. */
    public long connectTimeoutMs()
    {
        return connectTimeoutMs;
    }

    /** @return response timeout in milliseconds. */
    public long responseTimeoutMs()
    {
        return responseTimeoutMs;
    }

    /** @return UDP MTU of the client's publication. */
    public int mtu()
    {
        return mtu;
    }

    /** @return Aeron term length of the client's publication. */
    public int termLength()
    {
        return termLength;
    }

    /** @return payload bytes per GRADIENT chunk. */
    public int chunkBytes()
    {
        return chunkBytes;
    }

    /** @return UDP socket buffer and receiver window length. */
    public int socketBufferBytes()
    {
        return socketBufferBytes;
    }

    @Override
    public String toString()
    {
        return "ClientConfig{serverEndpoint=" + serverEndpoint + ", token=***, workerId=" + workerId +
            ", replyHost=" + replyHost + ", replyBindHost=" + replyBindHost + ", replyPorts=" + replyPorts + ", media=" + media +
            ", aeronDirectory=" + aeronDirectory +
            ", connectTimeoutMs=" + connectTimeoutMs + ", responseTimeoutMs=" + responseTimeoutMs +
            ", mtu=" + mtu + ", termLength=" + termLength + ", chunkBytes=" + chunkBytes +
            ", socketBufferBytes=" + socketBufferBytes + '}';
    }

    /**
     * Mutable builder of {@link ClientConfig}; setters only record values, {@link #build()} validates.
     */
    public static final class Builder
    {
        private String serverEndpoint;
        private String token;
        private int workerId = -1;
        private String replyHost = "127.0.0.1";
        private String replyBindHost;
        private PortRange replyPorts = PortRange.EPHEMERAL;
        private Media media = Media.AUTO;
        private String aeronDirectory;
        private long connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
        private long responseTimeoutMs = DEFAULT_RESPONSE_TIMEOUT_MS;
        private int mtu = ParameterServerConfig.DEFAULT_MTU;
        private int termLength = ParameterServerConfig.DEFAULT_TERM_LENGTH;
        private int chunkBytes = ParameterServerConfig.DEFAULT_CHUNK_BYTES;
        private int socketBufferBytes = ParameterServerConfig.DEFAULT_SOCKET_BUFFER_BYTES;
        private String paramsGroup;

        private Builder()
        {
        }

        /** @param serverEndpoint "host:port" of the server (required). @return this */
        public Builder serverEndpoint(final String serverEndpoint)
        {
            this.serverEndpoint = serverEndpoint;
            return this;
        }

        /** @param token job secret (required). @return this */
        public Builder token(final String token)
        {
            this.token = token;
            return this;
        }

        /** @param workerId id >= 0, unique within a run (required). @return this */
        public Builder workerId(final int workerId)
        {
            this.workerId = workerId;
            return this;
        }

        /** @param replyHost host the server sends replies to (and, unless set apart, the one bound). @return this */
        public Builder replyHost(final String replyHost)
        {
            this.replyHost = replyHost;
            return this;
        }

        /** @param replyBindHost local address to bind for replies; null = the reply host. @return this */
        public Builder replyBindHost(final String replyBindHost)
        {
            this.replyBindHost = replyBindHost;
            return this;
        }

        /** @param media UDP, IPC, or AUTO (IPC when sharing the server's media driver). @return this */
        public Builder media(final Media media)
        {
            this.media = media;
            return this;
        }

        /** @param replyPorts ports to try for the reply channel. @return this */
        public Builder replyPorts(final PortRange replyPorts)
        {
            this.replyPorts = replyPorts;
            return this;
        }

        /** @param aeronDirectory existing driver directory, null to start an own driver. @return this */
        public Builder aeronDirectory(final String aeronDirectory)
        {
            this.aeronDirectory = aeronDirectory;
            return this;
        }

        /** @param connectTimeoutMs connect timeout. @return this */
        public Builder connectTimeoutMs(final long connectTimeoutMs)
        {
            this.connectTimeoutMs = connectTimeoutMs;
            return this;
        }

        /** @param responseTimeoutMs response timeout. @return this */
        public Builder responseTimeoutMs(final long responseTimeoutMs)
        {
            this.responseTimeoutMs = responseTimeoutMs;
            return this;
        }

        /** @param mtu UDP MTU. @return this */
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

        /** @param paramsGroup the server's multicast group for PARAMS, or null. @return this */
        public Builder paramsGroup(final String paramsGroup)
        {
            this.paramsGroup = paramsGroup;
            return this;
        }

        /** @param socketBufferBytes UDP socket buffer and receiver window. @return this */
        public Builder socketBufferBytes(final int socketBufferBytes)
        {
            this.socketBufferBytes = socketBufferBytes;
            return this;
        }

        /**
         * @return the validated configuration.
         * @throws IllegalArgumentException naming the first invalid key.
         */
        public ClientConfig build()
        {
            if (serverEndpoint == null)
            {
                throw new IllegalArgumentException("serverEndpoint is required (host:port of the parameter server)");
            }
            UdpChannels.checkEndpoint("serverEndpoint", serverEndpoint);
            ParameterServerConfig.checkToken(token);
            if (workerId < 0)
            {
                throw new IllegalArgumentException("workerId is required and must be >= 0, was " + workerId);
            }
            UdpChannels.checkAddresses("replyHost", replyHost, "the server", "replyBindHost", replyBindHost,
                "replyPorts", replyPorts);
            if (aeronDirectory != null && aeronDirectory.isBlank())
            {
                throw new IllegalArgumentException("aeronDirectory must be null or a path, was blank");
            }
            if (media == null)
            {
                throw new IllegalArgumentException("media is required (AUTO, UDP or IPC)");
            }
            if (media == Media.IPC && aeronDirectory == null)
            {
                throw new IllegalArgumentException("media IPC needs the server's media driver as aeronDirectory: " +
                    "IPC only reaches a server on the same media driver");
            }
            if (connectTimeoutMs <= 0)
            {
                throw new IllegalArgumentException("connectTimeoutMs must be > 0, was " + connectTimeoutMs);
            }
            if (responseTimeoutMs <= 0)
            {
                throw new IllegalArgumentException("responseTimeoutMs must be > 0, was " + responseTimeoutMs);
            }
            UdpChannels.validate(mtu == ParameterServerConfig.AUTO_MTU ? LinkMtu.SAFE_DEFAULT : mtu, termLength,
                chunkBytes, socketBufferBytes);
            if (paramsGroup != null)
            {
                UdpChannels.checkGroup("paramsGroup", paramsGroup);
            }
            return new ClientConfig(this);
        }
    }
}
