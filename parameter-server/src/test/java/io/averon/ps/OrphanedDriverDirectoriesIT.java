package io.averon.ps;

import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.averon.ps.Fixtures.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a run killed with -9 leaves its media-driver directory in /dev/shm, and the next start reclaims it while
 * another run, still alive, keeps its own. Both runs are {@link ServerProcess} JVMs; the next start is a parameter
 * server in this JVM. The killed driver's heartbeat is fresh when the next one starts, so this exercises the local
 * pid check, not the wait for the driver timeout.
 */
@Timeout(180)
class OrphanedDriverDirectoriesIT
{
    private static final long START_DEADLINE_MS = 90_000;

    @TempDir
    Path scratch;

    @Test
    void aKilledRunsDirectoryIsReclaimedOnTheNextStartWhileALiveRunsIsUntouched() throws Exception
    {
        final List<Long> pids = new ArrayList<>();
        final List<String> directories = new ArrayList<>();
        try
        {
            final Process crashed = startRun("crashed", pids);
            final Process running = startRun("running", pids);
            final Path crashedDir = awaitDirectory(crashed, "crashed", directories);
            final Path runningDir = awaitDirectory(running, "running", directories);

            crashed.destroyForcibly();
            assertTrue(crashed.waitFor(30, TimeUnit.SECONDS), "the killed run exited");
            assertTrue(Files.exists(crashedDir.resolve(CncFileDescriptor.CNC_FILE)),
                "kill -9 leaves the media-driver directory behind (the leak)");

            try (ParameterServer next = ParameterServer.start(
                Fixtures.serverConfig().build(), new float[] { 1, 2, 3 }, 0, new Fixtures.RecordingRule(1)))
            {
                assertFalse(Files.exists(crashedDir), "the killed run's directory is reclaimed by the next start");
                assertTrue(Files.exists(runningDir.resolve(CncFileDescriptor.CNC_FILE)),
                    "the live run's directory is untouched");
                assertTrue(Files.exists(Path.of(next.aeronDirectory(), CncFileDescriptor.CNC_FILE)));
                assertTrue(running.isAlive(), "the live run still runs");
            }
        }
        finally
        {
            for (final long pid : pids)
            {
                ProcessHandle.of(pid).ifPresent(OrphanedDriverDirectoriesIT::stop);
            }
            for (final String directory : directories)
            {
                // Whatever the outcome, leave nothing of this test in /dev/shm.
                IoUtil.delete(new File(directory), true);
            }
        }
    }

    /** SIGTERM first, so that a live run deletes its own directory in its shutdown hook; -9 if it lingers. */
    private static void stop(final ProcessHandle process)
    {
        process.destroy();
        try
        {
            process.onExit().get(20, TimeUnit.SECONDS);
        }
        catch (final TimeoutException | ExecutionException | InterruptedException ex)
        {
            process.destroyForcibly();
            process.onExit().completeOnTimeout(process, 20, TimeUnit.SECONDS).join();
        }
    }

    private Process startRun(final String name, final List<Long> pids) throws Exception
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process process = new ProcessBuilder(
            java, "-Xmx128m",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            ServerProcess.class.getName(),
            scratch.resolve(name + ".dir").toString())
            .redirectErrorStream(true)
            .redirectOutput(scratch.resolve(name + ".log").toFile())
            .start();
        pids.add(process.pid());
        return process;
    }

    private Path awaitDirectory(final Process process, final String name, final List<String> directories)
        throws Exception
    {
        final Path report = scratch.resolve(name + ".dir");
        await(name + " run started (log " + scratch.resolve(name + ".log") + ")", START_DEADLINE_MS, () ->
        {
            if (!process.isAlive())
            {
                throw new AssertionError(name + " run exited with " + process.exitValue() + ": " + log(name));
            }
            return Files.exists(report);
        });
        final String directory = Files.readString(report, StandardCharsets.UTF_8);
        directories.add(directory);
        return Path.of(directory);
    }

    private String log(final String name)
    {
        try
        {
            return Files.readString(scratch.resolve(name + ".log"));
        }
        catch (final Exception ex)
        {
            return "(no log: " + ex + ")";
        }
    }
}
