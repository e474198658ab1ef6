package io.averon.ps;

import io.aeron.CommonContext;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

/**
 * The shared memory Aeron's log buffers take, and a check that the filesystem holding them (normally /dev/shm) has
 * that much free before anything starts. Every publication and every image of one is a file of three terms; a
 * container whose /dev/shm is smaller (Docker's default is 64 MiB) would otherwise fail mid-run with a bus error or
 * an obscure mapping failure. The figures are per party: the server holds one reply publication to, and one image
 * from, each worker; a worker with its own media driver holds one of each for the server. When the space is short,
 * the directories of dead Averon drivers are reclaimed ({@link OrphanedDriverDirectories}) before the check gives up,
 * since a crashed run's leftovers would otherwise stop the very start that is about to reclaim them.
 */
public final class LogBufferSpace
{
    /** The driver's CnC file, loss report and counters, rounded up. */
    static final long DRIVER_OVERHEAD_BYTES = 8L << 20;
    private static final int TERMS_PER_LOG = 3;

    private LogBufferSpace()
    {
    }

    /**
     * @param workers    workers served.
     * @param termLength Aeron term length of every publication.
     * @return bytes the server's media driver needs.
     */
    public static long serverBytes(final int workers, final int termLength)
    {
        return DRIVER_OVERHEAD_BYTES + (long)workers * 2 * TERMS_PER_LOG * termLength;
    }

    /**
     * @param termLength Aeron term length of every publication.
     * @return bytes one worker needs, in its own media driver or added to a shared one.
     */
    public static long workerBytes(final int termLength)
    {
        return DRIVER_OVERHEAD_BYTES + 2L * TERMS_PER_LOG * termLength;
    }

    /** @return the directory a fresh media driver puts its files in (/dev/shm when it is writable). */
    public static File defaultDirectory()
    {
        final File shm = new File("/dev/shm");
        return shm.isDirectory() && shm.canWrite() ? shm : new File(System.getProperty("java.io.tmpdir"));
    }

    /**
     * Check the free space, first reclaiming dead Averon drivers' directories in it if the space is short.
     *
     * @param what      who needs the space, for the message ("the parameter server for 4 workers").
     * @param needed    bytes needed.
     * @param directory where the log buffers go.
     * @return the free bytes found.
     * @throws IllegalArgumentException naming both figures and what to change when the space is short.
     */
    public static long check(final String what, final long needed, final File directory)
    {
        long free = usableSpace(directory);
        if (free < needed && new OrphanedDriverDirectories(directory.toPath(), CommonContext.DRIVER_TIMEOUT_MS,
            OrphanedDriverDirectories.DEFAULT_GRACE_MS).reclaim() > 0)
        {
            free = usableSpace(directory);
        }
        if (free < needed)
        {
            throw new IllegalArgumentException(what + " needs " + mebibytes(needed) + " MiB of " + directory +
                " for Aeron's log buffers (3 terms per channel), but it has " + mebibytes(free) + " MiB free: lower " +
                "ps.term-length, or enlarge " + directory + " (docker run --shm-size, a Kubernetes emptyDir with " +
                "medium Memory and a larger sizeLimit)");
        }
        return free;
    }

    private static long usableSpace(final File directory)
    {
        try
        {
            return Files.getFileStore(directory.toPath()).getUsableSpace();
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read the free space of " + directory + ": " + ex.getMessage());
        }
    }

    static long mebibytes(final long bytes)
    {
        return (bytes + (1 << 20) - 1) >> 20;
    }
}
