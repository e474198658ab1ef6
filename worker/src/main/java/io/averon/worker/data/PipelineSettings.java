package io.averon.worker.data;

import io.averon.worker.augment.AugmentSpec;

import java.io.Serializable;

/**
 * How a worker turns its examples into minibatches: the preprocessing and augmentation to apply, what to do with bad
 * images, how many prefetch threads and batches in flight, and whether epochs sample classes evenly.
 *
 * @param augment       preprocessing and augmentation for training (evaluation uses its non-random form)
 * @param badImages     skip or fail on an undecodable image
 * @param threads       prefetch threads per worker
 * @param prefetch      batches assembled ahead of the training loop
 * @param classBalanced draw each epoch's examples class-balanced (with replacement) instead of a plain shuffle
 */
public record PipelineSettings(AugmentSpec augment, BadImagePolicy badImages, int threads, int prefetch,
                               boolean classBalanced) implements Serializable {

    public PipelineSettings {
        if (threads <= 0) {
            throw new IllegalArgumentException("pipeline threads must be positive, was " + threads);
        }
        if (prefetch <= 0) {
            throw new IllegalArgumentException("prefetched batches must be positive, was " + prefetch);
        }
    }

    /** Plain settings: no augmentation beyond scaling to [0, 1], skip bad images, one thread, 4 batches ahead. */
    public static PipelineSettings plain(DataShape shape) {
        return new PipelineSettings(AugmentSpec.builder(shape.channels(), shape.height(), shape.width()).build(),
                BadImagePolicy.SKIP, 1, 4, false);
    }
}
