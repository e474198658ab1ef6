package io.averon.ps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
