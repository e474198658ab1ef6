package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogBufferSpaceTest
{
    @TempDir
    File dir;

    @Test
    void figuresCountThreeTermsPerChannel()
    {
        final int term = 16 << 20;
        assertEquals(LogBufferSpace.DRIVER_OVERHEAD_BYTES + 2L * 2 * 3 * term, LogBufferSpace.serverBytes(2, term));
        assertEquals(LogBufferSpace.DRIVER_OVERHEAD_BYTES + 2L * 3 * term, LogBufferSpace.workerBytes(term));
    }

    @Test
    void shortSpaceNamesBothFiguresAndTheFix()
    {
        assertTrue(LogBufferSpace.check("a worker", 1 << 20, dir) >= 1 << 20);
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> LogBufferSpace.check("the parameter server for 2 workers", Long.MAX_VALUE / 2, dir));
        assertTrue(ex.getMessage().startsWith("the parameter server for 2 workers needs " +
            LogBufferSpace.mebibytes(Long.MAX_VALUE / 2) + " MiB of " + dir), ex.getMessage());
        assertTrue(ex.getMessage().contains("ps.term-length") && ex.getMessage().contains("--shm-size"),
            ex.getMessage());
    }

    @Test
    void shortSpaceReclaimsDeadDriversDirectoriesBeforeGivingUpAndOnlyThen() throws Exception
    {
        final Path dead = dir.toPath().resolve("averon-ps-" + UUID.randomUUID());
        final long hourAgo = System.currentTimeMillis() - 3_600_000;
        final Process exited = new ProcessBuilder("true").start();
        exited.waitFor();
        OrphanedDriverDirectoriesTest.writeCnc(dead, exited.pid(), hourAgo, hourAgo);

        LogBufferSpace.check("a worker", 1 << 20, dir);
        assertTrue(Files.exists(dead), "enough space: nothing is reclaimed");

        assertThrows(IllegalArgumentException.class, () -> LogBufferSpace.check("a worker", Long.MAX_VALUE / 2, dir));
        assertFalse(Files.exists(dead), "short space: the dead driver's directory was reclaimed first");
    }
}
