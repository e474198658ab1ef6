package io.averon.dl4j.spark;

import java.io.Serializable;

/**
 * What one worker's task did in a fit, returned to the driver for the network's score and the log.
 *
 * @param worker       the worker (partition) id
 * @param steps        minibatches it computed and sent
 * @param skipped      steps an earlier attempt of the stage had already taken
 * @param examples     examples in its minibatches
 * @param lossSum      sum of its minibatch losses
 * @param computeNanos time spent computing gradients
 * @param waitNanos    time spent waiting for the parameter server
 */
record StepReport(int worker, int steps, long skipped, long examples, double lossSum, long computeNanos,
                  long waitNanos) implements Serializable {
}
