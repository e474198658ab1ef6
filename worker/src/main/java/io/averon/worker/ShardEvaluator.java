package io.averon.worker;

import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;

/**
 * Evaluates a network with given parameters on one shard of a test set (every {@code shards}-th example starting at
 * {@code shard}), on the executor that holds the data, and returns the shard's confusion matrix for the driver to
 * merge. Images get the evaluation form of the job's preprocessing (no random augmentation); bad images are skipped.
 * For segmentation the matrix counts pixels, with ignored pixels left out.
 */
public final class ShardEvaluator {
    private final ModelDefinition model;
    private final PipelineSettings pipeline;
    private final int batchSize;

    /**
     * @param pipeline the job's input pipeline; its random parts are not applied here
     */
    public ShardEvaluator(ModelDefinition model, PipelineSettings pipeline, int batchSize) {
        this.model = model;
        this.pipeline = pipeline.forEvaluation();
        this.batchSize = batchSize;
    }

    public ConfusionMatrix evaluate(float[] parameters, SourceIndex data, int shard, int shards) throws IOException {
        ModelReplica replica = new ModelReplica(model);
        replica.parameters(parameters);
        int n = Math.max(0, (data.size() - shard + shards - 1) / shards);
        int[] order = new int[n];
        for (int i = 0; i < order.length; i++) {
            order[i] = shard + i * shards;
        }
        int classes = data.shape().classes();
        ConfusionMatrix matrix = new ConfusionMatrix(classes);
        try (ExampleReader reader = data.open();
             BatchPipeline batches = new BatchPipeline(data, reader, pipeline, order, batchSize, 0, 0, 0)) {
            while (batches.hasNext()) {
                BatchPipeline.Batch batch = batches.next();
                if (batch.size() == 0) {
                    continue;
                }
                var ds = batch.toDataSet();
                INDArray output = replica.network().output(ds.getFeatures());
                INDArray labels = ds.getLabels();
                if (data.shape().segmentation()) {
                    addPixels(matrix, output, labels);
                } else {
                    addImages(matrix, output, labels);
                }
            }
        }
        return matrix;
    }

    private static void addImages(ConfusionMatrix matrix, INDArray output, INDArray labels) {
        int n = (int) output.size(0);
        INDArray predicted = output.argMax(1);
        INDArray actual = labels.argMax(1);
        double nll = 0;
        int[] labelIds = new int[n];
        for (int i = 0; i < n; i++) {
            int label = actual.getInt(i);
            labelIds[i] = label;
            matrix.add(label, predicted.getInt(i));
            // Cross-entropy from the softmax output already computed, instead of a second forward pass.
            nll -= Math.log(Math.max(output.getDouble(i, label), 1e-12));
        }
        matrix.addLoss(nll / n, n);
        matrix.addScores(output, labelIds);
    }

    private static void addPixels(ConfusionMatrix matrix, INDArray output, INDArray labels) {
        // [n, classes, h, w]: the class axis is 1; a pixel whose one-hot label is all zero is ignored.
        int[] predicted = output.argMax(1).ravel().toIntVector();
        int[] actual = labels.argMax(1).ravel().toIntVector();
        float[] labelled = labels.sum(1).ravel().toFloatVector();
        float[] probabilities = output.ravel().toFloatVector();
        int classes = (int) output.size(1);
        int pixels = (int) (output.size(2) * output.size(3));
        double nll = 0;
        int counted = 0;
        for (int p = 0; p < predicted.length; p++) {
            if (labelled[p] == 0) {
                continue;
            }
            int example = p / pixels;
            int label = actual[p];
            matrix.add(label, predicted[p]);
            nll -= Math.log(Math.max(probabilities[(example * classes + label) * pixels + p % pixels], 1e-12f));
            counted++;
        }
        if (counted > 0) {
            matrix.addLoss(nll / counted, counted);
        }
    }
}
