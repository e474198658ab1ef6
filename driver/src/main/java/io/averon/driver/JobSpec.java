package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Teacher;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

/**
 * A job made concrete: its network (and, for fine-tuning, the parameters it starts from), its planned training and
 * test data, how workers build minibatches, and the configuration it came from. The jobs module builds it from a job
 * config; the driver trains and evaluates it.
 *
 * @param initialParameters parameters to start from (a pretrained model's), or null for the definition's own
 *                          seeded initialisation
 * @param teacher           a frozen teacher network for knowledge distillation, or null
 */
public record JobSpec(String name, ModelDefinition model, float[] initialParameters, SourceIndex train,
                      SourceIndex test, PipelineSettings pipeline, Teacher teacher, JobConfig config) {

    /** Class names in label order. */
    public String[] classNames() {
        return train.shape().classNames().toArray(String[]::new);
    }
}
