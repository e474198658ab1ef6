package io.averon.jobs.models;

import io.averon.worker.ModelDefinition;

import io.averon.driver.config.JobConfig;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Turns a job's {@code model} block into a DL4J network configuration: the architecture by name, with the optimizer,
 * learning rate, seed and regularisation the job asks for.
 */
public final class ModelCatalog {
    private ModelCatalog() {
    }

    public static ModelDefinition build(JobConfig config, int channels, int height, int width, int classes) {
        String architecture = config.oneOf("model.architecture", "lenet");
        IUpdater updater = updater(config);
        long seed = config.longValue("model.seed");
        double l2 = config.number("model.l2");
        return switch (architecture) {
            case "lenet" -> ModelDefinition.of(LeNet.build(updater, seed, l2, channels, height, width, classes));
            default -> throw new IllegalStateException("unreachable: " + architecture);
        };
    }

    static IUpdater updater(JobConfig config) {
        double lr = config.number("model.learning-rate");
        if (!(lr > 0)) {
            throw new io.averon.worker.InputException("config key model.learning-rate must be positive, got " + lr);
        }
        return switch (config.oneOf("model.updater", "adam", "nesterov", "sgd")) {
            case "adam" -> new Adam(lr);
            case "nesterov" -> new Nesterovs(lr, config.number("model.momentum"));
            default -> new Sgd(lr);
        };
    }
}
