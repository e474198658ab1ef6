package io.averon.ps;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A run in a JVM of its own for {@code OrphanedDriverDirectoriesIT}: starts a parameter server with its embedded
 * media driver under /dev/shm, writes the driver's directory to the file named by its argument, and serves until it
 * is killed.
 */
public final class ServerProcess
{
    private ServerProcess()
    {
    }

    /**
     * @param args the file to write the media driver's directory to.
     * @throws Exception if the server cannot start or the file cannot be written.
     */
    public static void main(final String[] args) throws Exception
    {
        final ParameterServer server = ParameterServer.start(
            Fixtures.serverConfig().build(), new float[] { 1, 2, 3 }, 0, new Fixtures.RecordingRule(1));
        final Path report = Path.of(args[0]);
        final Path partial = Path.of(args[0] + ".partial");
        Files.write(partial, server.aeronDirectory().getBytes(StandardCharsets.UTF_8));
        // Renamed into place so that the test never reads half a path.
        Files.move(partial, report, StandardCopyOption.ATOMIC_MOVE);
        Thread.sleep(Long.MAX_VALUE);
    }
}
