package io.averon.driver.checkpoint;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the files of one checkpoint into a directory that nobody reads yet, hashing each file while it streams out,
 * and finishes with the manifest. Committing (the rename) is the store's job, so a failure here never leaves anything
 * that looks like a checkpoint.
 */
final class CheckpointWriter {
    private final FileSystem fs;

    CheckpointWriter(FileSystem fs) {
        this.fs = fs;
    }

    /** Returns the number of bytes written, manifest included. */
    long writeAll(Path dir, CheckpointState state, float[] parameters, float[] updaterState) throws IOException {
        byte[] stateBytes = StateFile.render(state, parameters.length, updaterState.length, Instant.now());
        byte[] jobBytes = state.jobConfig().getBytes(StandardCharsets.UTF_8);
        List<Manifest.Entry> entries = new ArrayList<>();
        entries.add(writeFile(dir, CheckpointLayout.STATE, out -> out.write(stateBytes)));
        entries.add(writeFile(dir, CheckpointLayout.PARAMETERS, out -> FloatArrayFile.write(out, parameters)));
        entries.add(writeFile(dir, CheckpointLayout.UPDATER_STATE, out -> FloatArrayFile.write(out, updaterState)));
        entries.add(writeFile(dir, CheckpointLayout.JOB_CONFIG, out -> out.write(jobBytes)));
        byte[] manifest = new Manifest(entries).render().getBytes(StandardCharsets.UTF_8);
        Manifest.Entry manifestEntry = writeFile(dir, CheckpointLayout.MANIFEST, out -> out.write(manifest));
        return entries.stream().mapToLong(Manifest.Entry::length).sum() + manifestEntry.length();
    }

    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private Manifest.Entry writeFile(Path dir, String name, Body body) throws IOException {
        MessageDigest sha = Sha256.newDigest();
        try (FSDataOutputStream raw = fs.create(new Path(dir, name), false)) {
            OutputStream out = new DigestOutputStream(raw, sha);
            body.writeTo(out);
            out.flush();
            // The rename that follows makes the checkpoint visible; its data must be durable before that.
            raw.hsync();
            return Manifest.entry(name, raw.getPos(), sha.digest());
        }
    }
}
