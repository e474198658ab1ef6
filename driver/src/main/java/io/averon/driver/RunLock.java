package io.averon.driver;

import io.averon.worker.InputException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One run at a time in a run directory: the driver creates {@code run.lock} there with an exclusive create (atomic on
 * HDFS, and on a local disk through the operating system), names itself in it, and refreshes its modification time
 * every few seconds while it runs. A second run into the directory stops with an error naming the owner, before it
 * writes anything. A lock not refreshed for the stale time belongs to a driver that died (kill -9, lost host): a
 * resuming run waits up to that long for it to go stale and then takes it over with a warning, while a new run is
 * told to resume that unfinished run or remove the lock; the same Spark application (a YARN re-attempt) takes its own
 * lock over at once. Refreshes compare clocks of different hosts, so
 * the stale time is many refresh periods long.
 */
final class RunLock implements AutoCloseable {
    static final String NAME = "run.lock";
    private static final Logger LOG = LoggerFactory.getLogger(RunLock.class);

    private final FileSystem fs;
    private final Path lock;
    private final String owner;
    private final ScheduledExecutorService refresher;

    private RunLock(FileSystem fs, Path lock, String owner, long refreshMs) {
        this.fs = fs;
        this.lock = lock;
        this.owner = owner;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "averon-run-lock");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refresh, refreshMs, refreshMs, TimeUnit.MILLISECONDS);
    }

    /**
     * @param application the Spark application id; a lock of the same application is taken over at once
     * @param waitForStale whether to wait for a live-looking lock to go stale (resuming after a driver died)
     */
    static RunLock acquire(FileSystem fs, Path runDir, String application, boolean waitForStale) throws IOException {
        return acquire(fs, runDir, application, waitForStale, 10_000, 45_000);
    }

    static RunLock acquire(FileSystem fs, Path runDir, String application, boolean waitForStale, long refreshMs,
                           long staleMs) throws IOException {
        if (refreshMs <= 0 || staleMs < 2 * refreshMs) {
            throw new InputException("run.lock-refresh = " + refreshMs + " ms and run.lock-stale = " + staleMs
                    + " ms: the refresh must be > 0 and the stale time at least twice the refresh (clocks of "
                    + "different hosts are compared)");
        }
        Path lock = new Path(runDir, NAME);
        String owner = "application=" + application + "\nhost=" + InetAddress.getLocalHost().getHostName()
                + "\nprocess=" + ManagementFactory.getRuntimeMXBean().getName() + "\nstarted=" + Instant.now() + "\n";
        long giveUpAt = System.currentTimeMillis() + (waitForStale ? staleMs + refreshMs : 0);
        boolean waitingReported = false;
        while (true) {
            if (createExclusively(fs, lock, owner)) {
                return new RunLock(fs, lock, owner, refreshMs);
            }
            String held;
            long ageMs;
            try {
                FileStatus status = fs.getFileStatus(lock);
                ageMs = System.currentTimeMillis() - status.getModificationTime();
                held = read(fs, lock);
            } catch (FileNotFoundException released) {
                continue; // its owner just ended
            }
            String holder = value(held, "application");
            if (!holder.equals(application) && ageMs > staleMs && !waitForStale) {
                throw new InputException("run directory " + runDir + " holds the " + NAME + " of application "
                        + holder + " (driver on " + value(held, "host") + "), not refreshed for " + ageMs / 1000
                        + " s: that driver is gone and its run did not finish. Continue it with --resume " + runDir
                        + ", or delete " + lock + " to start over in this directory");
            }
            if (holder.equals(application) || ageMs > staleMs) {
                LOG.warn("taking over {} of {} (driver on {}, {}), {}", lock, holder, value(held, "host"),
                        value(held, "process"), holder.equals(application)
                                ? "an earlier attempt of this application"
                                : "not refreshed for " + ageMs / 1000 + " s: its driver is gone");
                fs.delete(lock, false);
                continue;
            }
            if (System.currentTimeMillis() >= giveUpAt) {
                throw new InputException("run directory " + runDir + " is in use by application " + holder
                        + " (driver on " + value(held, "host") + ", " + value(held, "process") + "; lock refreshed "
                        + ageMs / 1000 + " s ago): a second run into it would mix two runs' checkpoints and "
                        + "metrics. Use another run directory, or wait until that run ends (a dead driver's "
                        + NAME + " goes stale " + staleMs / 1000 + " s after its last refresh; --resume waits "
                        + "for that)");
            }
            if (!waitingReported) {
                waitingReported = true;
                LOG.warn("{} is held by application {} (refreshed {} s ago); waiting up to {} s for it to go stale",
                        lock, holder, ageMs / 1000, (giveUpAt - System.currentTimeMillis()) / 1000);
            }
            try {
                Thread.sleep(Math.min(refreshMs, 2_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for " + lock, e);
            }
        }
    }

    private static boolean createExclusively(FileSystem fs, Path lock, String owner) throws IOException {
        byte[] bytes = owner.getBytes(StandardCharsets.UTF_8);
        if (fs instanceof LocalFileSystem local) {
            // Hadoop's local create checks, then creates; the operating system's CREATE_NEW is one atomic step.
            java.nio.file.Path file = local.pathToFile(lock).toPath();
            Files.createDirectories(file.getParent());
            try {
                Files.write(file, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException held) {
                return false;
            }
        }
        try (FSDataOutputStream out = fs.create(lock, false)) {
            out.write(bytes);
            return true;
        } catch (FileAlreadyExistsException held) {
            return false;
        } catch (IOException e) {
            // HDFS reports a create that lost the race as AlreadyBeingCreated or a RemoteException around it.
            if (fs.exists(lock)) {
                return false;
            }
            throw e;
        }
    }

    private static String read(FileSystem fs, Path lock) throws IOException {
        try (var in = fs.open(lock)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String value(String lockText, String key) {
        for (String line : lockText.split("\n")) {
            if (line.startsWith(key + "=")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        return "(unknown)";
    }

    private void refresh() {
        try {
            fs.setTimes(lock, System.currentTimeMillis(), -1);
        } catch (IOException e) {
            LOG.warn("could not refresh {}: {} (another run may take the directory over if this lasts)", lock,
                    e.toString());
        }
    }

    /** Stop refreshing and remove the lock, if it is still this run's. */
    @Override
    public void close() {
        refresher.shutdownNow();
        try {
            String held = read(fs, lock);
            if (held.equals(owner)) {
                fs.delete(lock, false);
            } else {
                LOG.warn("{} was taken over by {} while this run held it; leaving it", lock, value(held, "application"));
            }
        } catch (FileNotFoundException gone) {
            LOG.warn("{} disappeared while this run held it", lock);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", lock, e.toString());
        }
    }
}
