package io.averon.jobs;

import io.averon.worker.InputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {

    @Test
    void aLocalMasterIsRecognisedSoMainCanEndTheJvm() {
        assertTrue(Averon.isLocalMaster(new String[] {"train", "j", "--master", "local[2]"}));
        assertFalse(Averon.isLocalMaster(new String[] {"train", "j", "--master", "yarn"}));
        assertFalse(Averon.isLocalMaster(new String[] {"train", "j", "--master", "spark://h:7077"}));
    }

    @Test
    void trainWithEveryOption() {
        CommandLine c = CommandLine.parse(new String[] {"train", "fashion-mnist-lenet", "--master", "local[2]",
            "--workers", "3", "--set", "train.epochs=2", "--resume", "runs/x", "--run-dir", "out"});
        assertEquals("train", c.command());
        assertEquals("fashion-mnist-lenet", c.job());
        assertEquals("local[2]", c.master());
        assertEquals(List.of("train.workers=3", "train.epochs=2"), c.overrides());
        assertEquals("runs/x", c.resume());
        assertEquals("out", c.runDirectory());
    }

    @Test
    void resumeWithoutDirectory() {
        assertEquals("", CommandLine.parse(new String[] {"train", "j", "--resume"}).resume());
        assertEquals("", CommandLine.parse(new String[] {"train", "j", "--resume", "--workers", "2"}).resume());
        CommandLine before = CommandLine.parse(new String[] {"train", "--resume", "j"});
        assertEquals("", before.resume());
        assertEquals("j", before.job());
        assertNull(CommandLine.parse(new String[] {"train", "j"}).resume());
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(assertThrows(InputException.class, () -> CommandLine.parse(new String[] {"fit", "j"}))
                .getMessage().contains("unknown command 'fit'"));
        assertTrue(assertThrows(InputException.class, () -> CommandLine.parse(new String[] {"train"}))
                .getMessage().contains("averon train needs a job"));
        assertTrue(assertThrows(InputException.class,
                () -> CommandLine.parse(new String[] {"train", "j", "--workers", "0"}))
                .getMessage().contains("--workers 0: expected a positive whole number"));
        assertTrue(assertThrows(InputException.class, () -> CommandLine.parse(new String[] {"train", "j", "--set"}))
                .getMessage().contains("--set needs a value"));
        assertTrue(assertThrows(InputException.class, () -> CommandLine.parse(new String[] {"train", "a", "b"}))
                .getMessage().contains("unexpected argument 'b'"));
    }

    @Test
    void helpAndListing() {
        assertEquals("help", CommandLine.parse(new String[0]).command());
        assertEquals("help", CommandLine.parse(new String[] {"train", "--help"}).command());
        assertEquals("jobs", CommandLine.parse(new String[] {"jobs"}).command());
    }
}
