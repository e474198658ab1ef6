package io.averon.driver;

import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class RunLockTest {
    @TempDir
    java.nio.file.Path tmp;

    private FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration());
    }

    @Test
    void aSecondRunIntoTheDirectoryIsRefusedNamingTheFirstAndTheFirstKeepsItsLock() throws Exception {
        Path dir = new Path(tmp.toUri());
        try (RunLock first = RunLock.acquire(fs(), dir, "app-1", false)) {
            InputException second = assertThrows(InputException.class,
                    () -> RunLock.acquire(fs(), dir, "app-2", false));
            assertTrue(second.getMessage().contains("run directory " + dir + " is in use by application app-1"),
                    second.getMessage());
            assertTrue(Files.readString(tmp.resolve(RunLock.NAME)).contains("application=app-1"));
        }
        assertFalse(Files.exists(tmp.resolve(RunLock.NAME)), "released at the end of the run");
    }

    @Test
    void aDeadDriversLockGoesStaleAndAResumeTakesItOver() throws Exception {
        Path dir = new Path(tmp.toUri());
        Files.writeString(tmp.resolve(RunLock.NAME), "application=app-dead\nhost=gone\nprocess=1@gone\n",
                StandardCharsets.UTF_8);
        // Still fresh: a plain new run is refused at once.
        assertThrows(InputException.class, () -> RunLock.acquire(fs(), dir, "app-2", false, 100, 1_000));
        long start = System.nanoTime();
        try (RunLock resumed = RunLock.acquire(fs(), dir, "app-2", true, 100, 1_000)) {
            assertTrue(System.nanoTime() - start >= 500_000_000L, "took over before the lock went stale");
            assertTrue(Files.readString(tmp.resolve(RunLock.NAME)).contains("application=app-2"));
        }
    }

    @Test
    void aNewRunFindingADeadDriversLockIsToldToResumeThatRun() throws Exception {
        Path dir = new Path(tmp.toUri());
        java.nio.file.Path lock = tmp.resolve(RunLock.NAME);
        Files.writeString(lock, "application=app-dead\nhost=gone\nprocess=1@gone\n", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(lock, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        InputException refused = assertThrows(InputException.class, () -> RunLock.acquire(fs(), dir, "app-2", false));
        assertTrue(refused.getMessage().contains("holds the run.lock of application app-dead")
                && refused.getMessage().contains("Continue it with --resume " + dir), refused.getMessage());
        assertTrue(Files.exists(lock), "left for the resume");
    }

    @Test
    void aLiveRunKeepsRefreshingSoAResumeGivesUpOnIt() throws Exception {
        Path dir = new Path(tmp.toUri());
        try (RunLock live = RunLock.acquire(fs(), dir, "app-1", false, 100, 1_000)) {
            InputException refused = assertThrows(InputException.class,
                    () -> RunLock.acquire(fs(), dir, "app-2", true, 100, 1_000));
            assertTrue(refused.getMessage().contains("in use by application app-1"), refused.getMessage());
        }
    }

    @Test
    void anotherAttemptOfTheSameApplicationTakesItsLockOverAtOnce() throws Exception {
        Path dir = new Path(tmp.toUri());
        RunLock first = RunLock.acquire(fs(), dir, "application_1_0001", false);
        try (RunLock second = RunLock.acquire(fs(), dir, "application_1_0001", false)) {
            assertEquals(1, Files.list(tmp).filter(p -> p.getFileName().toString().equals(RunLock.NAME)).count());
        }
        first.close(); // the earlier attempt's lock is no longer its own: left alone
    }
}
