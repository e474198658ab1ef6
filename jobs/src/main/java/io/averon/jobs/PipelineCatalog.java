package io.averon.jobs;

import io.averon.driver.config.JobConfig;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

/**
 * Turns a job's {@code augment}, {@code pipeline} and {@code train.sampling} keys into the settings workers build
 * minibatches with.
 */
public final class PipelineCatalog {
    private PipelineCatalog() {
    }

    public static PipelineSettings settings(JobConfig config, SourceIndex train) {
        DataShape shape = train.shape();
        AugmentSpec spec = AugmentSpec.builder().channels(shape.channels()).height(shape.height())
                .width(shape.width()).build();
        boolean balanced = config.oneOf("train.sampling", "shuffle", "class-balanced").equals("class-balanced");
        if (balanced && shape.segmentation()) {
            throw new io.averon.worker.InputException("train.sampling = class-balanced needs image labels; "
                    + train.name() + " is a segmentation dataset");
        }
        return new PipelineSettings(spec, DatasetCatalog.badImagePolicy(config), config.positive("pipeline.threads"),
                config.positive("pipeline.prefetch"), balanced);
    }
}
