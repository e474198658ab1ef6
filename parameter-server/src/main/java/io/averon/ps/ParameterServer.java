package io.averon.ps;

import io.aeron.Subscription;
import org.agrona.CloseHelper;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A synchronous parameter server over Aeron UDP: it holds the authoritative parameters, collects one gradient per
 * registered worker for the current step, averages them weighted by batch size in ascending worker-id order, applies
 * them through an {@link UpdateRule} and publishes the new parameters to every member. A step completes when every
 * member has answered or its deadline has passed (the missing workers are dropped from it, and evicted after too many
 * consecutive misses), so a dead worker never hangs training. It runs its own embedded media driver and a single
 * agent thread; {@link #stats()}, {@link #step()} and {@link #atStepBoundary} are safe from any thread.
 */
public final class ParameterServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ParameterServer.class);
    private static final long BIND_TIMEOUT_MS = 10_000;

    private final ParameterServerConfig config;
    private final EmbeddedAeron transport;
    private final ParameterServerAgent agent;
    private final AgentRunner runner;
    private final ServerCounters counters;
    private final String endpoint;
    private final int parameterCount;
    private final Object lifecycleLock = new Object();
    private boolean closed;

    private ParameterServer(
        final ParameterServerConfig config,
        final EmbeddedAeron transport,
        final ParameterServerAgent agent,
        final ServerCounters counters,
        final String endpoint,
        final int parameterCount)
    {
        this.config = config;
        this.transport = transport;
        this.agent = agent;
        this.counters = counters;
        this.endpoint = endpoint;
        this.parameterCount = parameterCount;
        this.runner = new AgentRunner(
            new BackoffIdleStrategy(100, 10, 1_000, 1_000_000),
            (throwable) -> LOG.error("parameter server agent error", throwable),
            null,
            agent);
    }

    /**
     * Start a parameter server: launch its media driver, bind its endpoint and start serving.
     *
     * @param config            configuration.
     * @param initialParameters parameters to start from; copied.
     * @param initialStep       number of steps already applied to them (0 for a fresh model).
     * @param rule              applies each step's mean gradient.
     * @return the running server.
     * @throws IllegalArgumentException if the parameters are empty or not finite, or initialStep is negative.
     * @throws ParameterServerException if the transport cannot start or bind.
     */
    public static ParameterServer start(
        final ParameterServerConfig config,
        final float[] initialParameters,
        final long initialStep,
        final UpdateRule rule)
    {
        if (config == null || rule == null || initialParameters == null)
        {
            throw new IllegalArgumentException("config, initialParameters and rule are required");
        }
        if (initialParameters.length == 0)
        {
            throw new IllegalArgumentException("initialParameters must not be empty");
        }
        if (initialStep < 0)
        {
            throw new IllegalArgumentException("initialStep must be >= 0, was " + initialStep);
        }
        for (int i = 0; i < initialParameters.length; i++)
        {
            if (!Float.isFinite(initialParameters[i]))
            {
                throw new IllegalArgumentException(
                    "initialParameters[" + i + "] is " + initialParameters[i] + "; parameters must be finite");
            }
        }

        final float[] parameters = initialParameters.clone();
        final ServerCounters counters = new ServerCounters(initialStep);
        final EmbeddedAeron transport = EmbeddedAeron.launch(config.aeronDirectory(), "averon-ps");
        try
        {
            final ParameterServerAgent agent = config.ports().bind("parameter server", "ps.port",
                config.bindHost(),
                (port) -> new ParameterServerAgent(config, transport.aeron(), parameters, initialStep, rule, counters,
                    port));
            final String endpoint = config.advertisedHost() + ":" + boundPort(agent.subscription(), config);
            agent.endpoint(endpoint);

            final ParameterServer server =
                new ParameterServer(config, transport, agent, counters, endpoint, parameters.length);
            AgentRunner.startOnThread(server.runner, (runnable) -> new Thread(runnable, "averon-ps-" + endpoint));

            LOG.info("parameter server listening on {} (bound {}, UDP): {} parameters ({} MiB), step {}, step deadline {} ms, " +
                "evict after {} missed steps, mtu {}, term {} KiB, chunk {} bytes, aeron dir {}",
                endpoint, config.bindHost(), parameters.length, (parameters.length * 4L) >> 20, initialStep, config.stepDeadlineMs(),
                config.evictAfterMissedSteps(), config.mtu(), config.termLength() >> 10, config.chunkBytes(),
                transport.directory());
            return server;
        }
        catch (final RuntimeException ex)
        {
            transport.close();
            throw ex;
        }
    }

    /** @return "host:port" clients publish to, with an ephemeral port resolved. */
    public String endpoint()
    {
        return endpoint;
    }

    /** @return MTU of the server's publications (resolved from the link when configured as auto). */
    public int mtu()
    {
        return config.mtu();
    }

    /** @return the embedded media driver's directory; clients in the same JVM may share it. */
    public String aeronDirectory()
    {
        return transport.directory();
    }

    /** @return number of steps applied so far (starts at the initial step). */
    public long step()
    {
        return counters.step();
    }

    /** @return number of model parameters. */
    public int parameterCount()
    {
        return parameterCount;
    }

    /** @return the configuration the server was started with. */
    public ParameterServerConfig config()
    {
        return config;
    }

    /**
     * Run an action on the agent thread between two steps (no update in progress) with the authoritative
     * parameters and the current step; used for consistent checkpoints. The action must treat the array as
     * read-only and must not keep it: parameters may be on their way to workers.
     *
     * @param action receives the parameters and the number of steps applied to them.
     * @param <T>    result type.
     * @return the action's result.
     * @throws ParameterServerException if the server is closed or failed, or the action threw a checked exception.
     * @throws IllegalStateException    if called from the agent thread (for example from an {@link UpdateRule}).
     */
    public <T> T atStepBoundary(final BiFunction<float[], Long, T> action)
    {
        if (agent.isAgentThread())
        {
            throw new IllegalStateException("atStepBoundary called from the parameter server's own thread");
        }

        final BoundaryTask<T> task = new BoundaryTask<>(action);
        synchronized (lifecycleLock)
        {
            if (closed)
            {
                throw new ParameterServerException("parameter server at " + endpoint + " is closed");
            }
            while (!agent.offer(task))
            {
                Thread.onSpinWait();
            }
        }

        try
        {
            return task.result.get();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ParameterServerException("interrupted waiting for a step boundary", ex);
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException runtime)
            {
                throw runtime;
            }
            if (cause instanceof Error error)
            {
                throw error;
            }
            throw new ParameterServerException("step boundary action failed: " + cause, cause);
        }
    }

    /**
     * Which workers' gradients the steps from {@code fromStep} on applied, up to the current step; the record before
     * {@code fromStep} is forgotten, so a caller asks for each range of steps it accounts for once, in order, and the
     * record of a long run stays the size of one round.
     *
     * @param fromStep first step wanted (steps before this server's initial step are not known to it).
     * @return an immutable copy taken between two steps.
     * @throws ParameterServerException if the server is closed or failed.
     */
    public Contributions contributionsSince(final long fromStep)
    {
        return atStepBoundary((parameters, step) -> agent.contributionsSince(fromStep));
    }

    /**
     * Why the server stopped serving steps, if it did: a {@link DivergenceException} when training diverged, another
     * {@link ParameterServerException} (with the update rule's exception as cause) when an update failed. A driver
     * polls this to stop a run with the server's reason instead of waiting for its workers to fail one by one.
     *
     * @return the failure, or null while the server is serving.
     */
    public ParameterServerException failure()
    {
        return counters.failure();
    }

    /** @return an immutable snapshot of the server's counters. */
    public ServerStats stats()
    {
        return counters.snapshot();
    }

    /**
     * Stop the agent, close publications and subscription, stop the media driver and delete its directory.
     */
    @Override
    public void close()
    {
        synchronized (lifecycleLock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }

        CloseHelper.quietClose(runner);
        agent.failPendingTasks(new ParameterServerException("parameter server at " + endpoint + " closed"));
        transport.close();
        LOG.info("parameter server {} closed at step {} ({} examples applied, {} frames rejected)",
            endpoint, counters.step(), counters.examplesApplied(), counters.rejected());
    }

    private static int boundPort(final Subscription subscription, final ParameterServerConfig config)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BIND_TIMEOUT_MS);
        while (true)
        {
            final String resolved = subscription.resolvedEndpoint();
            if (resolved != null)
            {
                final int port = UdpChannels.port(resolved);
                if (port > 0)
                {
                    return port;
                }
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new ParameterServerException(
                    "parameter server could not bind " + config.bindHost() + " (ports " + config.ports() + ") within " +
                    BIND_TIMEOUT_MS + " ms");
            }
            sleepQuietly();
        }
    }

    private static void sleepQuietly()
    {
        try
        {
            Thread.sleep(1);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new ParameterServerException("interrupted while binding", ex);
        }
    }
}
