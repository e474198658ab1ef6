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
 * @param classBalanced  draw each epoch's examples class-balanced (with replacement) instead of a plain shuffle
 * @param labelSmoothing epsilon of label smoothing: class labels become (1 - eps) one-hot + eps / classes
 */
public record PipelineSettings(AugmentSpec augment, BadImagePolicy badImages, int threads, int prefetch,
                               boolean classBalanced, double labelSmoothing) implements Serializable {

    public PipelineSettings {
        if (threads <= 0) {
            throw new IllegalArgumentException("pipeline threads must be positive, was " + threads);
        }
        if (prefetch <= 0) {
            throw new IllegalArgumentException("prefetched batches must be positive, was " + prefetch);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), was " + labelSmoothing);
        }
    }

    /** Plain settings: no augmentation beyond scaling to [0, 1], skip bad images, one thread, 4 batches ahead. */
    public static PipelineSettings plain(DataShape shape) {
        return new PipelineSettings(AugmentSpec.builder(shape.channels(), shape.height(), shape.width()).build(),
                BadImagePolicy.SKIP, 1, 4, false, 0);
    }

    /** The settings evaluation reads with: no random augmentation, hard labels, the same bad-image policy. */
    public PipelineSettings forEvaluation() {
        return new PipelineSettings(augment.forEvaluation(), badImages, threads, prefetch, false, 0);
    }
}
