package io.averon.jobs.data;

import io.averon.worker.data.LabelledImage;
import io.averon.worker.image.PixelImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;

/**
 * Writes images in the CIFAR binary batch layout that {@link CifarExampleSource} reads, for tests and for users who
 * want to export 32 x 32 RGB images to tools that take CIFAR files. Images must be 3 x 32 x 32 without a mask, and
 * labels must be in range for the variant.
 */
public final class CifarWriter {
    private CifarWriter() {
    }

    /**
     * Writes one record per image, its label in the byte {@code variant} reads. For a CIFAR-100 variant the other
     * label byte is written as 0, so such a file read with the other CIFAR-100 labelling has class 0 throughout; use
     * {@link #writeCifar100} to keep both labels. Does not close {@code out}.
     */
    public static void write(OutputStream out, CifarVariant variant, List<LabelledImage> images) throws IOException {
        Objects.requireNonNull(variant, "variant");
        int[] labels = new int[images.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = images.get(i).label();
        }
        int[] zeros = new int[images.size()];
        switch (variant) {
            case CIFAR10 -> write(out, variant, images, labels, null);
            case CIFAR100_FINE -> write(out, variant, images, zeros, labels);
            case CIFAR100_COARSE -> write(out, variant, images, labels, zeros);
        }
    }

    /**
     * Writes CIFAR-100 records with both labels: each image's own label is its fine label, {@code coarseLabels[i]}
     * the coarse label of image {@code i}. Does not close {@code out}.
     */
    public static void writeCifar100(OutputStream out, List<LabelledImage> images, int[] coarseLabels)
            throws IOException {
        if (coarseLabels.length != images.size()) {
            throw new IllegalArgumentException(images.size() + " images but " + coarseLabels.length
                    + " coarse labels");
        }
        int[] fine = new int[images.size()];
        for (int i = 0; i < fine.length; i++) {
            fine[i] = images.get(i).label();
        }
        write(out, CifarVariant.CIFAR100_FINE, images, coarseLabels, fine);
    }

    /** {@code first} goes in byte 0 of each record; {@code second}, when not null, in byte 1. */
    private static void write(OutputStream out, CifarVariant format, List<LabelledImage> images, int[] first,
                              int[] second) throws IOException {
        for (int i = 0; i < images.size(); i++) {
            PixelImage image = images.get(i).image();
            if (image.channels() != 3 || image.height() != CifarVariant.SIDE || image.width() != CifarVariant.SIDE) {
                throw new IllegalArgumentException("image " + i + " is " + image + ", a CIFAR record holds 3x32x32");
            }
            if (images.get(i).mask() != null) {
                throw new IllegalArgumentException("image " + i + " has a segmentation mask, which CIFAR cannot hold");
            }
            checkLabel(format, 0, first[i], i);
            if (second != null) {
                checkLabel(format, 1, second[i], i);
            }
        }
        BufferedOutputStream buffered = new BufferedOutputStream(out, 1 << 16);
        for (int i = 0; i < images.size(); i++) {
            buffered.write(first[i]);
            if (second != null) {
                buffered.write(second[i]);
            }
            buffered.write(images.get(i).image().samples());
        }
        buffered.flush();
    }

    private static void checkLabel(CifarVariant format, int offset, int label, int image) {
        int classes = format.classesAt(offset);
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("image " + image + " has " + format.labelKindAt(offset) + "label "
                    + label + ", out of range for " + format.format() + "'s " + classes + " "
                    + format.labelKindAt(offset) + "classes");
        }
    }
}
