package io.averon.driver.checkpoint;

import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Checkpoints of one training run in a directory of any Hadoop FileSystem ({@code hdfs://}, {@code file://}, or a
 * scheme-less path, which Hadoop resolves against {@code fs.defaultFS}). A checkpoint is the directory
 * {@code ckpt-<step>} holding the state, the parameters, the updater state, the job config and a SHA-256 manifest.
 * It is written under a hidden {@code _tmp-} name and committed by one rename, so readers see either the whole
 * checkpoint or nothing; committed checkpoints are never modified, only deleted once {@code keepLast} newer ones exist.
 * Readers verify every byte against the manifest and fall back to older checkpoints when the newest is damaged.
 * <p>
 * One writer per directory is assumed (the run's single driver); readers may run at any time.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    /** A temp dir this old belongs to a writer that died; a live writer finishes 100 MB in seconds. */
    private static final long STALE_TEMP_MILLIS = TimeUnit.HOURS.toMillis(1);

    private final FileSystem fs;
    private final Path dir;
    private final int keepLast;
    private final CheckpointWriter writer;
    private final CheckpointReader reader;

    public CheckpointStore(String directoryUri, int keepLast, Configuration hadoopConf) {
        Objects.requireNonNull(directoryUri, "directoryUri");
        Objects.requireNonNull(hadoopConf, "hadoopConf");
        if (directoryUri.isBlank()) {
            throw new InputException("checkpoint directory is empty: give a path or URI such as hdfs://namenode/runs/x");
        }
        if (keepLast < 1) {
            throw new InputException("checkpoint directory " + directoryUri + ": keep-last must be at least 1, got "
                    + keepLast);
        }
        Path path;
        try {
            path = new Path(directoryUri);
        } catch (IllegalArgumentException e) {
            throw new InputException("checkpoint directory '" + directoryUri + "' is not a valid path or URI: "
                    + e.getMessage(), e);
        }
        try {
            this.fs = path.getFileSystem(hadoopConf);
        } catch (UnsupportedFileSystemException e) {
            throw new InputException("checkpoint directory '" + directoryUri + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the filesystem of checkpoint directory " + directoryUri, e);
        }
        this.dir = fs.makeQualified(path);
        this.keepLast = keepLast;
        this.writer = new CheckpointWriter(fs);
        this.reader = new CheckpointReader(fs);
    }

    /** The fully qualified URI of the checkpoint directory. */
    public String directory() {
        return dir.toString();
    }

    /**
     * Writes and commits a checkpoint, then deletes all but the newest {@code keepLast} complete checkpoints (the one
     * just written is always kept, even when a stale checkpoint of a later step exists). Returns the final location.
     *
     * @throws FileAlreadyExistsException if a valid checkpoint of the same step exists; a corrupt one is moved aside
     *                                    to {@code _corrupt-ckpt-<step>-<millis>} instead
     * @throws IOException                on any I/O failure; existing checkpoints are then untouched and the temp
     *                                    directory is removed (or, if even that fails, left for readers to ignore)
     */
    public String write(CheckpointState state, float[] parameters, float[] updaterState) throws IOException {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(parameters, "parameters");
        Objects.requireNonNull(updaterState, "updaterState");
        long started = System.nanoTime();
        Path target = new Path(dir, CheckpointLayout.committedName(state.step()));
        if (fs.exists(target)) {
            moveAsideIfCorrupt(target, state.step());
        }
        Path temp = new Path(dir, CheckpointLayout.TEMP_PREFIX + target.getName() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
        long bytes;
        try {
            if (!fs.mkdirs(temp)) {
                throw new IOException("could not create " + temp);
            }
            bytes = writer.writeAll(temp, state, parameters, updaterState);
            if (!fs.rename(temp, target)) {
                throw new IOException("could not rename " + temp + " to " + target);
            }
        } catch (IOException | RuntimeException e) {
            abandon(temp, state.step(), e);
            throw e;
        }
        LOG.info("Checkpoint step {} (epoch {}, step in epoch {}) committed to {}: {} parameters, {} updater values, "
                        + "{} MB in {} ms", state.step(), state.epoch(), state.stepInEpoch(), target, parameters.length,
                updaterState.length, String.format(Locale.ROOT, "%.1f", bytes / 1e6), millisSince(started));
        prune(target, state.step());
        return target.toString();
    }

    /**
     * The newest checkpoint that verifies completely. Damaged or incomplete ones are skipped with one WARN line each;
     * hidden directories ({@code _tmp-}, {@code _corrupt-}) are never considered. A missing or empty directory gives
     * {@link Optional#empty()}.
     *
     * @throws IOException when the filesystem fails (as opposed to a checkpoint being damaged)
     */
    public Optional<Checkpoint> loadNewestValid() throws IOException {
        return Optional.ofNullable(loadNewest(new ArrayList<>()));
    }

    /**
     * Like {@link #loadNewestValid()} for a directory the user named explicitly (e.g. {@code --resume}): the absence
     * of a valid checkpoint is the user's problem to fix, so it is an {@link InputException} naming the directory and
     * what is wrong with each checkpoint found there.
     */
    public Checkpoint requireNewestValid() throws IOException {
        FileStatus status;
        try {
            status = fs.getFileStatus(dir);
        } catch (FileNotFoundException e) {
            throw new InputException("checkpoint directory " + dir + " does not exist");
        }
        if (!status.isDirectory()) {
            throw new InputException("checkpoint directory " + dir + " is a file, not a directory");
        }
        List<String> problems = new ArrayList<>();
        Checkpoint newest = loadNewest(problems);
        if (newest != null) {
            return newest;
        }
        if (problems.isEmpty()) {
            throw new InputException("checkpoint directory " + dir + " holds no checkpoint (no ckpt-<step> directory)");
        }
        throw new InputException("checkpoint directory " + dir + " holds no valid checkpoint: "
                + String.join("; ", problems));
    }

    /** Locations of the complete checkpoints (manifest present, contents not verified), oldest first. */
    public List<String> list() throws IOException {
        List<String> locations = new ArrayList<>();
        for (Candidate c : candidates()) {
            if (c.complete()) {
                locations.add(c.path().toString());
            }
        }
        return locations;
    }

    private Checkpoint loadNewest(List<String> problems) throws IOException {
        List<Candidate> all = candidates();
        for (int i = all.size() - 1; i >= 0; i--) {
            Candidate c = all.get(i);
            long started = System.nanoTime();
            try {
                Checkpoint checkpoint = reader.read(c.path(), c.step());
                LOG.info("Loaded checkpoint {} (epoch {}, step {}, {} parameters) in {} ms", c.path(),
                        checkpoint.state().epoch(), c.step(), checkpoint.parameters().length, millisSince(started));
                return checkpoint;
            } catch (CorruptCheckpointException e) {
                LOG.warn("Skipping checkpoint {}: {}", c.path(), e.getMessage());
                problems.add(c.path().getName() + ": " + e.getMessage());
            }
        }
        return null;
    }

    /** A {@code ckpt-<step>} directory; {@code complete} means its manifest exists. */
    private record Candidate(Path path, long step, boolean complete) {
    }

    /** Committed checkpoint directories sorted by step, oldest first. */
    private List<Candidate> candidates() throws IOException {
        FileStatus[] statuses;
        try {
            statuses = fs.listStatus(dir);
        } catch (FileNotFoundException e) {
            return List.of();
        }
        List<Candidate> found = new ArrayList<>();
        for (FileStatus s : statuses) {
            OptionalLong step = CheckpointLayout.stepOf(s.getPath().getName());
            if (s.isDirectory() && step.isPresent()) {
                boolean complete = fs.exists(new Path(s.getPath(), CheckpointLayout.MANIFEST));
                found.add(new Candidate(s.getPath(), step.getAsLong(), complete));
            }
        }
        found.sort(Comparator.comparingLong(Candidate::step));
        return found;
    }

    private void moveAsideIfCorrupt(Path target, long step) throws IOException {
        try {
            reader.read(target, step);
        } catch (CorruptCheckpointException e) {
            Path aside = new Path(dir, CheckpointLayout.QUARANTINE_PREFIX + target.getName() + "-"
                    + System.currentTimeMillis());
            if (!fs.rename(target, aside)) {
                throw new IOException("could not move the corrupt checkpoint " + target + " aside to " + aside);
            }
            LOG.warn("Moved corrupt checkpoint {} to {} before writing step {} again: {}", target, aside, step,
                    e.getMessage());
            return;
        }
        throw new FileAlreadyExistsException("a valid checkpoint of step " + step + " already exists at " + target
                + "; checkpoints are never overwritten");
    }

    private void abandon(Path temp, long step, Exception cause) {
        try {
            if (fs.exists(temp) && !fs.delete(temp, true)) {
                throw new IOException("delete returned false");
            }
            LOG.warn("Checkpoint step {} failed, removed {}: {}", step, temp, cause.toString());
        } catch (IOException e) {
            cause.addSuppressed(e);
            LOG.warn("Checkpoint step {} failed ({}); could not remove {} either ({}), readers ignore it", step,
                    cause, temp, e.toString());
        }
    }

    /**
     * Deletes complete checkpoints beyond the newest {@code keepLast}, manifest-less leftovers older than every kept
     * one, and temp directories of writers that died. Failures are logged, not thrown: the new checkpoint is committed
     * and a caller must not mistake a failed clean-up for a failed checkpoint.
     */
    private void prune(Path committed, long committedStep) {
        try {
            List<Candidate> all = candidates();
            Set<Long> kept = new HashSet<>();
            kept.add(committedStep);
            List<Candidate> complete = all.stream().filter(Candidate::complete).toList();
            for (int i = complete.size() - 1; i >= 0 && i >= complete.size() - keepLast; i--) {
                kept.add(complete.get(i).step());
            }
            long oldestKept = kept.stream().mapToLong(Long::longValue).min().orElse(committedStep);
            for (Candidate c : all) {
                if (!kept.contains(c.step()) && (c.complete() || c.step() < oldestKept)) {
                    fs.delete(c.path(), true);
                    LOG.info("Deleted checkpoint {} (keeping the newest {})", c.path(), keepLast);
                }
            }
            // Compare against the filesystem's own clock (the new checkpoint's mtime), not this host's.
            long now = fs.getFileStatus(committed).getModificationTime();
            for (FileStatus s : fs.listStatus(dir)) {
                if (s.getPath().getName().startsWith(CheckpointLayout.TEMP_PREFIX)
                        && now - s.getModificationTime() > STALE_TEMP_MILLIS) {
                    fs.delete(s.getPath(), true);
                    LOG.info("Deleted abandoned temp directory {} (last modified {} min before the new checkpoint)",
                            s.getPath(), TimeUnit.MILLISECONDS.toMinutes(now - s.getModificationTime()));
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not prune old checkpoints in {}: {}", dir, e.toString());
        }
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
