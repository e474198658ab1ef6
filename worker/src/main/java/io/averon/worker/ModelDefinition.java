package io.averon.worker;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import java.io.Serializable;

/**
 * A network's DL4J configuration as it travels to executors and into checkpoints: its JSON and whether it is a
 * layer stack ({@code MultiLayerNetwork}) or a graph ({@code ComputationGraph}). Small and serializable; every party
 * instantiates its own {@link Network} from it.
 *
 * @param json  the configuration's JSON (DL4J's own format)
 * @param graph true for a ComputationGraph configuration, false for a MultiLayerConfiguration
 */
public record ModelDefinition(String json, boolean graph) implements Serializable {

    public static ModelDefinition of(MultiLayerConfiguration configuration) {
        return new ModelDefinition(configuration.toJson(), false);
    }

    public static ModelDefinition of(ComputationGraphConfiguration configuration) {
        return new ModelDefinition(configuration.toJson(), true);
    }

    /** A new, initialised network of this definition (parameters from its seed). */
    public Network instantiate() {
        return Network.create(this);
    }
}
