package io.averon.driver;

/**
 * What one epoch achieved: training throughput and loss, and the test-set result.
 *
 * @param epoch          1-based epoch number
 * @param steps          synchronous steps the parameter server applied in this epoch
 * @param examples       training examples consumed
 * @param seconds        wall time of the training stage
 * @param imagesPerSecond examples / seconds
 * @param trainLoss      mean minibatch loss reported by the workers
 * @param testAccuracy   top-1 accuracy on the test set
 * @param testLoss       mean cross-entropy on the test set
 * @param trainAccuracy  top-1 accuracy (pixel accuracy for segmentation) on the first
 *                       {@code train.train-accuracy-examples} training examples after the epoch; NaN if not measured
 */
public record EpochSummary(int epoch, long steps, long examples, double seconds, double imagesPerSecond,
                           double trainLoss, double testAccuracy, double testLoss, double trainAccuracy) {
}
