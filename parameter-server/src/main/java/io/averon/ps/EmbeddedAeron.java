package io.averon.ps;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.file.Path;
import java.util.UUID;

/**
 * An Aeron client, optionally with the embedded media driver it talks to, owned as one unit so that closing it
 * always releases the driver and deletes the driver's directory (log buffers in /dev/shm count towards memory and
 * outlive the JVM otherwise). The driver runs in SHARED threading mode with a backoff idle strategy: the machines
 * this runs on have two cores, and a busy-spinning driver would starve the trainer. Before a driver starts, the
 * directories of Averon drivers that died without deleting theirs are reclaimed ({@link OrphanedDriverDirectories}).
 */
final class EmbeddedAeron implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedAeron.class);
    private static final String CNC_FILE = "cnc.dat";

    private final MediaDriver driver;
    private final Aeron aeron;
    private final String directory;
    private final Thread deleteOnExit;
    private boolean closed;

    private EmbeddedAeron(final MediaDriver driver, final Aeron aeron, final String directory)
    {
        this.driver = driver;
        this.aeron = aeron;
        this.directory = directory;
        // A JVM stopped by SIGTERM (Spark killing an executor, Ctrl-C) would otherwise leave its log buffers in
        // /dev/shm, where they count against memory until someone deletes them; unlinking is enough at exit.
        this.deleteOnExit = driver == null ? null :
            new Thread(() -> IoUtil.delete(new File(directory), true), "averon-aeron-dir-cleanup");
        if (deleteOnExit != null)
        {
            Runtime.getRuntime().addShutdownHook(deleteOnExit);
        }
    }

    /**
     * Start a media driver and connect a client to it.
     *
     * @param requestedDirectory directory for the driver, or null for a fresh one under /dev/shm.
     * @param prefix             name prefix of a fresh directory.
     * @return the running pair; the directory is deleted on close.
     */
    static EmbeddedAeron launch(final String requestedDirectory, final String prefix)
    {
        final String directory = requestedDirectory != null ? requestedDirectory : freshDirectory(prefix);
        if (requestedDirectory != null)
        {
            checkOwnable(requestedDirectory);
        }

        final MediaDriver.Context driverContext = new MediaDriver.Context()
            .aeronDirectoryName(directory)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(100, 10, 1_000, 1_000_000))
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .warnIfDirectoryExists(false)
            .printConfigurationOnStart(false)
            .errorHandler((throwable) -> LOG.warn("media driver error in {}", directory, throwable));

        // Runs killed with -9 leave their log buffers behind; free them before this driver claims its own share.
        final OrphanedDriverDirectories orphans = new OrphanedDriverDirectories(
            LogBufferSpace.defaultDirectory().toPath(), driverContext.driverTimeoutMs(),
            OrphanedDriverDirectories.DEFAULT_GRACE_MS);
        orphans.reclaim();

        MediaDriver driver = null;
        try
        {
            driver = MediaDriver.launchEmbedded(driverContext);
            orphans.markOwned(Path.of(directory));
            final Aeron aeron = Aeron.connect(clientContext(directory));
            LOG.debug("media driver started in {}", directory);
            return new EmbeddedAeron(driver, aeron, directory);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(driver);
            IoUtil.delete(new File(directory), true);
            throw new ParameterServerException("cannot start Aeron media driver in " + directory, ex);
        }
    }

    /**
     * Connect a client to a media driver someone else runs.
     *
     * @param existingDirectory directory of the running driver.
     * @return the client; closing it leaves the driver and its directory alone.
     */
    static EmbeddedAeron connect(final String existingDirectory)
    {
        try
        {
            return new EmbeddedAeron(null, Aeron.connect(clientContext(existingDirectory)), existingDirectory);
        }
        catch (final RuntimeException ex)
        {
            throw new ParameterServerException(
                "cannot connect to the Aeron media driver in " + existingDirectory + " (is it running?)", ex);
        }
    }

    Aeron aeron()
    {
        return aeron;
    }

    String directory()
    {
        return directory;
    }

    boolean ownsDriver()
    {
        return driver != null;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        CloseHelper.quietClose(aeron);
        if (driver != null)
        {
            CloseHelper.quietClose(driver);
            IoUtil.delete(new File(directory), true);
            LOG.debug("media driver in {} stopped and its directory deleted", directory);
            try
            {
                Runtime.getRuntime().removeShutdownHook(deleteOnExit);
            }
            catch (final IllegalStateException exiting)
            {
                // already shutting down: the hook runs and finds nothing left to delete
            }
        }
    }

    private static Aeron.Context clientContext(final String directory)
    {
        return new Aeron.Context()
            .aeronDirectoryName(directory)
            .errorHandler((throwable) -> LOG.warn("Aeron client error (driver {})", directory, throwable));
    }

    private static String freshDirectory(final String prefix)
    {
        return new File(LogBufferSpace.defaultDirectory(), prefix + "-" + UUID.randomUUID()).getAbsolutePath();
    }

    /**
     * The driver deletes its directory on start and on shutdown, so refuse a directory holding anything but a
     * previous Aeron driver's files: a mistaken "/dev/shm" or home directory must not be wiped.
     */
    private static void checkOwnable(final String directory)
    {
        final File dir = new File(directory);
        if (!dir.exists())
        {
            return;
        }
        final String[] entries = dir.list();
        if (entries == null)
        {
            throw new IllegalArgumentException("aeronDirectory " + directory + " exists and is not a directory");
        }
        if (entries.length > 0 && !new File(dir, CNC_FILE).exists())
        {
            throw new IllegalArgumentException("aeronDirectory " + directory +
                " exists, is not empty and is not an Aeron directory; refusing to let the media driver delete it");
        }
    }
}
