package io.averon.driver;

import io.averon.worker.InputException;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Remembers the first task failure of a stage as the executor reported it. Spark aborts a barrier stage with a summary
 * ("barrier task finished unsuccessfully") that hides the cause; this keeps the cause, so that a bad input file met
 * by a worker reaches the user as the one-line error it is.
 */
final class TaskFailures extends SparkListener {
    private final AtomicReference<ExceptionFailure> first = new AtomicReference<>();

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        if (taskEnd.reason() instanceof ExceptionFailure failure) {
            first.compareAndSet(null, failure);
        }
    }

    /** Waits up to {@code millis} for the listener bus to deliver a failure; null if none arrived. */
    ExceptionFailure await(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        try {
            while (first.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return first.get();
    }

    /** The failure as the exception to raise on the driver: the user's error if it was one. */
    static RuntimeException describe(ExceptionFailure failure, String context) {
        if (failure.exception().isDefined()) {
            for (Throwable t = failure.exception().get(); t != null; t = t.getCause()) {
                if (t instanceof InputException input) {
                    return input;
                }
            }
        }
        if (InputException.class.getName().equals(failure.className())) {
            return new InputException(failure.description());
        }
        return new IllegalStateException(context + ": " + failure.className() + ": " + failure.description());
    }
}
