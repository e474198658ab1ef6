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
 */
public record EpochSummary(int epoch, long steps, long examples, double seconds, double imagesPerSecond,
                           double trainLoss, double testAccuracy, double testLoss) {
}
