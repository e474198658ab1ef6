package io.averon.driver.checkpoint;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.util.concurrent.TimeUnit;

/**
 * Writes checkpoints on a thread of its own, so that training never waits for storage: the driver hands over a
 * snapshot (copies of the parameters and updater state taken at a step boundary) and goes on. Only the newest
 * snapshot matters, so one that arrives while another is still waiting replaces it. A write that fails (NameNode
 * down, disk full, permissions) is logged and retried with backoff, again with the newest snapshot, while training
 * continues; {@link #checkHealth} fails the run only when no checkpoint has been committed for the failure window,
 * naming the storage error. A write already under way is never abandoned half-done: the store commits a checkpoint
 * by one rename or not at all.
 */
public final class BackgroundCheckpoints implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundCheckpoints.class);
    private static final long FIRST_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LAST_RETRY_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long NEVER = Long.MIN_VALUE;

    /** One snapshot to write; the arrays are the writer's from now on. */
    public record Snapshot(CheckpointState state, float[] parameters, float[] updaterState) {
    }

    private final CheckpointStore store;
    private final long failureWindowNanos;
    private final Thread thread;
    private final Object lock = new Object();
    private Snapshot pending;
    private boolean writing;
    private boolean closing;
    private long committedStep = NEVER;
    private String committedLocation;
    private long lastSuccessNanos;
    private IOException lastFailure;
    private long failingSinceNanos = NEVER;
    private int failedAttempts;

    /**
     * @param store               where checkpoints go
     * @param failureWindowNanos  how long checkpoints may keep failing before {@link #checkHealth} fails the run
     * @param lastLocation        the checkpoint a resumed run started from, or null
     */
    public BackgroundCheckpoints(CheckpointStore store, long failureWindowNanos, String lastLocation) {
        this.store = store;
        this.failureWindowNanos = failureWindowNanos;
        this.committedLocation = lastLocation;
        this.lastSuccessNanos = System.nanoTime();
        this.thread = new Thread(this::run, "averon-checkpoint-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Hand a snapshot over; returns at once. A snapshot still waiting for the writer is replaced by this one. */
    public void submit(Snapshot snapshot) {
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("checkpoint writer of " + store.directory() + " is closed");
            }
            if (pending != null) {
                LOG.debug("checkpoint of step {} superseded by step {} before it was written",
                        pending.state().step(), snapshot.state().step());
            }
            pending = snapshot;
            lock.notifyAll();
        }
    }

    /**
     * Wait until a checkpoint of at least this step is committed, at most the given time.
     *
     * @return its location, or null if none was committed in time (storage failing or slow)
     */
    public String awaitCommitted(long step, long timeout, TimeUnit unit) throws InterruptedIOException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (lock) {
            while (committedStep < step) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                timedWait(left);
            }
            return committedLocation;
        }
    }

    private void timedWait(long nanos) throws InterruptedIOException {
        try {
            TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for the checkpoint writer of " + store.directory());
        }
    }

    /** @return the newest committed checkpoint (or the one a resumed run started from), null if none */
    public String lastCommitted() {
        synchronized (lock) {
            return committedLocation;
        }
    }

    /**
     * @throws CheckpointStorageException if checkpoints have failed for longer than the failure window: training on
     *                                    would be work a driver failure loses
     */
    public void checkHealth() {
        synchronized (lock) {
            if (failedPastWindow()) {
                throw failedTooLong();
            }
        }
    }

    /** Called holding the lock. */
    private boolean failedPastWindow() {
        return failingSinceNanos != NEVER && System.nanoTime() - lastSuccessNanos > failureWindowNanos;
    }

    /**
     * Wait until everything handed over is committed, as long as storage keeps failing for less than the window.
     *
     * @throws CheckpointStorageException if the newest snapshot could not be written within the window
     */
    public void flush() throws InterruptedIOException {
        synchronized (lock) {
            while (pending != null || writing) {
                if (failedPastWindow()) {
                    throw failedTooLong();
                }
                timedWait(TimeUnit.SECONDS.toNanos(1));
            }
        }
    }

    /**
     * Stop the writer: a write under way or waiting gets up to 30 s more (the run is ending, perhaps failing for
     * another reason; it must not hang on storage), then the thread is stopped and anything unwritten is logged.
     */
    @Override
    public void close() throws InterruptedIOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
            while ((pending != null || writing) && System.nanoTime() - deadline < 0) {
                timedWait(deadline - System.nanoTime());
            }
            if (pending != null || writing) {
                LOG.warn("checkpoint writer stopped with the checkpoint of step {} unwritten (storage {}: {}); the "
                        + "newest committed checkpoint is {}", pending != null ? pending.state().step() : "in progress",
                        store.directory(), lastFailure, committedLocation);
            }
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted stopping the checkpoint writer of " + store.directory());
        }
    }

    private CheckpointStorageException failedTooLong() {
        long minutes = TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - lastSuccessNanos);
        return new CheckpointStorageException("no checkpoint could be written to " + store.directory() + " for "
                + minutes + " min (" + failedAttempts + " attempts, checkpoint.max-failure-window "
                + TimeUnit.NANOSECONDS.toMinutes(failureWindowNanos) + " min): " + lastFailure
                + (committedLocation == null ? "" : "; resume later from " + committedLocation), lastFailure);
    }

    private void run() {
        long backoff = FIRST_RETRY_NANOS;
        while (true) {
            Snapshot next;
            synchronized (lock) {
                while (pending == null && !closing) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (pending == null) {
                    return;
                }
                next = pending;
                pending = null;
                writing = true;
            }
            boolean retry = false;
            try {
                String location = store.write(next.state(), next.parameters(), next.updaterState());
                synchronized (lock) {
                    if (failingSinceNanos != NEVER) {
                        LOG.info("checkpoint storage {} works again: step {} committed after {} failed attempt(s)",
                                store.directory(), next.state().step(), failedAttempts);
                    }
                    committedStep = Math.max(committedStep, next.state().step());
                    committedLocation = location;
                    lastSuccessNanos = System.nanoTime();
                    failingSinceNanos = NEVER;
                    failedAttempts = 0;
                    lastFailure = null;
                }
                backoff = FIRST_RETRY_NANOS;
            } catch (FileAlreadyExistsException e) {
                LOG.warn("checkpoint of step {} not written: {}", next.state().step(), e.getMessage());
            } catch (IOException | RuntimeException e) {
                IOException failure = e instanceof IOException io ? io : new IOException(e.toString(), e);
                synchronized (lock) {
                    lastFailure = failure;
                    failedAttempts++;
                    if (failingSinceNanos == NEVER) {
                        failingSinceNanos = System.nanoTime();
                    }
                    // Retry this snapshot unless a newer one has come in meanwhile.
                    if (pending == null) {
                        pending = next;
                    }
                }
                LOG.warn("checkpoint of step {} to {} failed (attempt {}): {}; training continues, retrying in {} s",
                        next.state().step(), store.directory(), failedAttempts, failure.getMessage(),
                        TimeUnit.NANOSECONDS.toSeconds(backoff));
                retry = true;
            } finally {
                synchronized (lock) {
                    writing = false;
                    lock.notifyAll();
                }
            }
            if (retry) {
                try {
                    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(backoff));
                } catch (InterruptedException e) {
                    return;
                }
                backoff = Math.min(LAST_RETRY_NANOS, backoff * 2);
            }
        }
    }
}
