package io.averon.driver;

import io.averon.worker.InputException;
import org.apache.spark.SparkContext;

import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * Waits, before the first epoch, until the cluster offers as many task slots as the run has workers: every epoch is
 * a barrier stage whose tasks must all run at once. Executors of a fresh application register over seconds (minutes
 * on a busy YARN queue); waiting here keeps that time out of the first epoch's images/s and reports it on its own,
 * and a cluster that never offers enough slots fails at once with the numbers instead of Spark retrying the stage's
 * slot check for ten minutes.
 */
public final class TaskSlots {
    private static final long POLL_MS = 200;

    private TaskSlots() {
    }

    /**
     * @param sc        the running context
     * @param workers   the run's worker count
     * @param timeoutMs how long to wait for executors
     * @param out       where the wait is reported, when it was noticeable
     * @return milliseconds waited
     * @throws InputException when the slots are not there in time, naming the counts and the settings to change
     */
    public static long await(SparkContext sc, int workers, long timeoutMs, PrintStream out) {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        int slots = slots(sc);
        // In local mode the slots are all there from the start; waiting would only delay the error.
        boolean local = sc.isLocal();
        while (slots < workers && !local && System.nanoTime() < deadline) {
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            slots = slots(sc);
        }
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        if (slots < workers) {
            throw new InputException("train.workers = " + workers + " needs that many task slots at once (each epoch "
                    + "is a barrier stage), but the Spark cluster (" + sc.master() + ") offers " + slots
                    + (local ? "" : " after " + waitedMs / 1000 + " s (train.wait-for-slots)") + ": lower --workers, "
                    + "or give the application more executors or cores (spark.executor.instances, "
                    + "spark.executor.cores / spark.task.cpus, spark.cores.max)");
        }
        if (waitedMs >= 1000) {
            out.printf("waited %.1f s for %d task slots (executors registering)%n", waitedMs / 1000.0, workers);
        }
        return waitedMs;
    }

    private static int slots(SparkContext sc) {
        return sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    }
}
