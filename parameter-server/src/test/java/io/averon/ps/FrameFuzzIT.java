package io.averon.ps;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.averon.ps.Fixtures.await;
import static io.averon.ps.Fixtures.clientConfig;
import static io.averon.ps.Fixtures.serverConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8's fuzzer: two real workers (each on its own thread, over UDP through a real media driver) train a small
 * synthetic problem for a fixed number of steps while a {@link FrameFuzzer} drives hostile frames at the same
 * server, paced so that the fuzz spans the whole run. The same training runs first without the fuzzer; afterwards
 * the fuzzed run's final parameters must be bit-identical to the clean run's, on both workers and on the server; the
 * server must still accept a fresh client and complete a step with it; nothing may have been logged at ERROR or
 * failed the server; and the server's rejected-frame counter must have grown by at least the number of frames the
 * fuzzer knows must be rejected and by no more than all it sent (so no honest frame was rejected). The seed is
 * printed; {@code -Daveron.fuzz.seed=N} reproduces a run and {@code -Daveron.fuzz.frames=N} sets its length
 * ({@code deploy/bench/ps-fuzz-soak.sh} runs a million).
 */
@Timeout(900)
class FrameFuzzIT
{
    private static final long DEFAULT_SEED = 0x5EED_F0CC_1A55L;
    private static final long DEFAULT_FRAMES = 200_000;
    private static final int PARAMETERS = 1_000;
    private static final int WORKERS = 2;
    private static final int ROGUE_ID = WORKERS;
    private static final int STEPS = 100;
    /** 250 floats: four chunks per gradient, so the order and completeness of chunks matters. */
    private static final int CHUNK_BYTES = 1_000;
    /** Long, so that no honest worker is dropped from a step (which would change the result) on a loaded machine. */
    private static final long DEADLINE_MS = 60_000;
    private static final float LEARNING_RATE = 0.1f;

    private record Result(float[][] workers, float[] server, ServerStats stats, FrameFuzzer.Tally tally)
    {
    }

    @Test
    void fuzzedFramesChangeNothingInTrainingCannotStopTheServerAndAreAllCounted() throws Exception
    {
        final long seed = longProperty("averon.fuzz.seed", DEFAULT_SEED);
        final long frames = longProperty("averon.fuzz.frames", DEFAULT_FRAMES);
        System.out.println("FrameFuzzIT: seed " + seed + ", " + frames + " frames (reproduce with -Daveron.fuzz.seed=" +
            seed + " -Daveron.fuzz.frames=" + frames + ")");

        final Result clean = train(seed, 0);
        assertEquals(0, clean.stats.rejectedMessages(), "the honest workers alone sent nothing rejectable");

        final ErrorLog errors = ErrorLog.attach();
        final Result fuzzed;
        try
        {
            fuzzed = train(seed, frames);
        }
        finally
        {
            errors.detach();
        }

        final FrameFuzzer.Tally tally = fuzzed.tally;
        final double seconds = tally.nanos / 1e9;
        System.out.printf("FrameFuzzIT: seed %d: %d frames in %.1f s (%.0f frames/s) beside %d steps of 2 workers; " +
                "%s; server rejected %d %s%n", seed, frames, seconds, frames / seconds, STEPS, tally,
            fuzzed.stats.rejectedMessages(), fuzzed.stats.rejectedByReason());

        for (int w = 0; w < WORKERS; w++)
        {
            assertArrayEquals(clean.workers[w], fuzzed.workers[w], "worker " + w + "'s final parameters, seed " + seed);
        }
        assertArrayEquals(clean.server, fuzzed.server, "server parameters, seed " + seed);
        assertArrayEquals(fuzzed.server, fuzzed.workers[0], "workers hold the server's parameters, seed " + seed);
        assertEquals(List.of(), errors.messages(), "errors logged while fuzzing, seed " + seed);
        assertTrue(fuzzed.stats.rejectedMessages() >= tally.known, "rejected " + fuzzed.stats.rejectedMessages() +
            " < " + tally.known + " frames that must be rejected, seed " + seed);
        assertTrue(fuzzed.stats.rejectedMessages() <= tally.known + tally.uncertain, "rejected " +
            fuzzed.stats.rejectedMessages() + " > all " + (tally.known + tally.uncertain) + " fuzz frames: an " +
            "honest frame was rejected, seed " + seed);
        assertEquals(STEPS, clean.stats.step());
        assertEquals(STEPS + 1, fuzzed.stats.step(), "the fresh client's step followed the run");
        assertEquals(clean.stats.gradientsAccepted() + 1, fuzzed.stats.gradientsAccepted());
        assertEquals(0, fuzzed.stats.droppedFromStep());
    }

    /** Unlike Long.getLong, a value that does not parse fails instead of silently running the default. */
    private static long longProperty(final String name, final long defaultValue)
    {
        final String value = System.getProperty(name);
        return value == null || value.isBlank() ? defaultValue : Long.decode(value.trim());
    }

    /** One run: frames == 0 trains without the rogue and fuzzer. */
    private static Result train(final long seed, final long frames) throws Exception
    {
        final UpdateRule sgd = (parameters, mean, globalBatchSize, step) ->
        {
            for (int i = 0; i < parameters.length; i++)
            {
                parameters[i] -= LEARNING_RATE * mean[i];
            }
        };
        final float[] initial = new float[PARAMETERS];
        for (int i = 0; i < PARAMETERS; i++)
        {
            initial[i] = ((i % 13) - 6) * 0.1f;
        }

        final ExecutorService threads = Executors.newFixedThreadPool(WORKERS + 1);
        try (ParameterServer server = ParameterServer.start(serverConfig().stepDeadlineMs(DEADLINE_MS)
                .maxWorkers(WORKERS + 1).chunkBytes(CHUNK_BYTES).build(), initial, 0, sgd))
        {
            final RawPeer rogue = frames > 0 ? new RawPeer(server) : null;
            final List<ParameterServerClient> clients = new ArrayList<>();
            try
            {
                FrameFuzzer fuzzer = null;
                Future<?> fuzzing = null;
                if (rogue != null)
                {
                    rogue.register(ROGUE_ID, Fixtures.TOKEN);
                    fuzzer = new FrameFuzzer(rogue, server, ROGUE_ID, CHUNK_BYTES / Float.BYTES, seed, frames, STEPS);
                }
                for (int w = 0; w < WORKERS; w++)
                {
                    clients.add(ParameterServerClient.connect(clientConfig(server, w)
                        .media(ClientConfig.Media.UDP)
                        .chunkBytes(CHUNK_BYTES)
                        .responseTimeoutMs(DEADLINE_MS * 2)
                        .build()));
                }
                if (fuzzer != null)
                {
                    fuzzing = threads.submit(fuzzer);
                }

                final List<Future<float[]>> workers = new ArrayList<>();
                for (int w = 0; w < WORKERS; w++)
                {
                    final ParameterServerClient client = clients.get(w);
                    final int workerId = w;
                    final FrameFuzzer pace = fuzzer;
                    workers.add(threads.submit(() -> work(client, workerId, pace, frames)));
                }
                final float[][] finals = new float[WORKERS][];
                for (int w = 0; w < WORKERS; w++)
                {
                    finals[w] = workers.get(w).get(10, TimeUnit.MINUTES);
                }

                FrameFuzzer.Tally tally = null;
                if (fuzzer != null)
                {
                    await("fuzzer done", 600_000, fuzzer::finished);
                    fuzzer.stop();
                    fuzzing.get(1, TimeUnit.MINUTES);
                    tally = fuzzer.tally();
                    final long known = tally.known;
                    await("the server counted every frame that must be rejected", 60_000,
                        () -> server.stats().rejectedMessages() >= known);
                    // Let the tail of the fuzz arrive before the counter is read for the upper bound.
                    Thread.sleep(500);
                }
                final ServerStats duringRun = server.stats();
                assertNull(server.failure(), "server failed, seed " + seed);
                final float[] serverParameters = server.atStepBoundary((parameters, step) -> parameters.clone());

                // The server is alive: with the run's members gone, a fresh client registers and completes a step.
                if (rogue != null)
                {
                    rogue.leave(ROGUE_ID);
                }
                for (final ParameterServerClient client : clients)
                {
                    client.close();
                }
                clients.clear();
                await("members left", 10_000, () -> server.stats().registeredWorkers() == 0);
                if (rogue != null)
                {
                    try (ParameterServerClient fresh = ParameterServerClient.connect(clientConfig(server, 0)
                        .media(ClientConfig.Media.UDP).chunkBytes(CHUNK_BYTES).build()))
                    {
                        assertEquals(STEPS, fresh.step());
                        assertArrayEquals(serverParameters, fresh.parameters());
                        assertEquals(STEPS + 1, fresh.exchange(new float[PARAMETERS], 1, 1.0));
                    }
                }
                final ServerStats after = server.stats();
                assertNull(server.failure(), "server failed, seed " + seed);
                // Rejections are compared as of the end of the run (before the fresh client), the rest as of now.
                final ServerStats stats = new ServerStats(after.step(), after.examplesApplied(),
                    after.lastStepLoss(), after.registeredWorkers(), after.gradientsAccepted(), after.lateGradients(),
                    after.droppedFromStep(), after.evictions(), duringRun.rejectedMessages(),
                    duringRun.rejectedByReason(), after.workersSeen(), after.stalledSends(), after.nonFiniteSteps(),
                    after.refusalsWithheld(), after.stepTimes());
                return new Result(finals, serverParameters, stats, tally);
            }
            finally
            {
                for (final ParameterServerClient client : clients)
                {
                    client.close();
                }
                if (rogue != null)
                {
                    rogue.close();
                }
            }
        }
        finally
        {
            threads.shutdownNow();
        }
    }

    /** A worker's loop: a gradient that depends only on the parameters, the step and the worker. */
    private static float[] work(
        final ParameterServerClient client, final int workerId, final FrameFuzzer pace, final long frames)
    {
        assertEquals(0, client.step());
        final float[] gradient = new float[PARAMETERS];
        for (int step = 0; step < STEPS; step++)
        {
            if (pace != null)
            {
                // Spread the fuzz over the whole run: step s starts once s/STEPS of the frames went out.
                final long due = frames * step / STEPS;
                while (pace.sent() < due && !pace.finished())
                {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            }
            final float[] parameters = client.parameters();
            for (int j = 0; j < PARAMETERS; j++)
            {
                gradient[j] = (float)(0.05 * parameters[j] + 0.01 * StrictMath.sin(0.37 * j + 0.11 * step + workerId));
            }
            final int batchSize = 3 + 5 * workerId + step % 4;
            final long next = client.exchange(gradient, batchSize, 1.0 / (step + 1));
            assertEquals(step + 1, next, "worker " + workerId + " was dropped from step " + step);
        }
        return client.parameters().clone();
    }

    /** Collects every ERROR the parameter server or client logs (an agent exception is only logged). */
    private static final class ErrorLog extends AbstractAppender
    {
        private final List<String> messages = new java.util.concurrent.CopyOnWriteArrayList<>();

        private ErrorLog()
        {
            super("frame-fuzz-errors", null, null, true, Property.EMPTY_ARRAY);
        }

        static ErrorLog attach()
        {
            final ErrorLog log = new ErrorLog();
            log.start();
            final LoggerContext context = (LoggerContext)LogManager.getContext(false);
            context.getConfiguration().getRootLogger().addAppender(log, Level.ERROR, null);
            context.updateLoggers();
            return log;
        }

        void detach()
        {
            final LoggerContext context = (LoggerContext)LogManager.getContext(false);
            context.getConfiguration().getRootLogger().removeAppender(getName());
            context.updateLoggers();
            stop();
        }

        List<String> messages()
        {
            return messages;
        }

        @Override
        public void append(final LogEvent event)
        {
            if (event.getLoggerName().startsWith("io.averon"))
            {
                messages.add(event.getLoggerName() + ": " + event.getMessage().getFormattedMessage() +
                    (event.getThrown() == null ? "" : " " + event.getThrown()));
            }
        }
    }
}
