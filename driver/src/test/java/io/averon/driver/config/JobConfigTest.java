package io.averon.driver.config;

import io.averon.worker.InputException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobConfigTest {

    @Test
    void defaultsApplyAndJobValuesWin() {
        JobConfig c = JobConfig.load("train.epochs = 7", "job.conf", List.of());
        assertEquals(7, c.integer("train.epochs"));
        assertEquals(64, c.integer("train.batch-size"));
        assertEquals(30_000, c.millis("ps.step-deadline"));
        assertEquals(16L * 1024 * 1024, c.bytes("ps.term-length"));
    }

    @Test
    void overridesFromTheCommandLineWinOverTheJob() {
        JobConfig c = JobConfig.load("train.epochs = 7", "job.conf",
                List.of("train.epochs=2", "ps.step-deadline=5s", "spark.master=local[2]", "model.learning-rate=0.01"));
        assertEquals(2, c.integer("train.epochs"));
        assertEquals(5_000, c.millis("ps.step-deadline"));
        assertEquals("local[2]", c.string("spark.master"));
        assertEquals(0.01, c.number("model.learning-rate"));
    }

    @Test
    void unknownKeyIsRejectedWithItsNameAndOrigin() {
        InputException e = assertThrows(InputException.class,
                () -> JobConfig.load("train.batchsize = 32", "conf/jobs/x.conf", List.of()));
        assertTrue(e.getMessage().contains("conf/jobs/x.conf"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown config key 'train.batchsize'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'train.batch-size'"), e.getMessage());
    }

    @Test
    void unknownOverrideIsRejected() {
        InputException e = assertThrows(InputException.class,
                () -> JobConfig.load("", "job.conf", List.of("train.epochz=3")));
        assertTrue(e.getMessage().contains("--set train.epochz=3"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown config key 'train.epochz'"), e.getMessage());
    }

    @Test
    void wrongTypeIsRejectedWithExpectedType() {
        InputException e = assertThrows(InputException.class,
                () -> JobConfig.load("train.epochs = \"many\"", "job.conf", List.of()));
        assertTrue(e.getMessage().contains("config key 'train.epochs' expects a number (default 5)"), e.getMessage());
        InputException o = assertThrows(InputException.class,
                () -> JobConfig.load("", "job.conf", List.of("train.batch-size=big")));
        assertTrue(o.getMessage().contains("'train.batch-size' expects a number"), o.getMessage());
    }

    @Test
    void portKeysTakeOnePortAsANumber() {
        // HOCON reads ps.port=40123 as a number; the schema's default is the string "40000-40099".
        JobConfig c = JobConfig.load("", "job.conf", List.of("ps.port=40123", "ps.worker-ports=0"));
        assertEquals("40123", c.string("ps.port"));
        assertEquals("0", c.string("ps.worker-ports"));
        InputException e = assertThrows(InputException.class,
                () -> JobConfig.load("", "job.conf", List.of("job.name=7")));
        assertTrue(e.getMessage().contains("config key 'job.name' expects a string"), e.getMessage());
    }

    @Test
    void badValuesAreNamed() {
        JobConfig c = JobConfig.load("train.epochs = 0\ntrain.batch-size = 2.5\nmodel.updater = adamw", "job.conf",
                List.of());
        assertTrue(assertThrows(InputException.class, () -> c.positive("train.epochs")).getMessage()
                .contains("train.epochs must be positive, got 0"));
        assertTrue(assertThrows(InputException.class, () -> c.integer("train.batch-size")).getMessage()
                .contains("train.batch-size must be a whole number, got 2.5"));
        assertTrue(assertThrows(InputException.class, () -> c.oneOf("model.updater", "adam", "sgd")).getMessage()
                .contains("model.updater = \"adamw\" is not one of adam, sgd"));
    }

    @Test
    void malformedOverrideAndSyntaxErrorsAreNamed() {
        assertTrue(assertThrows(InputException.class, () -> JobConfig.load("", "job.conf", List.of("train.epochs")))
                .getMessage().contains("expected key=value"));
        assertTrue(assertThrows(InputException.class, () -> JobConfig.load("train {", "bad.conf", List.of()))
                .getMessage().contains("bad.conf is not valid HOCON"));
    }
}
