package io.averon.ps;

import io.aeron.CncFileDescriptor;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastBufferDescriptor;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which fabricated media-driver directories are reclaimed: each test builds directories in a temporary root (never
 * /dev/shm, where other runs live) with a CnC file written through Aeron's own descriptor, and checks that only the
 * provably dead ones go.
 */
@Timeout(60)
class OrphanedDriverDirectoriesTest
{
    private static final long DRIVER_TIMEOUT_MS = 10_000;
    private static final long HOUR_MS = TimeUnit.HOURS.toMillis(1);

    @TempDir
    Path root;

    @Test
    void aDirectoryHeldByARunningMediaDriverSurvivesEvenWithNoTimeoutAtAll()
    {
        final Path live = root.resolve("averon-ps-" + UUID.randomUUID());
        try (EmbeddedAeron aeron = EmbeddedAeron.launch(live.toString(), "unused"))
        {
            assertTrue(Files.exists(live.resolve(OrphanedDriverDirectories.OWNER_FILE)), "owner file written");
            assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
            // Its pid is alive and local, so even a heartbeat judged stale at once does not condemn it.
            assertEquals(0, orphans(0).reclaim());
            assertTrue(Files.exists(live.resolve(CncFileDescriptor.CNC_FILE)));
        }
    }

    @Test
    void aStaleHeartbeatWithADeadPidIsReclaimedWithItsFiles() throws Exception
    {
        final Path dead = root.resolve("averon-worker-3-" + UUID.randomUUID());
        final long now = System.currentTimeMillis();
        writeCnc(dead, deadPid(), now - 60_000, now - 60_000);
        Files.write(dead.resolve("publications-1.logbuffer"), new byte[3 << 20]);

        assertEquals(1, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertFalse(Files.exists(dead));
    }

    @Test
    void aFreshHeartbeatWithADeadPidIsSparedUnlessThePidIsKnownToBeLocal() throws Exception
    {
        final Path dir = root.resolve("averon-ps-" + UUID.randomUUID());
        final long pid = deadPid();
        final long now = System.currentTimeMillis();
        writeCnc(dir, pid, now - 1_000, now);

        // Without an owner file the pid might belong to another pid namespace: wait for the heartbeat.
        assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.exists(dir));

        writeOwner(dir, pid, localBootId(), localPidNamespace());
        assertEquals(1, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertFalse(Files.exists(dir));
    }

    @Test
    void anOwnerFileFromAnotherHostDoesNotMakeThePidLocal() throws Exception
    {
        final Path dir = root.resolve("averon-ps-" + UUID.randomUUID());
        final long pid = deadPid();
        final long now = System.currentTimeMillis();
        writeCnc(dir, pid, now - 1_000, now);
        writeOwner(dir, pid, UUID.randomUUID().toString(), localPidNamespace());

        assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.exists(dir));
    }

    @Test
    void aStaleHeartbeatWhosePidStillRunsSinceBeforeTheDriverIsSpared() throws Exception
    {
        // This JVM's pid, a driver started after it: a live process whose driver merely stopped beating (a pause).
        final Path dir = root.resolve("averon-ps-" + UUID.randomUUID());
        final long now = System.currentTimeMillis();
        writeCnc(dir, ProcessHandle.current().pid(), now, now - 60_000);

        assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.exists(dir));
    }

    @Test
    void aStaleHeartbeatWhosePidWasTakenByALaterProcessIsReclaimed() throws Exception
    {
        // This JVM's pid, but the driver started an hour before this JVM did: the pid was reused.
        final Path dir = root.resolve("averon-ps-" + UUID.randomUUID());
        final long now = System.currentTimeMillis();
        writeCnc(dir, ProcessHandle.current().pid(), now - HOUR_MS, now - HOUR_MS);

        assertEquals(1, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertFalse(Files.exists(dir));
    }

    @Test
    void directoriesNotNamedLikeAveronsAreLeftAlone() throws Exception
    {
        final long now = System.currentTimeMillis();
        final long pid = deadPid();
        final Path[] others = {
            root.resolve("aeron-someone"),
            root.resolve("averon-ps-not-a-uuid"),
            root.resolve("averon-worker-x-" + UUID.randomUUID()),
            root.resolve("my-averon-ps-" + UUID.randomUUID()),
        };
        for (final Path other : others)
        {
            writeCnc(other, pid, now - HOUR_MS, now - HOUR_MS);
        }

        assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
        for (final Path other : others)
        {
            assertTrue(Files.exists(other), other.toString());
        }
    }

    @Test
    void aDirectoryWithoutACncFileIsReclaimedOnlyAfterTheGracePeriod() throws Exception
    {
        final Path young = Files.createDirectory(root.resolve("averon-ps-" + UUID.randomUUID()));
        final Path old = Files.createDirectory(root.resolve("averon-worker-0-" + UUID.randomUUID()));
        Files.write(old.resolve("leftover"), new byte[1024]);
        Files.setLastModifiedTime(old, FileTime.fromMillis(System.currentTimeMillis() - HOUR_MS));

        assertEquals(1, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.exists(young), "a driver that is just starting is spared");
        assertFalse(Files.exists(old));
    }

    @Test
    void aCncFileNotYetInitialisedCountsAsStartingUntilTheGracePeriodEnds() throws Exception
    {
        final Path starting = Files.createDirectory(root.resolve("averon-ps-" + UUID.randomUUID()));
        // A driver creates the file at full length and writes the version last.
        Files.write(starting.resolve(CncFileDescriptor.CNC_FILE), new byte[64 * 1024]);

        assertEquals(0, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.exists(starting));
    }

    @Test
    void symbolicLinksAreNeverFollowed() throws Exception
    {
        final long now = System.currentTimeMillis();
        final long pid = deadPid();
        final Path outside = Files.createDirectory(root.resolve("outside"));
        final Path precious = Files.write(outside.resolve("precious"), "keep".getBytes(StandardCharsets.US_ASCII));

        // A link named like Averon's pointing at a dead driver's directory elsewhere: neither goes.
        final Path target = root.resolve("elsewhere");
        writeCnc(target, pid, now - HOUR_MS, now - HOUR_MS);
        final Path link = Files.createSymbolicLink(root.resolve("averon-ps-" + UUID.randomUUID()), target);

        // A dead directory holding a link to the outside: the link goes, its target stays.
        final Path dead = root.resolve("averon-ps-" + UUID.randomUUID());
        writeCnc(dead, pid, now - HOUR_MS, now - HOUR_MS);
        Files.createSymbolicLink(dead.resolve("link"), outside);

        assertEquals(1, orphans(DRIVER_TIMEOUT_MS).reclaim());
        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.exists(target.resolve(CncFileDescriptor.CNC_FILE)));
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(precious));
    }

    private OrphanedDriverDirectories orphans(final long driverTimeoutMs)
    {
        return new OrphanedDriverDirectories(root, driverTimeoutMs, OrphanedDriverDirectories.DEFAULT_GRACE_MS);
    }

    /** A CnC file laid out by Aeron's own descriptor, with the given driver pid, start time and heartbeat. */
    static void writeCnc(final Path directory, final long pid, final long startMs, final long heartbeatMs)
        throws IOException
    {
        Files.createDirectories(directory);
        final int toDriverLength = 1024 + RingBufferDescriptor.TRAILER_LENGTH;
        final int toClientsLength = 1024 + BroadcastBufferDescriptor.TRAILER_LENGTH;
        final int countersMetaDataLength = 4096;
        final int countersValuesLength = 1024;
        final int errorLogLength = 1024;
        final int length = CncFileDescriptor.computeCncFileLength(
            toDriverLength + toClientsLength + countersMetaDataLength + countersValuesLength + errorLogLength, 4096);
        final MappedByteBuffer mapped =
            IoUtil.mapNewFile(directory.resolve(CncFileDescriptor.CNC_FILE).toFile(), length);
        try
        {
            final UnsafeBuffer metaData = CncFileDescriptor.createMetaDataBuffer(mapped);
            CncFileDescriptor.fillMetaData(metaData, toDriverLength, toClientsLength, countersMetaDataLength,
                countersValuesLength, TimeUnit.SECONDS.toNanos(10), errorLogLength, startMs, pid, 4096);
            new ManyToOneRingBuffer(CncFileDescriptor.createToDriverBuffer(mapped, metaData))
                .consumerHeartbeatTime(heartbeatMs);
            CncFileDescriptor.signalCncReady(metaData);
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
    }

    private static void writeOwner(final Path directory, final long pid, final String bootId, final String pidNamespace)
        throws IOException
    {
        final Properties owner = new Properties();
        owner.setProperty("pid", Long.toString(pid));
        owner.setProperty("boot-id", bootId);
        owner.setProperty("pid-namespace", pidNamespace);
        try (OutputStream out = Files.newOutputStream(directory.resolve(OrphanedDriverDirectories.OWNER_FILE)))
        {
            owner.store(out, null);
        }
    }

    private static String localBootId() throws IOException
    {
        return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
    }

    private static String localPidNamespace() throws IOException
    {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    }

    /** The pid of a process that has exited and been reaped. */
    private static long deadPid() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        assertEquals(0, process.waitFor());
        return process.pid();
    }
}
