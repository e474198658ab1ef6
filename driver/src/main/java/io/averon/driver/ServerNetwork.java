package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.ps.ParameterServerConfig;
import io.averon.ps.PortRange;
import io.averon.worker.InputException;
import io.averon.worker.WorkerAssignment;
import org.apache.spark.SparkConf;

/**
 * Where the parameter server listens and how workers reach it, from the {@code ps.*} keys and the Spark driver's
 * address: what the server binds ({@code ps.bind-host}, every interface by default) is kept apart from what it tells
 * workers ({@code ps.advertised-host}, the driver's host by default), the server and the workers' reply channels take
 * ports from fixed ranges an operator can open in a firewall, and the MTU fits the link unless set. Every value is
 * checked here, before the server starts, with an error naming the key.
 */
public final class ServerNetwork {
    private final String bindHost;
    private final String advertisedHost;
    private final PortRange serverPorts;
    private final PortRange workerPorts;
    private final int mtu;
    private final String media;
    private final String paramsGroup;

    private ServerNetwork(String bindHost, String advertisedHost, PortRange serverPorts, PortRange workerPorts,
                          int mtu, String media, String paramsGroup) {
        this.bindHost = bindHost;
        this.advertisedHost = advertisedHost;
        this.serverPorts = serverPorts;
        this.workerPorts = workerPorts;
        this.mtu = mtu;
        this.media = media;
        this.paramsGroup = paramsGroup;
    }

    /**
     * @param config the job's configuration
     * @param spark  the running context's configuration (for spark.driver.host)
     * @return the validated settings
     * @throws InputException naming the key of a bad value
     */
    public static ServerNetwork of(JobConfig config, SparkConf spark) {
        String bind = config.string("ps.bind-host").trim();
        String advertised = config.string("ps.advertised-host").trim();
        String origin = "ps.advertised-host";
        if (advertised.isEmpty()) {
            advertised = spark.get("spark.driver.host", "127.0.0.1");
            origin = "spark.driver.host (ps.advertised-host is empty)";
        }
        if (ParameterServerConfig.isWildcard(advertised)) {
            throw new InputException(origin + " = " + advertised + " cannot be advertised to workers: it means "
                    + "'every interface'. Set ps.advertised-host to an address of the driver that executors can reach");
        }
        PortRange serverPorts = ports("ps.port", config);
        PortRange workerPorts = ports("ps.worker-ports", config);
        if (!serverPorts.ephemeral() && !workerPorts.ephemeral() && serverPorts.first() <= workerPorts.last()
                && workerPorts.first() <= serverPorts.last()) {
            throw new InputException("ps.port (" + serverPorts + ") and ps.worker-ports (" + workerPorts
                    + ") overlap: on an executor that shares the driver's host the two would compete for ports");
        }
        int mtu = mtu(config);
        String group = config.oneOf("ps.fan-out", "unicast", "multicast").equals("multicast")
                ? config.string("ps.multicast-group").trim() : null;
        try {
            ParameterServerConfig.builder().bindHost(bind).advertisedHost(advertised).ports(serverPorts).mtu(mtu)
                    .token("check").build();
            if (group != null) {
                ParameterServerConfig.builder().token("check").paramsGroup(group).build();
            }
        } catch (IllegalArgumentException e) {
            throw new InputException("ps settings: " + e.getMessage().replace("paramsGroup", "ps.multicast-group"));
        }
        return new ServerNetwork(bind, advertised, serverPorts, workerPorts, mtu,
                config.oneOf("ps.transport", "auto", "udp", "ipc"), group);
    }

    private static PortRange ports(String key, JobConfig config) {
        try {
            return PortRange.parse(key, config.string(key));
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
    }

    private static int mtu(JobConfig config) {
        String value = config.string("ps.mtu").trim();
        if (value.equals("auto")) {
            return ParameterServerConfig.AUTO_MTU;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InputException("config key ps.mtu must be auto or a number of bytes (1408 fits a 1500-byte "
                    + "network, 8960 jumbo frames), got '" + value + "'");
        }
    }

    /**
     * @param workerMedia "ipc" or "udp", from {@link #workerMedia}: a multicast group only serves workers over UDP
     * @return a server configuration builder with these addresses, ports, MTU and PARAMS fan-out set
     */
    public ParameterServerConfig.Builder serverConfig(String workerMedia) {
        return ParameterServerConfig.builder().bindHost(bindHost).advertisedHost(advertisedHost).ports(serverPorts)
                .mtu(mtu).paramsGroup(workerMedia.equals("udp") ? paramsGroup : null);
    }

    /**
     * The parameter server's whole configuration for one run: this network's addresses, ports and fan-out plus the
     * job's step deadline, eviction, buffer and bound settings, with worker ids bounded by the run's worker count.
     *
     * @throws InputException naming the ps settings when they do not fit together for {@code workers} workers
     */
    public ParameterServerConfig serverConfig(String workerMedia, String token, int workers, JobConfig config) {
        try {
            return serverConfig(workerMedia)
                    .token(token)
                    .stepDeadlineMs(config.millis("ps.step-deadline"))
                    .evictAfterMissedSteps(config.positive("ps.evict-after-missed-steps"))
                    .termLength((int) config.bytes("ps.term-length"))
                    .chunkBytes((int) config.bytes("ps.chunk-bytes"))
                    .maxWorkers(workers)
                    .maxBatchSize(config.positive("ps.max-batch-size"))
                    .maxNonFiniteSteps(config.positive("ps.max-non-finite-steps"))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new InputException("ps settings for " + workers + " workers (ps.max-batch-size, "
                    + "ps.max-non-finite-steps): " + e.getMessage(), e);
        }
    }

    /**
     * @param termLength Aeron term length every party uses
     * @param chunkBytes payload bytes per chunk
     * @return the settings each worker's client is built with
     */
    public WorkerAssignment.Transport workerTransport(int termLength, int chunkBytes) {
        return new WorkerAssignment.Transport(mtu, termLength, chunkBytes, workerPorts.spec(), media, paramsGroup);
    }

    /**
     * @param sharedDriver whether workers share the server's media driver (Spark local mode)
     * @return "ipc" or "udp": what the workers of this run will use
     */
    public String workerMedia(boolean sharedDriver) {
        if (media.equals("ipc") && !sharedDriver) {
            throw new InputException("ps.transport = ipc needs the workers on the driver's media driver (Spark local "
                    + "mode with ps.share-media-driver-in-local-mode = true); use auto or udp on a cluster");
        }
        return media.equals("udp") || !sharedDriver ? "udp" : "ipc";
    }

    /** @return address workers send to. */
    public String advertisedHost() {
        return advertisedHost;
    }

    /** @return address the server binds. */
    public String bindHost() {
        return bindHost;
    }

    /**
     * @param endpoint  the started server's advertised endpoint
     * @param serverMtu   the MTU the server resolved
     * @param workerMedia "ipc" or "udp", from {@link #workerMedia}
     * @return one line for the run header: what an operator opens in a firewall
     */
    public String describe(String endpoint, int serverMtu, String workerMedia) {
        if (workerMedia.equals("ipc")) {
            return "parameter server " + endpoint + ": workers over IPC (shared memory of the driver's media driver; "
                    + "ps.transport = udp for loopback UDP)";
        }
        return "parameter server " + endpoint + " over UDP (bound " + bindHost + ", ps.port " + serverPorts
                + "), worker reply ports " + workerPorts + " (ps.worker-ports), mtu " + serverMtu
                + (mtu == ParameterServerConfig.AUTO_MTU ? " (auto: fitted to the link; workers fit their own)" : "")
                + (paramsGroup == null ? "" : "; parameters multicast to group " + paramsGroup + " (ps.fan-out; "
                + "UDP port " + paramsGroup.substring(paramsGroup.lastIndexOf(':') + 1)
                + " on every executor's host, from the driver)");
    }
}
