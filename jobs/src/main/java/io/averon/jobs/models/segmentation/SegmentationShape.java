package io.averon.jobs.models.segmentation;

/**
 * The input and output a segmentation network is built for: images of {@code channels} x {@code height} x
 * {@code width} (NCHW) and a per-pixel score over {@code classes} classes at the same resolution.
 */
public record SegmentationShape(int channels, int height, int width, int classes) {
    public SegmentationShape {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("segmentation input must have channels, height and width >= 1, got "
                    + channels + "x" + height + "x" + width);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("segmentation needs at least 2 classes (softmax per pixel), got "
                    + classes);
        }
    }

    /** Pixels of one output map: the {@code pixelsPerExample} of the default loss. */
    public int pixels() {
        return height * width;
    }

    /** Refuses a size the network cannot map back to the input resolution exactly. */
    void requireDivisible(int factor, String network, String why) {
        if (height % factor != 0 || width % factor != 0) {
            throw new IllegalArgumentException(network + " input " + height + "x" + width
                    + " must have height and width divisible by " + factor + " (" + why + ")");
        }
    }
}
