package io.averon.jobs;

import io.averon.driver.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.averon.worker.ParameterAssertions.assertClose;
import static io.averon.worker.ParameterAssertions.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two epochs straight equal one epoch, then {@code --resume} for the second, on real Fashion-MNIST data. */
class ResumeIT {
    @TempDir
    Path tmp;

    private RunResult train(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("train", "fashion-mnist-lenet", "--master", "local[2]",
                "--workers", "2", "--set", "dataset.train-limit=640", "--set", "dataset.test-limit=200",
                "--set", "train.batch-size=32"));
        args.addAll(List.of(extra));
        return Averon.train(CommandLine.parse(args.toArray(String[]::new)), System.out);
    }

    @Test
    void twoEpochsStraightEqualOneEpochPlusResume() throws Exception {
        RunResult straight = train("--run-dir", tmp.resolve("straight").toString(), "--set", "train.epochs=2");
        RunResult first = train("--run-dir", tmp.resolve("split").toString(), "--set", "train.epochs=1");
        assertEquals(1, first.epochs().size());
        assertEquals(10, first.finalStep(), "640 examples / 2 workers / 32 per batch");
        RunResult resumed = train("--resume", tmp.resolve("split").toString(), "--set", "train.epochs=2");

        assertEquals(1, resumed.epochs().size(), "the resumed run trains only the second epoch");
        assertEquals(2, resumed.epochs().get(0).epoch());
        assertEquals(straight.finalStep(), resumed.finalStep());
        assertClose(straight.parameters(), resumed.parameters(), 1e-5);
        assertTrue(maxAbsDiff(first.parameters(), resumed.parameters()) > 1e-4, "the second epoch changed the model");
        assertTrue(Files.exists(tmp.resolve("split/model.zip")));
        List<String> metrics = Files.readAllLines(tmp.resolve("split/metrics.jsonl"));
        assertEquals(2, metrics.stream().filter(l -> l.contains("\"event\":\"epoch\"")).count(),
                "metrics of both invocations are kept: " + metrics);
        assertEquals(straight.last().testAccuracy(), resumed.last().testAccuracy(), 1e-9);
    }
}
