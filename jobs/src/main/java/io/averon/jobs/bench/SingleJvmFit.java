package io.averon.jobs.bench;

import io.averon.driver.JobSpec;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.JobCatalog;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.EpochPlan;
import io.averon.worker.Examples;
import io.averon.worker.ShardEvaluator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

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
        JobSpec job = JobCatalog.spec(config);
        int epochs = config.positive("train.epochs");
        int batch = config.positive("train.batch-size");
        long seed = config.longValue("train.seed");
        Examples train = job.train().load();
        Examples test = job.test().load();
        MultiLayerNetwork net = new MultiLayerNetwork(job.model().clone());
        net.init();
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = new EpochPlan(seed, epoch, 1, train.size()).partition(0);
            long t0 = System.nanoTime();
            for (int from = 0; from < order.length; from += batch) {
                net.fit(train.batch(order, from, Math.min(order.length, from + batch)));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            ConfusionMatrix m = new ShardEvaluator(job.model(), 256).evaluate(net.params().toFloatVector(), test, 0, 1);
            System.out.printf("single-jvm epoch %d/%d: %d images in %.1f s (%.0f img/s), test accuracy %.4f%n",
                    epoch + 1, epochs, order.length, seconds, order.length / seconds, m.accuracy());
        }
    }
}
