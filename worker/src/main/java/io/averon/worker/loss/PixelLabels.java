package io.averon.worker.loss;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The label encoding the segmentation losses expect: class-id masks become one-hot [n, classes, h, w] arrays, and
 * the ignore label {@value #IGNORE} becomes an all-zero vector at its pixel, which every loss in this package skips
 * (no loss, no gradient, not counted in the mean). Batch builders of segmentation jobs encode labels this way.
 */
public final class PixelLabels {
    /** The class id of pixels to ignore (Pascal VOC's and Cityscapes' convention for borders and void). */
    public static final int IGNORE = 255;

    private PixelLabels() {
    }

    /**
     * @param classIds class ids in [n, h, w] order (length n*h*w), each in [0, classes) or {@link #IGNORE}
     * @return one-hot labels [n, classes, h, w] in ND4J's default floating-point type
     */
    public static INDArray oneHot(int[] classIds, int n, int height, int width, int classes) {
        int pixels = height * width;
        if (classes < 1 || n < 1 || pixels < 1) {
            throw new IllegalArgumentException("one-hot labels need n, height, width and classes >= 1, got n=" + n
                    + " height=" + height + " width=" + width + " classes=" + classes);
        }
        if (classIds.length != n * pixels) {
            throw new IllegalArgumentException("classIds has " + classIds.length + " entries, expected n*h*w = "
                    + n * pixels);
        }
        float[] values = new float[n * classes * pixels];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < pixels; p++) {
                int id = classIds[i * pixels + p];
                if (id == IGNORE) {
                    continue;
                }
                if (id < 0 || id >= classes) {
                    throw new IllegalArgumentException("class id " + id + " at example " + i + " pixel " + p
                            + " is outside 0.." + (classes - 1) + " and not the ignore label " + IGNORE);
                }
                values[(i * classes + id) * pixels + p] = 1f;
            }
        }
        return Nd4j.create(values, new long[] {n, classes, height, width}, 'c')
                .castTo(Nd4j.defaultFloatingPointType());
    }
}
