package io.averon.jobs.bench;

import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.checkpoint.CheckpointStore;
import org.apache.hadoop.conf.Configuration;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;

/**
 * What a checkpoint of a large model costs, beside the storage's own limit measured in the same run: the store's
 * write (hashed, synced, committed by rename) against a plain write and fsync of the same bytes, and the copy of the
 * parameters and updater state at a step boundary, which is all training waits for now that checkpoints are written
 * in the background. Usage: {@code CheckpointTime <directory> [parameters=25000000] [updaterValuesPerParameter=2]
 * [repetitions=3]}; prints the median of each.
 */
public final class CheckpointTime {
    private CheckpointTime() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int parameters = args.length > 1 ? Integer.parseInt(args[1]) : 25_000_000;
        int perParameter = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int repetitions = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Files.createDirectories(dir);
        Random random = new Random(1);
        float[] params = new float[parameters];
        float[] updater = new float[parameters * perParameter];
        for (int i = 0; i < params.length; i++) {
            params[i] = random.nextFloat();
        }
        for (int i = 0; i < updater.length; i++) {
            updater[i] = random.nextFloat();
        }
        long bytes = 4L * (params.length + updater.length);

        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints").toUri().toString(), 2,
                new Configuration());
        double[] copy = new double[repetitions];
        double[] raw = new double[repetitions];
        double[] checkpoint = new double[repetitions];
        for (int r = 0; r < repetitions; r++) {
            long t0 = System.nanoTime();
            float[] p = params.clone();
            float[] u = updater.clone();
            copy[r] = (System.nanoTime() - t0) / 1e9;

            t0 = System.nanoTime();
            writeAndSync(dir.resolve("raw.bin"), p, u);
            raw[r] = (System.nanoTime() - t0) / 1e9;

            t0 = System.nanoTime();
            store.write(new CheckpointState(1, r + 1, 0, 1, 2, "bench", "job {}"), p, u);
            checkpoint[r] = (System.nanoTime() - t0) / 1e9;
        }
        Files.deleteIfExists(dir.resolve("raw.bin"));
        double c = median(checkpoint);
        double w = median(raw);
        System.out.printf("checkpoint of %,d parameters + %,d updater values (%.0f MB) to %s, median of %d:%n",
                parameters, updater.length, bytes / 1e6, dir, repetitions);
        System.out.printf("  store write (SHA-256 per file, hsync, rename commit): %.2f s (%.0f MB/s)%n", c,
                bytes / 1e6 / c);
        System.out.printf("  baseline, plain write + fsync of the same bytes:       %.2f s (%.0f MB/s)%n", w,
                bytes / 1e6 / w);
        System.out.printf("  ratio store/baseline %.2f%n", c / w);
        System.out.printf("  training waits only for the snapshot copy: %.0f ms (%.1f%% of the write)%n",
                median(copy) * 1e3, 100 * median(copy) / c);
    }

    private static void writeAndSync(Path file, float[] a, float[] b) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (float[] array : new float[][] { a, b }) {
                for (float v : array) {
                    if (!buffer.hasRemaining()) {
                        buffer.flip();
                        out.write(buffer);
                        buffer.clear();
                    }
                    buffer.putFloat(v);
                }
            }
            buffer.flip();
            out.write(buffer);
            out.force(true);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
