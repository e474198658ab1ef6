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
 * @param optimizer         the optimizer as the run applies it, for the run header: its name, the effective learning
 *                          rate and how it follows from the configured one, the warm-up, the global batch
 */
public record JobSpec(String name, ModelDefinition model, float[] initialParameters, SourceIndex train,
                      SourceIndex test, PipelineSettings pipeline, Teacher teacher, JobConfig config,
                      String optimizer) {

    /** Class names in label order. */
    public String[] classNames() {
        return train.shape().classNames().toArray(String[]::new);
    }
}
