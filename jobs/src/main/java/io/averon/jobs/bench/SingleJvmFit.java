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

import java.util.Arrays;

/**
 * The baseline of the training benchmark: the same network and data as a job, trained by a plain single-JVM DL4J
 * {@code fit} loop with no Spark and no parameter server. Prints images/s and test accuracy per epoch in the same
 * form as {@code averon train}, so the bench script can put the two side by side.
 * Usage: {@code SingleJvmFit <job> [key=value ...]} (e.g. train.epochs=1 train.batch-size=64).
 */
public final class SingleJvmFit {
    private SingleJvmFit() {
    }

    public static void main(String[] args) throws Exception {
        JobConfig config = JobCatalog.config(args[0], Arrays.asList(args).subList(1, args.length));
        // The baseline runs without Spark, so only this JVM's own Hadoop files apply.
        JobSpec job = JobCatalog.spec(config, HadoopSettings.none());
        int epochs = config.positive("train.epochs");
        int batch = config.positive("train.batch-size");
        long seed = config.longValue("train.seed");
        Network net = job.model().instantiate();
        SourceIndex train = job.train();
        try (ExampleReader reader = train.open()) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                int[] order = new EpochPlan(seed, epoch, 1, train.size()).partition(0);
                long t0 = System.nanoTime();
                try (BatchPipeline batches = new BatchPipeline(train, reader, job.pipeline(), order, batch,
                        0, seed, epoch)) {
                    while (batches.hasNext()) {
                        net.fit(batches.next().toDataSet());
                    }
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                ConfusionMatrix m = new ShardEvaluator(job.model(), job.pipeline(), 256)
                        .evaluate(net.parameters().toFloatVector(), job.test(), 0, 1);
                System.out.printf("single-jvm epoch %d/%d: %d images in %.1f s (%.0f img/s), test accuracy %.4f%n",
                        epoch + 1, epochs, order.length, seconds, order.length / seconds, m.accuracy());
            }
        }
    }
}
