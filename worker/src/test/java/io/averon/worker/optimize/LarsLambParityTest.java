package io.averon.worker.optimize;

import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.ModelDefinition;
import io.averon.worker.ModelReplica;
import io.averon.worker.Network;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LARS and LAMB are one implementation for both paths: the parameter server's update rule (a replica's mean gradient,
 * then {@link Dl4jUpdateRule}) gives bit for bit the parameters of a single-JVM DL4J {@code fit} on the same batches;
 * a rule rebuilt from a saved updater state, and a network saved to and restored from a model zip, continue bit for
 * bit; and the configuration reads back from DL4J's JSON.
 */
class LarsLambParityTest {
    private static final int STEPS = 6;
    private static final ISchedule WARM_COSINE = LearningRates.of("cosine", 0.4, ScheduleType.ITERATION, 10, 0, 0.04,
            3, 0.2);

    @Test
    void larsUpdateRuleEqualsFitBitForBit() {
        assertParity(lars());
    }

    @Test
    void lambUpdateRuleEqualsFitBitForBit() {
        assertParity(lamb());
    }

    @Test
    void larsRuleRebuiltFromItsUpdaterStateContinuesBitForBit() {
        assertResume(lars());
    }

    @Test
    void lambRuleRebuiltFromItsUpdaterStateContinuesBitForBit() {
        assertResume(lamb());
    }

    @Test
    void larsSurvivesJsonAndModelZip() throws IOException {
        assertRoundTrip(lars(), new LarsTrustRatio(0.02, 5e-3, 1e-8));
    }

    @Test
    void lambSurvivesJsonAndModelZip() throws IOException {
        assertRoundTrip(lamb(), new LambTrustRatio(0.05));
    }

    private static MultiLayerConfiguration lars() {
        return TrustRatioNet.config(Optimizers.of("lars", WARM_COSINE, 0.9, 0, 0, 0),
                Optimizers.regularization("lars", 0, 1e-4, 5e-3, 0.02, 1e-8));
    }

    private static MultiLayerConfiguration lamb() {
        IUpdater adam = Optimizers.of("lamb", LearningRates.of("fixed", 0.01, ScheduleType.ITERATION, 1, 1, 0, 2,
                0.5), 0, 0.9, 0.999, 1e-6);
        return TrustRatioNet.config(adam, Optimizers.regularization("lamb", 0, 0, 0.05));
    }

    private static void assertParity(MultiLayerConfiguration conf) {
        ModelDefinition definition = ModelDefinition.of(conf);
        MultiLayerNetwork reference = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
        reference.init();
        float[] initial = reference.params().toFloatVector();
        ModelReplica replica = new ModelReplica(definition);
        Dl4jUpdateRule rule = new Dl4jUpdateRule(definition, initial, null);
        float[] params = initial.clone();
        float[] gradient = new float[params.length];
        for (int step = 0; step < STEPS; step++) {
            DataSet batch = TrustRatioNet.batch(200 + step);
            reference.fit(batch);
            replica.parameters(params);
            replica.gradient(batch, gradient);
            rule.apply(params, gradient, batch.numExamples(), step);
            assertArrayEquals(reference.params().toFloatVector(), params, "step " + step);
        }
        assertArrayEquals(reference.getUpdater().getStateViewArray().toFloatVector(), rule.updaterState());
        assertTrue(maxAbsDiff(initial, params) > 1e-3, "training moved the parameters");
    }

    private static void assertResume(MultiLayerConfiguration conf) {
        ModelDefinition definition = ModelDefinition.of(conf);
        MultiLayerNetwork init = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
        init.init();
        float[] params = init.params().toFloatVector();
        List<TrustRatioNet.Tensor> tensors = TrustRatioNet.tensors(init);
        Dl4jUpdateRule uninterrupted = new Dl4jUpdateRule(definition, params, null);
        for (int step = 0; step < 3; step++) {
            uninterrupted.apply(params, TrustRatioNet.gradient(tensors, params.length, 300 + step), 1, step);
        }
        float[] savedParams = params.clone();
        float[] savedState = uninterrupted.updaterState();
        assertTrue(maxAbsDiff(savedState, new float[savedState.length]) > 0, "the updater has state to save");
        Dl4jUpdateRule resumed = new Dl4jUpdateRule(definition, savedParams, savedState);
        float[] resumedParams = savedParams.clone();
        for (int step = 3; step < 6; step++) {
            float[] g = TrustRatioNet.gradient(tensors, params.length, 300 + step);
            uninterrupted.apply(params, g, 1, step);
            resumed.apply(resumedParams, g, 1, step);
            assertArrayEquals(params, resumedParams, "step " + step);
        }
        assertArrayEquals(uninterrupted.updaterState(), resumed.updaterState());
    }

    private static void assertRoundTrip(MultiLayerConfiguration conf, Regularization expected) throws IOException {
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(conf, back);
        BaseLayer dense = (BaseLayer) back.getConf(0).getLayer();
        assertEquals(expected, dense.getRegularization().get(dense.getRegularization().size() - 1));
        assertEquals(List.of(), dense.getRegularizationBias());
        assertNull(((BatchNormalization) back.getConf(1).getLayer()).getRegularizationByParam("gamma"),
                "DL4J gives batch-norm parameters no regularization, hence no trust ratio");

        Network trained = ModelDefinition.of(conf).instantiate();
        for (int step = 0; step < 3; step++) {
            trained.fit(TrustRatioNet.batch(400 + step));
        }
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        trained.save(zip);
        Network restored = Network.restore(zip.toByteArray());
        BaseLayer restoredDense = (BaseLayer) ((MultiLayerNetwork) restored.model()).getLayerWiseConfigurations()
                .getConf(0).getLayer();
        assertEquals(dense.getRegularization(), restoredDense.getRegularization());
        assertEquals(dense.getIUpdater(), restoredDense.getIUpdater());
        for (int step = 3; step < 6; step++) {
            DataSet batch = TrustRatioNet.batch(400 + step);
            trained.fit(batch);
            restored.fit(batch);
            assertArrayEquals(trained.parameters().toFloatVector(), restored.parameters().toFloatVector(),
                    "step " + step);
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
