package io.averon.worker.data;

import java.io.Serializable;
import java.util.List;

/**
 * What the network sees of a dataset: images of {@code channels x height x width} after preprocessing, and
 * {@code classes} classes, named, with labels given per image or, for segmentation, per pixel.
 *
 * @param channels     1 (gray) or 3 (RGB)
 * @param height       model input height
 * @param width        model input width
 * @param classNames   one name per class, in label order
 * @param segmentation true if labels are masks
 */
public record DataShape(int channels, int height, int width, List<String> classNames, boolean segmentation)
        implements Serializable {

    public DataShape {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3, was " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image size must be positive, was " + height + "x" + width);
        }
        if (classNames.isEmpty()) {
            throw new IllegalArgumentException("a dataset needs at least one class");
        }
        classNames = List.copyOf(classNames);
    }

    public int classes() {
        return classNames.size();
    }

    /** Floats of one preprocessed image. */
    public int imageLength() {
        return channels * height * width;
    }

    /** Default class names "0", "1", ... for formats that carry none. */
    public static List<String> numbered(int classes) {
        return java.util.stream.IntStream.range(0, classes).mapToObj(Integer::toString).toList();
    }
}
