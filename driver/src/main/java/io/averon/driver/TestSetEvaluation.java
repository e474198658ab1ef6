package io.averon.driver;

import io.averon.worker.ConfusionMatrix;
import io.averon.worker.GpuDevice;
import io.averon.worker.ModelDefinition;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.ShardEvaluator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Evaluates parameters on a test set as a Spark job: the parameters are broadcast, each task reads the test set on
 * its executor and evaluates every n-th example, and the driver merges the confusion matrices.
 */
public final class TestSetEvaluation {
    private final JavaSparkContext sc;
    private final int shards;
    private final int batchSize;

    public TestSetEvaluation(JavaSparkContext sc, int shards, int batchSize) {
        this.sc = sc;
        this.shards = shards;
        this.batchSize = batchSize;
    }

    public ConfusionMatrix evaluate(ModelDefinition model, float[] parameters, SourceIndex test,
                                    PipelineSettings pipeline) {
        Broadcast<float[]> shared = sc.broadcast(parameters);
        try {
            List<Integer> ids = IntStream.range(0, shards).boxed().collect(Collectors.toList());
            List<ConfusionMatrix> parts = sc.parallelize(ids, shards)
                    .map(new ShardTask(model, test, pipeline, shared, shards, batchSize))
                    .collect();
            ConfusionMatrix total = parts.get(0);
            for (int i = 1; i < parts.size(); i++) {
                total.merge(parts.get(i));
            }
            return total;
        } finally {
            shared.destroy();
        }
    }

    private static final class ShardTask implements Function<Integer, ConfusionMatrix> {
        private static final long serialVersionUID = 1L;
        private final ModelDefinition model;
        private final SourceIndex test;
        private final PipelineSettings pipeline;
        private final Broadcast<float[]> parameters;
        private final int shards;
        private final int batchSize;

        ShardTask(ModelDefinition model, SourceIndex test, PipelineSettings pipeline, Broadcast<float[]> parameters,
                  int shards, int batchSize) {
            this.model = model;
            this.test = test;
            this.pipeline = pipeline;
            this.parameters = parameters;
            this.shards = shards;
            this.batchSize = batchSize;
        }

        @Override
        public ConfusionMatrix call(Integer shard) {
            try {
                // Evaluation tasks hold a GPU of their own too when the application asks for GPUs per task.
                GpuDevice.bindCurrentThread(TaskGpus.current());
                return new ShardEvaluator(model, pipeline, batchSize)
                        .evaluate(parameters.value(), test, shard, shards);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read test set " + test.name(), e);
            }
        }
    }
}
