package io.averon.driver;

import io.averon.ps.ServerUnreachableException;
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

    /** @return the first task failure delivered so far, or null. */
    ExceptionFailure first() {
        return first.get();
    }

    /**
     * Whether running the stage again cannot help, so the epoch should stop at once rather than let Spark retry the
     * barrier stage (up to spark.stage.maxConsecutiveAttempts times, 4 by default): a bad input or setting, which
     * the next attempt meets again, or a worker that could not reach the server while no worker of this run ever
     * has, where the advertised address or port is wrong for the cluster and every attempt would wait out
     * ps.connect-timeout again. A lost executor, or a worker that lost a server it had reached, is left to the retry.
     *
     * @param failure             a task's failure
     * @param anyWorkerRegistered whether any worker has registered with the server since it started
     */
    static boolean retryCannotHelp(ExceptionFailure failure, boolean anyWorkerRegistered) {
        if (failure.exception().isDefined()) {
            for (Throwable t = failure.exception().get(); t != null; t = t.getCause()) {
                if (t instanceof InputException || (t instanceof ServerUnreachableException && !anyWorkerRegistered)) {
                    return true;
                }
            }
            return false;
        }
        return InputException.class.getName().equals(failure.className())
                || (ServerUnreachableException.class.getName().equals(failure.className()) && !anyWorkerRegistered);
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
        // Averon's own failures carry a message written for operators; a foreign one's class name says what it is.
        String what = failure.className().startsWith("io.averon.") ? failure.description()
                : failure.className() + ": " + failure.description();
        return new IllegalStateException(context + ": " + what);
    }
}
