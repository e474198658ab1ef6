package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.ModelDefinition;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

/**
 * A job made concrete: its network, its planned training and test data, how workers build minibatches, and the
 * configuration it came from. The jobs module builds it from a job config; the driver trains and evaluates it.
 */
public record JobSpec(String name, ModelDefinition model, SourceIndex train, SourceIndex test,
                      PipelineSettings pipeline, JobConfig config) {

    /** Class names in label order. */
    public String[] classNames() {
        return train.shape().classNames().toArray(String[]::new);
    }
}
