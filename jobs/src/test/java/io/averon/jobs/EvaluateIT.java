package io.averon.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code averon evaluate} on the model a training run saved reproduces that run's final test accuracy. */
class EvaluateIT {
    @TempDir
    Path tmp;

    @Test
    void evaluatesTheSavedModelAsTrainingDid() throws Exception {
        Path run = tmp.resolve("run");
        String[] common = {"--master", "local[2]", "--set", "dataset.train-limit=512", "--set",
            "dataset.test-limit=500"};
        Invocation train = Invocation.of(concat(new String[] {"train", "fashion-mnist-lenet", "--workers", "2",
            "--run-dir", run.toString(), "--set", "train.epochs=1"}, common));
        assertEquals(0, train.status(), train.err());
        Matcher trained = Pattern.compile("test accuracy ([0-9.]+)").matcher(train.out());
        assertTrue(trained.find(), train.out());

        Invocation eval = Invocation.of(concat(new String[] {"evaluate", "fashion-mnist-lenet", "--run-dir",
            run.toString()}, common));
        assertEquals(0, eval.status(), eval.err());
        Matcher evaluated = Pattern.compile("accuracy ([0-9.]+), loss [0-9.]+ over 500 examples").matcher(eval.out());
        assertTrue(evaluated.find(), eval.out());
        assertEquals(trained.group(1), evaluated.group(1));
        assertTrue(eval.out().contains("Ankle boot"), "per-class table: " + eval.out());

        Path notAModel = Files.writeString(tmp.resolve("model.zip"), "not a zip");
        Invocation bad = Invocation.of(concat(new String[] {"evaluate", "fashion-mnist-lenet", "--model",
            notAModel.toString()}, common));
        assertEquals(2, bad.status());
        assertTrue(bad.err().startsWith("averon: error: model " + notAModel + " is not a DL4J model file"), bad.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
