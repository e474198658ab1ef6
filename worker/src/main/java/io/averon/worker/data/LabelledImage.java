package io.averon.worker.data;

import io.averon.worker.image.PixelImage;

/**
 * One decoded example: the image and either a class label (classification) or a mask of class ids (segmentation).
 *
 * @param image the decoded image at its stored size
 * @param mask  one-channel class ids of the same size as {@code image} (255 = ignore), or null
 * @param label class index, or -1 when {@code mask} carries the labels
 */
public record LabelledImage(PixelImage image, PixelImage mask, int label) {
}
