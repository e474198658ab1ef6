package io.averon.ps;

import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The media-driver directories of Averon runs whose driver died without deleting them (kill -9, an OOM kill, a lost
 * node): their log buffers stay in /dev/shm, counting against memory until reboot, so each new driver reclaims them
 * before it starts. A directory is reclaimed only when its driver is provably dead, judged from the driver's CnC file
 * as Aeron judges a driver active: when the driver's process ran on this host (an owner file written beside the CnC
 * file names this boot and pid namespace) its pid, recorded in the CnC file, must be gone or taken by a process
 * that started after the driver did; otherwise the to-driver buffer's consumer heartbeat must also be older than the
 * driver timeout. A directory with no usable CnC file is reclaimed once nothing in it has changed for a grace period,
 * sparing a driver that is just starting. Only directories named like Averon's ({@code averon-ps-<uuid>},
 * {@code averon-worker-<id>-<uuid>}) are considered, symbolic links are never followed, and a directory that cannot
 * be read is logged and left alone.
 */
final class OrphanedDriverDirectories
{
    /** Written beside cnc.dat by the process that owns the driver, so that its pid can be trusted to be local. */
    static final String OWNER_FILE = "averon-owner.properties";
    static final long DEFAULT_GRACE_MS = TimeUnit.MINUTES.toMillis(10);

    private static final Logger LOG = LoggerFactory.getLogger(OrphanedDriverDirectories.class);
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    private static final Pattern AVERON_NAME = Pattern.compile("averon-(ps|worker-\\d+)-" + UUID);
    /** /proc derives process start times from a boot time in whole seconds; a process this close is not "later". */
    private static final long START_TIME_SLACK_MS = 2_000;

    private final Path root;
    private final long driverTimeoutMs;
    private final long graceMs;
    private final String bootId;
    private final String pidNamespace;

    /**
     * @param root            directory holding media-driver directories (normally /dev/shm).
     * @param driverTimeoutMs heartbeat age after which Aeron itself considers a driver inactive.
     * @param graceMs         age after which a directory without a usable CnC file counts as abandoned.
     */
    OrphanedDriverDirectories(final Path root, final long driverTimeoutMs, final long graceMs)
    {
        this.root = root;
        this.driverTimeoutMs = driverTimeoutMs;
        this.graceMs = graceMs;
        this.bootId = readTrimmed(Path.of("/proc/sys/kernel/random/boot_id"));
        this.pidNamespace = pidNamespace();
    }

    /**
     * Remove every directory under the root whose driver is provably dead, logging one line for each.
     *
     * @return the number of directories removed.
     */
    int reclaim()
    {
        int reclaimed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root))
        {
            for (final Path entry : entries)
            {
                if (AVERON_NAME.matcher(entry.getFileName().toString()).matches() && reclaimIfOrphaned(entry))
                {
                    reclaimed++;
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("cannot look for abandoned media-driver directories in {}: {}", root, ex.toString());
        }
        return reclaimed;
    }

    /**
     * Record that this process owns the driver in a directory, so a later start on this host may trust the CnC
     * file's pid alone and need not wait for the heartbeat to go stale. Best effort: without the file, the
     * directory is judged by heartbeat and pid together.
     *
     * @param directory a media-driver directory this process has just started a driver in.
     */
    void markOwned(final Path directory)
    {
        if (bootId == null || pidNamespace == null)
        {
            return;
        }
        final Properties owner = new Properties();
        owner.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
        owner.setProperty("boot-id", bootId);
        owner.setProperty("pid-namespace", pidNamespace);
        final Path partial = directory.resolve(OWNER_FILE + ".partial");
        try
        {
            try (OutputStream out = Files.newOutputStream(partial))
            {
                owner.store(out, "process running the media driver in this directory");
            }
            // Renamed into place so that a reader never sees half a file.
            Files.move(partial, directory.resolve(OWNER_FILE), StandardCopyOption.ATOMIC_MOVE);
        }
        catch (final IOException ex)
        {
            LOG.debug("cannot write the owner file of {}: {}", directory, ex.toString());
        }
    }

    /**
     * @param directory a media-driver directory.
     * @return why its driver is dead, or null when it is alive or cannot be shown dead.
     */
    String deathOf(final Path directory) throws IOException
    {
        final BasicFileAttributes dirAttributes =
            Files.readAttributes(directory, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!dirAttributes.isDirectory())
        {
            return null;
        }
        final Path cncPath = directory.resolve(CncFileDescriptor.CNC_FILE);
        final Cnc cnc = readCnc(cncPath);
        if (cnc == null)
        {
            final long idleMs = System.currentTimeMillis() - lastChangeMs(directory, cncPath, dirAttributes);
            return idleMs > graceMs ?
                "no usable " + CncFileDescriptor.CNC_FILE + " and unchanged for " + (idleMs / 60_000) + " min" : null;
        }

        final String pidState = pidState(cnc.pid, cnc.startTimestampMs);
        if (ownedOnThisHost(directory, cnc.pid))
        {
            // A local pid that is gone can never beat again, so there is no need to wait out the driver timeout.
            return pidState == null ? null : "pid " + cnc.pid + " " + pidState;
        }
        final long heartbeatAgeMs = System.currentTimeMillis() - cnc.heartbeatMs;
        if (heartbeatAgeMs <= driverTimeoutMs)
        {
            return null;
        }
        if (pidState == null && !ownedElsewhere(directory))
        {
            // Perhaps a driver stalled by a long pause on this host: its pid is still here, so it is spared.
            return null;
        }
        return "heartbeat " + (heartbeatAgeMs / 1000) + " s old" + (pidState == null ? "" : ", pid " + cnc.pid + " " + pidState);
    }

    private boolean reclaimIfOrphaned(final Path directory)
    {
        try
        {
            final String death = deathOf(directory);
            if (death == null)
            {
                return false;
            }
            final long bytes = delete(directory);
            LOG.info("reclaimed {} ({} MiB) left by a dead media driver: {}",
                directory, LogBufferSpace.mebibytes(bytes), death);
            return true;
        }
        catch (final NoSuchFileException gone)
        {
            // Another process starting at the same time reclaimed it first, or its driver just closed.
            return false;
        }
        catch (final AccessDeniedException othersRun)
        {
            // Another user's run: not ours to judge or remove, and not worth a warning at every start.
            LOG.debug("cannot read media-driver directory {}: {}", directory, othersRun.toString());
            return false;
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.warn("cannot check or reclaim media-driver directory {}: {}", directory, ex.toString());
            return false;
        }
    }

    /** @return the CnC fields, or null if there is no initialised CnC file of a layout this Aeron reads. */
    private static Cnc readCnc(final Path cncPath) throws IOException
    {
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(cncPath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException missing)
        {
            return null;
        }
        if (!attributes.isRegularFile() || attributes.size() < CncFileDescriptor.END_OF_METADATA_OFFSET)
        {
            return null;
        }

        final MappedByteBuffer mapped =
            IoUtil.mapExistingFile(cncPath.toFile(), FileChannel.MapMode.READ_ONLY, CncFileDescriptor.CNC_FILE);
        try
        {
            final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(mapped);
            final int version = metaData.getIntVolatile(CncFileDescriptor.cncVersionOffset(0));
            if (version == 0 || !CncFileDescriptor.isCncFileLengthSufficient(metaData, mapped.capacity()))
            {
                // A driver writes the version last, once the file is complete: until then it is starting (or died
                // starting), which the grace period decides.
                return null;
            }
            // Throws for a layout this Aeron does not know, which leaves the directory alone.
            CncFileDescriptor.checkVersion(version);
            final ManyToOneRingBuffer toDriver =
                new ManyToOneRingBuffer(CncFileDescriptor.createToDriverBuffer(mapped, metaData));
            return new Cnc(
                CncFileDescriptor.pid(metaData),
                CncFileDescriptor.startTimestampMs(metaData),
                toDriver.consumerHeartbeatTime());
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    /** @return "gone" or "reused by a later process" when the pid no longer runs the driver, else null. */
    private static String pidState(final long pid, final long driverStartMs)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return "gone";
        }
        final Optional<Instant> started = process.get().info().startInstant();
        // The driver runs inside its process, so a process started after the driver is not the driver's.
        if (started.isPresent() && started.get().toEpochMilli() > driverStartMs + START_TIME_SLACK_MS)
        {
            return "reused by a later process";
        }
        return null;
    }

    private boolean ownedOnThisHost(final Path directory, final long pid)
    {
        final Properties owner = readOwner(directory);
        return owner != null && bootId != null && pidNamespace != null &&
            Long.toString(pid).equals(owner.getProperty("pid")) &&
            bootId.equals(owner.getProperty("boot-id")) &&
            pidNamespace.equals(owner.getProperty("pid-namespace"));
    }

    /** @return true when the owner file shows the driver ran on another host or in another pid namespace. */
    private boolean ownedElsewhere(final Path directory)
    {
        final Properties owner = readOwner(directory);
        return owner != null && bootId != null && pidNamespace != null &&
            owner.getProperty("boot-id") != null && owner.getProperty("pid-namespace") != null &&
            (!bootId.equals(owner.getProperty("boot-id")) || !pidNamespace.equals(owner.getProperty("pid-namespace")));
    }

    private static Properties readOwner(final Path directory)
    {
        final Path ownerFile = directory.resolve(OWNER_FILE);
        try
        {
            if (!Files.isRegularFile(ownerFile, LinkOption.NOFOLLOW_LINKS))
            {
                return null;
            }
            final Properties owner = new Properties();
            try (InputStream in = Files.newInputStream(ownerFile))
            {
                owner.load(in);
            }
            return owner;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static long lastChangeMs(final Path directory, final Path cncPath, final BasicFileAttributes dirAttributes)
    {
        long last = dirAttributes.lastModifiedTime().toMillis();
        try
        {
            last = Math.max(last, Files.getLastModifiedTime(cncPath, LinkOption.NOFOLLOW_LINKS).toMillis());
        }
        catch (final IOException ignored)
        {
            // no cnc.dat: the directory's own time stands
        }
        return last;
    }

    /** Deletes the tree without following links (a link is removed, never its target); returns the bytes freed. */
    private static long delete(final Path directory) throws IOException
    {
        final long[] bytes = { 0 };
        Files.walkFileTree(directory, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult visitFile(final Path file, final BasicFileAttributes attributes) throws IOException
            {
                if (attributes.isRegularFile())
                {
                    bytes[0] += attributes.size();
                }
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(final Path dir, final IOException ex) throws IOException
            {
                if (ex != null)
                {
                    throw ex;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        return bytes[0];
    }

    private static String pidNamespace()
    {
        try
        {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
        }
        catch (final IOException | UnsupportedOperationException | SecurityException ex)
        {
            return null;
        }
    }

    private static String readTrimmed(final Path file)
    {
        try
        {
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
        }
        catch (final IOException | SecurityException ex)
        {
            return null;
        }
    }

    /** The CnC fields that decide whether a driver lives. */
    private static final class Cnc
    {
        final long pid;
        final long startTimestampMs;
        final long heartbeatMs;

        Cnc(final long pid, final long startTimestampMs, final long heartbeatMs)
        {
            this.pid = pid;
            this.startTimestampMs = startTimestampMs;
            this.heartbeatMs = heartbeatMs;
        }
    }
}
