package io.averon.jobs.models;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Network;
import io.averon.worker.data.DataShape;
import io.averon.worker.optimize.LambTrustRatio;
import io.averon.worker.optimize.LarsTrustRatio;
import io.averon.worker.optimize.Momentum;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code model.updater = lars | lamb} puts the trust-ratio step on every weight tensor, and nowhere else. */
class LayerWiseOptimizerConfigTest {
    private static final DataShape MNIST = new DataShape(1, 28, 28,
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), false);

    @Test
    void larsOnLenetGetsMomentumAndTheTrustRatioOnWeightsOnly() {
        ModelDefinition model = ModelCatalog.build(config("model.updater=lars", "model.trust-coefficient=0.01",
                "model.weight-decay=1e-4", "model.l2=1e-5", "model.momentum=0.8"), MNIST, 1, null, false);
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(model.json());
        int withWeights = 0;
        for (NeuralNetConfiguration layerConf : conf.getConfs()) {
            if (layerConf.getLayer() instanceof BaseLayer layer && layer.initializer().numParams(layerConf) > 0) {
                withWeights++;
                assertEquals(List.of(new L2Regularization(1e-5), new LarsTrustRatio(0.01, 1e-4, 1e-8)),
                        layer.getRegularization());
                assertEquals(List.of(), layer.getRegularizationBias());
                assertEquals(0.8, assertInstanceOf(Momentum.class, layer.getIUpdater()).getMomentum());
            }
        }
        assertEquals(4, withWeights);
    }

    @Test
    void lambOnABatchNormResNetReplacesTheArchitecturesDecay() {
        ModelDefinition model = ModelCatalog.build(config("model.architecture=resnet18-small", "model.width=0.25",
                "model.updater=lamb", "model.weight-decay=0.01"), MNIST, 1, null, false);
        ComputationGraphConfiguration conf = ComputationGraphConfiguration.fromJson(model.json());
        int convolutions = 0;
        int batchNorms = 0;
        for (GraphVertex vertex : conf.getVertices().values()) {
            if (!(vertex instanceof LayerVertex layerVertex)) {
                continue;
            }
            if (layerVertex.getLayerConf().getLayer() instanceof BatchNormalization bn) {
                batchNorms++;
                assertNull(bn.getRegularizationByParam("gamma"));
                assertNull(bn.getRegularizationByParam("beta"));
            } else if (layerVertex.getLayerConf().getLayer() instanceof ConvolutionLayer conv) {
                convolutions++;
                List<Regularization> weights = conv.getRegularizationByParam("W");
                assertEquals(List.of(new LambTrustRatio(0.01)), weights);
                assertTrue(weights.stream().noneMatch(r -> r instanceof WeightDecay));
                assertInstanceOf(Adam.class, conv.getIUpdater());
            }
        }
        assertTrue(convolutions > 5 && batchNorms > 5, convolutions + " convolutions, " + batchNorms + " batch norms");
    }

    @Test
    void fineTuningWithLarsShipsTheTrustRatioAndLeavesFrozenLayersAlone() {
        Network pretrained = ModelCatalog.build(config(), MNIST, 1, null, false).instantiate();
        Network tuned = ModelCatalog.fineTuned(config("model.updater=lars", "model.freeze=2"), pretrained, MNIST, 1);
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(tuned.definition().json());
        assertInstanceOf(FrozenLayer.class, conf.getConf(0).getLayer());
        BaseLayer dense = (BaseLayer) conf.getConf(4).getLayer();
        assertEquals(List.of(new LarsTrustRatio(0.001, 0, 1e-8)), dense.getRegularization());
        assertEquals(List.of(), dense.getRegularizationBias());
    }

    @Test
    void otherOptimizersKeepTheArchitecturesRegularization() {
        assertNull(ModelCatalog.layerWiseRegularization(config("model.updater=adamw", "model.weight-decay=0.01")));
    }

    @Test
    void badValuesNameTheirKey() {
        InputException trust = assertThrows(InputException.class, () -> ModelCatalog.build(
                config("model.updater=lars", "model.trust-coefficient=0"), MNIST, 1, null, false));
        assertTrue(trust.getMessage().contains("model.trust-coefficient"), trust.getMessage());
        InputException decay = assertThrows(InputException.class, () -> ModelCatalog.build(
                config("model.updater=lamb", "model.weight-decay=-1"), MNIST, 1, null, false));
        assertTrue(decay.getMessage().contains("model.weight-decay"), decay.getMessage());
        InputException epsilon = assertThrows(InputException.class, () -> ModelCatalog.build(
                config("model.updater=lars", "model.epsilon=0"), MNIST, 1, null, false));
        assertTrue(epsilon.getMessage().contains("model.epsilon"), epsilon.getMessage());
    }

    private static JobConfig config(String... overrides) {
        return JobConfig.load("", "test", List.of(overrides));
    }
}
