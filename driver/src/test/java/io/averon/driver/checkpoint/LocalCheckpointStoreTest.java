package io.averon.driver.checkpoint;

import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.util.Progressable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The store on the local filesystem through {@code file://} URIs and plain paths, plus local-only fault cases. */
class LocalCheckpointStoreTest extends CheckpointStoreContract {
    @TempDir
    static java.nio.file.Path root;

    private static final Configuration CONF = new Configuration();

    @Override
    String baseUri() {
        return "file://" + root.toAbsolutePath();
    }

    @Override
    Configuration conf() {
        return CONF;
    }

    @Test
    void aPlainPathIsALocalDirectory() throws IOException {
        java.nio.file.Path plain = root.resolve("plain");
        CheckpointStore store = new CheckpointStore(plain.toString(), 2, CONF);
        String location = write(store, 5);
        assertTrue(store.directory().startsWith("file:/"), store.directory());
        assertTrue(Files.isRegularFile(plain.resolve("ckpt-000000000005").resolve(CheckpointLayout.MANIFEST)), location);
    }

    @Test
    void twentyFiveMillionParametersRoundTrip() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 1, CONF);
        float[] parameters = floats(25_000_000, 25);
        float[] updater = floats(1_000_000, 26);

        long started = System.nanoTime();
        String location = store.write(state(7), parameters, updater);
        long written = System.nanoTime();
        Checkpoint loaded = store.loadNewestValid().orElseThrow();
        long read = System.nanoTime();

        assertEquals(location, loaded.location());
        assertSameBits(parameters, loaded.parameters());
        assertSameBits(updater, loaded.updaterState());
        System.out.printf("25M-float checkpoint: write %d ms, verified read %d ms%n",
                (written - started) / 1_000_000, (read - written) / 1_000_000);
    }

    @Test
    void aByteFlippedOnDiskIsCaughtByTheLocalChecksumsAndSkipped() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, CONF);
        String previous = write(store, 10);
        String newest = write(store, 20);
        flipByte(new Path(newest, CheckpointLayout.UPDATER_STATE), 100);

        assertEquals(previous, store.loadNewestValid().orElseThrow().location());
    }

    @Test
    void aByteFlippedWithoutFilesystemChecksumsIsCaughtByTheManifest() throws IOException {
        CheckpointStore store = new CheckpointStore(freshDirectory(), 5, CONF);
        String previous = write(store, 10);
        String newest = write(store, 20);
        Path parameters = new Path(newest, CheckpointLayout.PARAMETERS);
        java.nio.file.Path file = java.nio.file.Path.of(parameters.toUri());
        Files.delete(file.resolveSibling("." + file.getFileName() + ".crc"));
        flipByte(parameters, 4000);

        assertEquals(previous, store.loadNewestValid().orElseThrow().location());
    }

    @Test
    void aFailureMidWriteLeavesExistingCheckpointsAndNoTempDirectory() throws IOException {
        String dir = freshDirectory();
        String previous = write(new CheckpointStore(dir, 1, CONF), 10);
        Map<String, String> before = snapshot(previous);
        Configuration failing = new Configuration(CONF);
        failing.setClass("fs.file.impl", DiskFullFileSystem.class, org.apache.hadoop.fs.FileSystem.class);
        failing.setBoolean("fs.file.impl.disable.cache", true);
        CheckpointStore store = new CheckpointStore(dir, 1, failing);

        IOException e = assertThrows(IOException.class, () -> store.write(state(20), floats(1_000_000, 1), floats(1, 1)));

        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
        assertEquals(before, snapshot(previous));
        assertEquals(List.of(previous), store.list());
        try (var entries = Files.list(java.nio.file.Path.of(new Path(dir).toUri()))) {
            assertEquals(List.of("ckpt-000000000010"), entries.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(previous, store.loadNewestValid().orElseThrow().location());
    }

    @Test
    void badSettingsAreInputErrorsNamingTheDirectory() {
        InputException keep = assertThrows(InputException.class, () -> new CheckpointStore(freshDirectory(), 0, CONF));
        assertTrue(keep.getMessage().contains("keep-last must be at least 1, got 0"), keep.getMessage());
        InputException scheme = assertThrows(InputException.class,
                () -> new CheckpointStore("nosuchfs://host/ckpt", 2, CONF));
        assertTrue(scheme.getMessage().contains("nosuchfs://host/ckpt")
                && scheme.getMessage().contains("nosuchfs"), scheme.getMessage());
    }

    @Test
    void aFileInPlaceOfTheDirectoryIsAnInputError() throws IOException {
        java.nio.file.Path file = Files.writeString(root.resolve("not-a-dir"), "x");
        CheckpointStore store = new CheckpointStore(file.toString(), 2, CONF);
        InputException e = assertThrows(InputException.class, store::requireNewestValid);
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    }

    private static void flipByte(Path path, long offset) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(new java.io.File(path.toUri()), "rw")) {
            file.seek(offset);
            int b = file.read();
            file.seek(offset);
            file.write(b ^ 0x01);
        }
    }

    /** A local filesystem whose disk fills up 1 MB into the parameter file. */
    public static final class DiskFullFileSystem extends RawLocalFileSystem {
        @Override
        public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                         Progressable progress) throws IOException {
            FSDataOutputStream real = super.create(f, overwrite, bufferSize, replication, blockSize, progress);
            if (!f.getName().equals(CheckpointLayout.PARAMETERS)) {
                return real;
            }
            OutputStream failing = new FilterOutputStream(real) {
                private long written;

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    written += len;
                    if (written > 1 << 20) {
                        throw new IOException("disk full (simulated) after " + written + " bytes of " + f);
                    }
                    out.write(b, off, len);
                }
            };
            return new FSDataOutputStream(failing, null);
        }
    }
}
