package io.averon.worker;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Evaluates a network with given parameters on one shard of a test set (every {@code shards}-th example starting at
 * {@code shard}), on the executor that holds the data, and returns the shard's confusion matrix for the driver to
 * merge.
 */
public final class ShardEvaluator {
    private final MultiLayerConfiguration configuration;
    private final int batchSize;

    public ShardEvaluator(MultiLayerConfiguration configuration, int batchSize) {
        this.configuration = configuration;
        this.batchSize = batchSize;
    }

    public ConfusionMatrix evaluate(float[] parameters, Examples examples, int shard, int shards) {
        ModelReplica replica = new ModelReplica(configuration);
        replica.parameters(parameters);
        int n = (examples.size() - shard + shards - 1) / shards;
        int[] order = new int[Math.max(0, n)];
        for (int i = 0; i < order.length; i++) {
            order[i] = shard + i * shards;
        }
        ConfusionMatrix matrix = new ConfusionMatrix(examples.numClasses());
        for (int from = 0; from < order.length; from += batchSize) {
            int to = Math.min(order.length, from + batchSize);
            DataSet batch = examples.batch(order, from, to);
            INDArray output = replica.network().output(batch.getFeatures(), false);
            INDArray predicted = output.argMax(1);
            double nll = 0;
            for (int i = 0; i < to - from; i++) {
                int label = examples.label(order[from + i]);
                matrix.add(label, predicted.getInt(i));
                // Cross-entropy from the softmax output already computed, instead of a second forward pass.
                nll -= Math.log(Math.max(output.getDouble(i, label), 1e-12));
            }
            matrix.addLoss(nll / (to - from), to - from);
        }
        return matrix;
    }
}
