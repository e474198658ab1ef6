package io.averon.driver;

import org.apache.spark.BarrierCoordinator;
import org.apache.spark.SparkContext;
import org.apache.spark.rpc.RpcEndpoint;
import org.apache.spark.scheduler.TaskSchedulerImpl;

/**
 * Releases the timer thread of Spark's barrier coordinator. Spark 3.5 starts it (a non-daemon {@link java.util.Timer})
 * for the first barrier stage and never cancels it when the context stops, so a driver whose main method returns
 * normally, as spark-submit and YARN need for a SUCCEEDED status, would never exit. Cancelling it after training is
 * safe: no barrier stage runs afterwards.
 */
public final class BarrierTimer {
    private BarrierTimer() {
    }

    /** Cancels the barrier coordinator's timer of this context, if it has one. */
    public static void release(SparkContext sc) {
        if (sc.taskScheduler() instanceof TaskSchedulerImpl scheduler) {
            RpcEndpoint endpoint = scheduler.barrierCoordinator();
            if (endpoint instanceof BarrierCoordinator coordinator) {
                coordinator.org$apache$spark$BarrierCoordinator$$timer().cancel();
            }
        }
    }
}
