package io.averon.jobs.data;

import io.averon.worker.data.BadImagePolicy;

import java.io.Serializable;

/**
 * How the image-file formats decode: the channel count and input size of the dataset, the largest image accepted
 * (width x height, checked from the header before any pixel is decoded) and what to do with bad files found while
 * planning (empty files, empty class folders, unmatched masks).
 */
public record DecodeSettings(int channels, int height, int width, long maxPixels, BadImagePolicy badImages)
        implements Serializable {

    public DecodeSettings {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("dataset.channels must be 1 or 3, was " + channels);
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("dataset.height and dataset.width must be positive, were " + height
                    + " and " + width);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("dataset.max-pixels must be positive, was " + maxPixels);
        }
    }
}
