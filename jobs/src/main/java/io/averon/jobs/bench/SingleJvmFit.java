package io.averon.jobs.bench;

import io.averon.driver.HadoopSettings;
import io.averon.driver.JobSpec;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.JobCatalog;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.EpochPlan;
import io.averon.worker.Network;
import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.ShardEvaluator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of the training benchmark: the same network and data as a job, trained by a plain single-JVM DL4J
 * {@code fit} loop with no Spark and no parameter server. Prints images/s and test accuracy per epoch in the same
 * form as {@code averon train}, so the bench script can put the two side by side.
 * <p>
 * With {@code --part K/N} it is one of N workers of the compute limit instead: it fits only partition K of each
 * epoch (the slice worker K of an N-worker run trains on, {@link EpochPlan#partition}), communicates with nobody and
 * skips the test evaluation; N such processes side by side, single-threaded, are what N workers could do with
 * communication free. {@code --start-together DIR} makes the N processes start their timed epoch at the same moment
 * (each marks itself ready in DIR and waits for the others), so that they really share the machine.
 * Usage: {@code SingleJvmFit [--part K/N [--start-together DIR]] <job> [key=value ...]}
 * (e.g. train.epochs=1 train.batch-size=64).
 */
public final class SingleJvmFit {
    private SingleJvmFit() {
    }

    private static final long START_TOGETHER_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(10);

    public static void main(String[] args) throws Exception {
        int part = 0;
        int parts = 1;
        Path startTogether = null;
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        while (!rest.isEmpty() && rest.get(0).startsWith("--")) {
            String option = rest.remove(0);
            if (rest.isEmpty()) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = rest.remove(0);
            switch (option) {
                case "--part" -> {
                    String[] kn = value.split("/");
                    if (kn.length != 2) {
                        throw new IllegalArgumentException("--part takes K/N (e.g. 0/2), was " + value);
                    }
                    part = Integer.parseInt(kn[0]);
                    parts = Integer.parseInt(kn[1]);
                    if (parts < 1 || part < 0 || part >= parts) {
                        throw new IllegalArgumentException("--part K/N needs 0 <= K < N, was " + value);
                    }
                }
                case "--start-together" -> startTogether = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + option
                        + " (--part K/N, --start-together DIR)");
            }
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("usage: SingleJvmFit [--part K/N [--start-together DIR]] <job> "
                    + "[key=value ...]");
        }
        boolean computeLimit = parts > 1;
        JobConfig config = JobCatalog.config(rest.get(0), rest.subList(1, rest.size()));
        // The baseline runs without Spark, so only this JVM's own Hadoop files apply.
        JobSpec job = JobCatalog.spec(config, HadoopSettings.none());
        int epochs = config.positive("train.epochs");
        int batch = config.positive("train.batch-size");
        long seed = config.longValue("train.seed");
        Network net = job.model().instantiate();
        SourceIndex train = job.train();
        try (ExampleReader reader = train.open()) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] order = new EpochPlan(seed, epoch, parts, train.size()).partition(part);
                if (startTogether != null) {
                    awaitOthers(startTogether, part, parts, epoch);
                }
                long t0 = System.nanoTime();
                try (BatchPipeline batches = new BatchPipeline(train, reader, job.pipeline(), order, batch,
                        0, seed, epoch)) {
                    while (batches.hasNext()) {
                        net.fit(batches.next().toDataSet());
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (computeLimit) {
                    // No evaluation: it would run while the other parts still train, and a part's model is not
                    // the job's.
                    System.out.printf("compute-limit part %d/%d epoch %d/%d: %d images in %.1f s (%.0f img/s)%n",
                            part, parts, epoch + 1, epochs, order.length, seconds, order.length / seconds);
                    continue;
                }
                ConfusionMatrix m = new ShardEvaluator(job.model(), job.pipeline(), 256)
                        .evaluate(net.parameters().toFloatVector(), job.test(), 0, 1);
                System.out.printf("single-jvm epoch %d/%d: %d images in %.1f s (%.0f img/s), test accuracy %.4f%n",
                        epoch + 1, epochs, order.length, seconds, order.length / seconds, m.accuracy());
            }
        }
    }

    /** Mark this part ready for the epoch and wait until all parts are. */
    private static void awaitOthers(Path dir, int part, int parts, int epoch) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String prefix = "ready-epoch" + epoch + "-part";
        Files.writeString(dir.resolve(prefix + part), Long.toString(ProcessHandle.current().pid()));
        long deadline = System.currentTimeMillis() + START_TOGETHER_TIMEOUT_MS;
        while (true) {
            int ready = 0;
            for (int k = 0; k < parts; k++) {
                if (Files.exists(dir.resolve(prefix + k))) {
                    ready++;
                }
            }
            if (ready == parts) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("only " + ready + " of " + parts + " parts became ready in " + dir
                        + " within " + START_TOGETHER_TIMEOUT_MS / 1000 + " s");
            }
            Thread.sleep(5);
        }
    }
}
