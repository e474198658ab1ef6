package io.averon.driver.checkpoint;

import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;

/**
 * Reads one committed checkpoint and proves it intact: the manifest lists every file, each file has the listed length
 * and SHA-256, the state parses and agrees with the directory name and the vector lengths. Anything that fails is a
 * {@link CorruptCheckpointException} naming the file and the fault; other I/O errors (an unreachable namenode, say)
 * stay {@link IOException} so that callers do not mistake an outage for a missing checkpoint.
 */
final class CheckpointReader {
    private static final int MAX_MANIFEST_BYTES = 64 * 1024;
    private static final int MAX_TEXT_BYTES = 64 * 1024 * 1024;

    private final FileSystem fs;

    CheckpointReader(FileSystem fs) {
        this.fs = fs;
    }

    Checkpoint read(Path dir, long expectedStep) throws IOException, CorruptCheckpointException {
        try {
            Manifest manifest = readManifest(dir);
            // Compare lengths first: a truncated 100 MB file is then rejected without reading it.
            for (String name : CheckpointLayout.DATA_FILES) {
                long actual = length(dir, name);
                long listed = manifest.get(name).length();
                if (actual != listed) {
                    throw new CorruptCheckpointException(name + " has " + actual + " bytes, MANIFEST says " + listed);
                }
            }
            byte[] jobConfig = readText(dir, manifest.get(CheckpointLayout.JOB_CONFIG));
            byte[] stateBytes = readText(dir, manifest.get(CheckpointLayout.STATE));
            StateFile.Parsed parsed = StateFile.parse(stateBytes, new String(jobConfig, StandardCharsets.UTF_8));
            if (parsed.state().step() != expectedStep) {
                throw new CorruptCheckpointException(CheckpointLayout.STATE + " says step " + parsed.state().step()
                        + " but the directory is named for step " + expectedStep);
            }
            float[] parameters = readFloats(dir, manifest.get(CheckpointLayout.PARAMETERS), parsed.parameterCount());
            float[] updaterState = readFloats(dir, manifest.get(CheckpointLayout.UPDATER_STATE),
                    parsed.updaterStateCount());
            return new Checkpoint(dir.toString(), parsed.state(), parameters, updaterState);
        } catch (ChecksumException e) {
            throw new CorruptCheckpointException("filesystem checksum error: " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new CorruptCheckpointException("unexpected end of file: " + e.getMessage(), e);
        }
    }

    private Manifest readManifest(Path dir) throws IOException, CorruptCheckpointException {
        Path path = new Path(dir, CheckpointLayout.MANIFEST);
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new CorruptCheckpointException("missing " + CheckpointLayout.MANIFEST + " (incomplete checkpoint)");
        }
        if (status.getLen() > MAX_MANIFEST_BYTES) {
            throw new CorruptCheckpointException(CheckpointLayout.MANIFEST + " is " + status.getLen() + " bytes long");
        }
        try (FSDataInputStream in = fs.open(path)) {
            return Manifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private long length(Path dir, String name) throws IOException, CorruptCheckpointException {
        try {
            return fs.getFileStatus(new Path(dir, name)).getLen();
        } catch (FileNotFoundException e) {
            throw new CorruptCheckpointException("missing " + name);
        }
    }

    private byte[] readText(Path dir, Manifest.Entry entry) throws IOException, CorruptCheckpointException {
        if (entry.length() > MAX_TEXT_BYTES) {
            throw new CorruptCheckpointException(entry.name() + " is " + entry.length() + " bytes long");
        }
        MessageDigest sha = Sha256.newDigest();
        byte[] bytes;
        try (InputStream in = new DigestInputStream(open(dir, entry.name()), sha)) {
            bytes = in.readNBytes((int) entry.length());
            if (bytes.length != entry.length() || in.read() != -1) {
                throw new CorruptCheckpointException(entry.name() + " does not have the " + entry.length()
                        + " bytes MANIFEST lists");
            }
        }
        checkDigest(entry, sha);
        return bytes;
    }

    private float[] readFloats(Path dir, Manifest.Entry entry, int expectedCount)
            throws IOException, CorruptCheckpointException {
        if (entry.length() != FloatArrayFile.byteLength(expectedCount)) {
            throw new CorruptCheckpointException(entry.name() + " is " + entry.length() + " bytes but "
                    + CheckpointLayout.STATE + " announces " + expectedCount + " floats");
        }
        MessageDigest sha = Sha256.newDigest();
        float[] values;
        try (InputStream in = new DigestInputStream(open(dir, entry.name()), sha)) {
            values = FloatArrayFile.read(in, entry.length(), entry.name());
        }
        checkDigest(entry, sha);
        return values;
    }

    private InputStream open(Path dir, String name) throws IOException, CorruptCheckpointException {
        try {
            return fs.open(new Path(dir, name), 1 << 16);
        } catch (FileNotFoundException e) {
            throw new CorruptCheckpointException("missing " + name);
        }
    }

    private static void checkDigest(Manifest.Entry entry, MessageDigest sha) throws CorruptCheckpointException {
        String actual = Sha256.hex(sha.digest());
        if (!actual.equals(entry.sha256())) {
            throw new CorruptCheckpointException(entry.name() + " SHA-256 is " + actual.substring(0, 12)
                    + "..., MANIFEST says " + entry.sha256().substring(0, 12) + "...");
        }
    }
}
