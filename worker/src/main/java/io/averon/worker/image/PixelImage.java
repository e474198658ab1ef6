package io.averon.worker.image;

/**
 * One decoded image as unsigned 8-bit samples in planar channel-height-width order: the form a decoder produces, a
 * prepared shard stores and the preprocessing pipeline consumes. A segmentation mask is a one-channel PixelImage whose
 * samples are class ids (255 = ignore, the VOC convention). Holds its array without copying; treat it as immutable
 * once handed on.
 */
public final class PixelImage {
    private final int channels;
    private final int height;
    private final int width;
    private final byte[] samples;

    public PixelImage(int channels, int height, int width, byte[] samples) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, was " + channels + "x" + height + "x"
                    + width);
        }
        if ((long) channels * height * width != samples.length) {
            throw new IllegalArgumentException("a " + channels + "x" + height + "x" + width + " image needs "
                    + (long) channels * height * width + " samples, had " + samples.length);
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.samples = samples;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The backing array, planar CHW; not copied. */
    public byte[] samples() {
        return samples;
    }

    /** Unsigned sample of channel {@code c} at row {@code y}, column {@code x}. */
    public int sample(int c, int y, int x) {
        return samples[(c * height + y) * width + x] & 0xFF;
    }

    @Override
    public String toString() {
        return channels + "x" + height + "x" + width;
    }
}
