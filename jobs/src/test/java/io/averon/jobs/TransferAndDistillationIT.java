package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.worker.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Transfer learning and distillation end to end through the CLI, data-parallel: a model trained by one run is
 * fine-tuned by another with its first layers frozen (their parameters must come out bit-identical while the rest
 * moves), and teaches a different student network by distillation.
 */
class TransferAndDistillationIT {
    private static final String[] SUBSET = {"--master", "local[2]", "--workers", "2", "--set",
        "dataset.train-limit=4096", "--set", "dataset.test-limit=500", "--set", "train.epochs=1", "--set",
        "train.batch-size=32"};

    @TempDir
    Path tmp;

    @Test
    void fineTuningKeepsFrozenLayersAndDistillationTrainsAStudent() throws Exception {
        Path teacherRun = tmp.resolve("teacher");
        Invocation teacher = Invocation.of(args("train", "fashion-mnist-lenet", "--run-dir", teacherRun.toString()));
        assertEquals(0, teacher.status(), teacher.err());
        Path teacherModel = teacherRun.resolve("model.zip");

        Path tunedRun = tmp.resolve("tuned");
        Invocation tuned = Invocation.of(args("train", "fashion-mnist-lenet", "--run-dir", tunedRun.toString(),
                "--set", "model.init-from=" + teacherModel, "--set", "model.freeze=3",
                "--set", "model.learning-rate=0.0005"));
        assertEquals(0, tuned.status(), tuned.err());
        Network before = Network.restore(Files.readAllBytes(teacherModel));
        Network after = Network.restore(Files.readAllBytes(tunedRun.resolve("model.zip")));
        // LeNet: conv, pool, conv | pool, dense, output. The first three are frozen; pooling has no parameters.
        assertArrayEquals(params(before, 0), params(after, 0), "first convolution frozen");
        assertArrayEquals(params(before, 2), params(after, 2), "second convolution frozen");
        assertFalse(java.util.Arrays.equals(params(before, 4), params(after, 4)), "dense layer fine-tuned");
        assertFalse(java.util.Arrays.equals(params(before, 5), params(after, 5)), "head fine-tuned");
        assertTrue(accuracy(tuned) >= accuracy(teacher) - 0.05, "fine-tuning kept what the model knew: "
                + accuracy(teacher) + " -> " + accuracy(tuned));

        Invocation student = Invocation.of(args("train", "fashion-mnist-lenet", "--run-dir",
                tmp.resolve("student").toString(), "--set", "model.architecture=lenet5",
                "--set", "distill.teacher=" + teacherModel, "--set", "distill.temperature=4",
                "--set", "distill.alpha=0.7"));
        assertEquals(0, student.status(), student.err());
        assertTrue(accuracy(student) >= 0.6, "a LeNet-5 student learned from teacher and labels: "
                + accuracy(student));
    }

    @Test
    void fineTunesAKerasModel() throws Exception {
        String keras = new java.io.File("src/test/resources/keras/tiny_cnn.h5").getAbsolutePath();
        Path run = tmp.resolve("keras");
        Invocation tuned = Invocation.of(args("train", "fashion-mnist-lenet", "--run-dir", run.toString(),
                "--set", "model.init-from=" + keras, "--set", "model.freeze=1"));
        assertEquals(0, tuned.status(), tuned.err());
        Network before = SavedModels.read(keras, "model.init-from", HadoopSettings.none());
        Network after = Network.restore(Files.readAllBytes(run.resolve("model.zip")));
        assertArrayEquals(params(before, 0), params(after, 0), "the Keras convolution stayed frozen");
        // The Keras net's weights are a fixed pseudo-random pattern, not trained ones: its frozen 8 convolution
        // filters are random features, on which the dense layers learn Fashion-MNIST well above chance (0.1).
        assertTrue(accuracy(tuned) >= 0.5, "a Keras model fine-tuned on Fashion-MNIST: " + accuracy(tuned));
    }

    private static float[] params(Network net, int layer) {
        return net.layers()[layer].params().toFloatVector();
    }

    private static double accuracy(Invocation run) {
        Matcher m = Pattern.compile("test accuracy ([0-9.]+)").matcher(run.out());
        assertTrue(m.find(), run.out());
        return Double.parseDouble(m.group(1));
    }

    private static String[] args(String... first) {
        String[] all = new String[first.length + SUBSET.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(SUBSET, 0, all, first.length, SUBSET.length);
        return all;
    }
}
