package io.averon.jobs.data;

import io.averon.worker.Examples;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Renders real Fashion-MNIST images into the image-file layouts users keep on HDFS: a class-per-folder tree of PNG
 * and JPEG files, and segmentation pairs. Tests train on these files, so decoding, labelling and planning are
 * checked against images whose content and class are known.
 */
public final class ImageTrees {
    private ImageTrees() {
    }

    /** The real Fashion-MNIST training set (the test fails with instructions if it is missing). */
    public static Examples fashionMnist() throws IOException {
        return IdxFixture.realFashionMnist().train().load();
    }

    /**
     * Writes examples {@code from .. from+count} into {@code root/<class name>/<index>.png|jpg}, PNG for even and
     * JPEG (quality default) for odd indices, 8-bit gray; class names are "class-0" .. "class-9".
     *
     * @return the number of files written per class
     */
    public static int[] writeClassTree(Examples examples, int from, int count, Path root) throws IOException {
        int[] perClass = new int[examples.numClasses()];
        for (int i = from; i < from + count; i++) {
            int label = examples.label(i);
            Path dir = root.resolve("class-" + label);
            Files.createDirectories(dir);
            String format = i % 2 == 0 ? "png" : "jpg";
            Files.write(dir.resolve(String.format("%05d.%s", i, format)), encode(gray(examples, i), format));
            perClass[label]++;
        }
        return perClass;
    }

    /** One example as an 8-bit gray image. */
    public static BufferedImage gray(Examples examples, int index) {
        BufferedImage image = new BufferedImage(examples.width(), examples.height(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < examples.height(); y++) {
            for (int x = 0; x < examples.width(); x++) {
                image.getRaster().setSample(x, y, 0, examples.pixel(index, y * examples.width() + x));
            }
        }
        return image;
    }

    public static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(image, format, out)) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return out.toByteArray();
    }

    /**
     * Adds the broken files every real collection has to a class folder: an empty file, a truncated JPEG, a text file
     * named .jpg, and an image too large for {@code dataset.max-pixels = maxPixels}.
     *
     * @return how many of them decoding must reject (the empty file is set aside while planning, not counted here)
     */
    public static int addBrokenFiles(Examples examples, Path classDir, long maxPixels) throws IOException {
        Files.createDirectories(classDir);
        Files.write(classDir.resolve("empty.png"), new byte[0]);
        byte[] jpeg = encode(gray(examples, 0), "jpg");
        Files.write(classDir.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length * 6 / 10));
        Files.writeString(classDir.resolve("notes.jpg"), "this is not an image\n");
        int side = (int) Math.sqrt(maxPixels) + 8;
        Files.write(classDir.resolve("huge.png"), encode(new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY),
                "png"));
        return 3;
    }
}
