package io.averon.worker.optimize;

import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.ModelDefinition;
import io.averon.worker.ModelReplica;
import io.averon.worker.loss.DistillationLoss;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The techniques run through the parameter server's update rule (mean gradient of a replica, then the network's own
 * DL4J updater applied by {@link Dl4jUpdateRule}) exactly as DL4J's single-JVM {@code fit} runs them.
 */
class UpdateRuleParityTest {
    private static final int STEPS = 8;
    private static final ISchedule WARM_COSINE = LearningRates.of("cosine", 0.05, ScheduleType.ITERATION, 10, 0, 0.005,
            3, 0.2);

    @Test
    void momentumWithWarmupCosineAndL2() {
        assertParity(Optimizers.of("momentum", WARM_COSINE, 0.9, 0, 0, 0),
                Optimizers.regularization("momentum", 0, 1e-3, 0), new LossMCXENT());
    }

    @Test
    void adamwWithDecoupledWeightDecay() {
        assertParity(Optimizers.of("adamw", WARM_COSINE, 0, 0.9, 0.999, 1e-8),
                Optimizers.regularization("adamw", 0, 0, 0.05), new LossMCXENT());
    }

    @Test
    void adagradWithScheduleAndDistillationLoss() {
        assertParity(Optimizers.of("adagrad", WARM_COSINE, 0, 0, 0, 1e-6), List.of(), new DistillationLoss(2.0, 0.7));
    }

    private static void assertParity(IUpdater updater, List<Regularization> regularization, ILossFunction loss) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(21)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(6).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder().lossFunction(loss).nIn(6).nOut(3).activation(Activation.SOFTMAX).build())
                .build();
        Optimizers.applyRegularization(conf, regularization, List.of());
        ModelDefinition definition = ModelDefinition.of(conf);
        boolean distillation = loss instanceof DistillationLoss;

        MultiLayerNetwork reference = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
        reference.init();
        float[] initial = reference.params().toFloatVector();

        ModelReplica replica = new ModelReplica(definition);
        Dl4jUpdateRule rule = new Dl4jUpdateRule(definition, initial, null);
        float[] params = initial.clone();
        float[] gradient = new float[params.length];
        for (int step = 0; step < STEPS; step++) {
            DataSet batch = batch(step, distillation);
            reference.fit(batch);
            replica.parameters(params);
            replica.gradient(batch, gradient);
            rule.apply(params, gradient, batch.numExamples(), step);
        }
        float[] expected = reference.params().toFloatVector();
        double maxDiff = 0;
        double moved = 0;
        for (int i = 0; i < params.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - params[i]));
            moved = Math.max(moved, Math.abs(initial[i] - params[i]));
        }
        assertTrue(maxDiff < 1e-5, "update rule differs from fit by " + maxDiff);
        assertTrue(moved > 1e-3, "training moved the parameters by " + moved);
    }

    private static DataSet batch(int step, boolean distillation) {
        SplittableRandom random = new SplittableRandom(100 + step);
        int n = 16;
        float[][] x = new float[n][5];
        float[][] hard = new float[n][3];
        float[][] teacher = new float[n][3];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 5; j++) {
                x[i][j] = (float) random.nextDouble(-1, 1);
            }
            int label = x[i][0] > 0.3 ? 0 : x[i][1] > 0 ? 1 : 2;
            hard[i][label] = 1;
            for (int c = 0; c < 3; c++) {
                teacher[i][c] = c == label ? 0.8f : 0.1f;
            }
        }
        INDArray labels = distillation
                ? DistillationLoss.distillationLabels(Nd4j.createFromArray(hard), Nd4j.createFromArray(teacher))
                : Nd4j.createFromArray(hard);
        return new DataSet(Nd4j.createFromArray(x), labels);
    }
}
