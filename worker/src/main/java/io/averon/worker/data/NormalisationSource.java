package io.averon.worker.data;

/**
 * A planned dataset that knows its own per-channel statistics (a prepared dataset measures them while packing), so
 * normalisation needs no configuration.
 */
public interface NormalisationSource extends SourceIndex {

    /** Mean of each channel over the dataset, pixels scaled to [0, 1]. */
    double[] channelMean();

    /** Standard deviation of each channel over the dataset, pixels scaled to [0, 1]. */
    double[] channelStd();
}
