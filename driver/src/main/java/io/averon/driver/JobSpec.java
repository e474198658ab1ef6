package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.ExampleSource;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

/**
 * A job made concrete: its network, its training and test data, the names of its classes and the configuration it
 * came from. The jobs module builds it from a job config; the driver trains and evaluates it.
 */
public record JobSpec(String name, MultiLayerConfiguration model, ExampleSource train, ExampleSource test,
                      String[] classNames, JobConfig config) {
}
