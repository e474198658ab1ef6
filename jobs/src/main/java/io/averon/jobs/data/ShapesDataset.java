package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic segmentation dataset that a command generates ({@code averon generate-shapes <dir>}): RGB images of
 * circles, squares and triangles in random colours, sizes and places over a noisy background, with palette-PNG masks
 * in the PASCAL VOC convention (class ids 0 background, 1 circle, 2 square, 3 triangle; 255 on a one-pixel ring at
 * each shape's edge, where the label is ambiguous). Seeded, so the same command writes the same files.
 */
public final class ShapesDataset {
    public static final List<String> CLASSES = List.of("background", "circle", "square", "triangle");

    private final int size;
    private final long seed;

    public ShapesDataset(int size, long seed) {
        if (size < 16) {
            throw new IllegalArgumentException("shape images must be at least 16 pixels, was " + size);
        }
        this.size = size;
        this.seed = seed;
    }

    /**
     * Writes {@code train} pairs to {@code dir/images} + {@code dir/masks} and {@code test} pairs to
     * {@code dir/test-images} + {@code dir/test-masks}, on any Hadoop FileSystem.
     */
    public void write(String dirUri, int train, int test, HadoopSettings hadoop) throws IOException {
        Path dir = new Path(dirUri);
        FileSystem fs = dir.getFileSystem(hadoop.toConfiguration());
        writePart(fs, new Path(dir, "images"), new Path(dir, "masks"), 0, train);
        writePart(fs, new Path(dir, "test-images"), new Path(dir, "test-masks"), train, test);
    }

    private void writePart(FileSystem fs, Path images, Path masks, int first, int count) throws IOException {
        fs.mkdirs(images);
        fs.mkdirs(masks);
        for (int i = first; i < first + count; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_INDEXED, palette());
            render(new SplittableRandom(seed * 1_000_003L + i), image, mask);
            String name = String.format("%06d", i);
            write(fs, new Path(images, name + ".png"), image);
            write(fs, new Path(masks, name + ".png"), mask);
        }
    }

    /** Draws one example: a noisy background and 1-3 shapes, later ones on top. */
    public void render(SplittableRandom random, BufferedImage image, BufferedImage mask) {
        int[] classes = new int[size * size];
        int base = random.nextInt(60, 140);
        int[] rgb = new int[size * size];
        for (int p = 0; p < rgb.length; p++) {
            int g = Math.max(0, Math.min(255, base + random.nextInt(-25, 26)));
            rgb[p] = (g << 16) | (g << 8) | g;
        }
        int shapes = random.nextInt(1, 4);
        for (int s = 0; s < shapes; s++) {
            int kind = random.nextInt(1, 4);
            int r = random.nextInt(size / 8, size / 4 + 1);
            int cx = random.nextInt(r, size - r);
            int cy = random.nextInt(r, size - r);
            int colour = (random.nextInt(256) << 16) | (random.nextInt(256) << 8) | random.nextInt(256);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    if (inside(kind, x - cx, y - cy, r)) {
                        rgb[y * size + x] = colour;
                        classes[y * size + x] = kind;
                    }
                }
            }
        }
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int c = classes[y * size + x];
                boolean edge = false;
                for (int d = 0; d < 4 && !edge; d++) {
                    int nx = x + (d == 0 ? 1 : d == 1 ? -1 : 0);
                    int ny = y + (d == 2 ? 1 : d == 3 ? -1 : 0);
                    edge = nx >= 0 && ny >= 0 && nx < size && ny < size && classes[ny * size + nx] != c && c != 0;
                }
                image.setRGB(x, y, rgb[y * size + x]);
                mask.getRaster().setSample(x, y, 0, edge ? 255 : c);
            }
        }
    }

    private static boolean inside(int kind, int dx, int dy, int r) {
        return switch (kind) {
            case 1 -> dx * dx + dy * dy <= r * r;
            case 2 -> Math.abs(dx) <= r * 3 / 4 && Math.abs(dy) <= r * 3 / 4;
            // An upward triangle with its base at dy = r/2 and apex at dy = -r.
            default -> dy <= r / 2 && dy >= -r && 2 * Math.abs(dx) <= (dy + r);
        };
    }

    private static IndexColorModel palette() {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        int[][] colours = {{0, 0, 0}, {128, 0, 0}, {0, 128, 0}, {128, 128, 0}};
        for (int i = 0; i < colours.length; i++) {
            r[i] = (byte) colours[i][0];
            g[i] = (byte) colours[i][1];
            b[i] = (byte) colours[i][2];
        }
        r[255] = (byte) 224;
        g[255] = (byte) 224;
        b[255] = (byte) 192;
        return new IndexColorModel(8, 256, r, g, b);
    }

    private static void write(FileSystem fs, Path file, BufferedImage image) throws IOException {
        try (FSDataOutputStream out = fs.create(file, true)) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer");
            }
        }
    }
}
