package io.averon.worker.optimize;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MomentumTest {

    @Test
    void threeStepsMatchHandComputedHeavyBall() {
        // lr = 0.1, mu = 0.9, v0 = 0, the step DL4J subtracts is lr * v.
        // g1 = [1, -2, 0.5]    v1 = g1                   = [1, -2, 0.5]        step = [0.1, -0.2, 0.05]
        // g2 = [0.5, 1, -1]    v2 = 0.9 v1 + g2          = [1.4, -0.8, -0.55]  step = [0.14, -0.08, -0.055]
        // g3 = [-1, 0, 2]      v3 = 0.9 v2 + g3          = [0.26, -0.72, 1.505] step = [0.026, -0.072, 0.1505]
        Momentum config = new Momentum(0.1, 0.9);
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 3);
        GradientUpdater<?> updater = config.instantiate(state, true);
        double[][] gradients = {{1, -2, 0.5}, {0.5, 1, -1}, {-1, 0, 2}};
        double[][] expectedSteps = {{0.1, -0.2, 0.05}, {0.14, -0.08, -0.055}, {0.026, -0.072, 0.1505}};
        double[][] expectedVelocity = {{1, -2, 0.5}, {1.4, -0.8, -0.55}, {0.26, -0.72, 1.505}};
        for (int i = 0; i < 3; i++) {
            INDArray g = Nd4j.createFromArray(new double[][]{gradients[i]});
            updater.applyUpdater(g, i, 0);
            assertArrayEquals(expectedSteps[i], g.toDoubleVector(), 1e-12, "step " + (i + 1));
            assertArrayEquals(expectedVelocity[i], state.toDoubleVector(), 1e-12, "velocity after step " + (i + 1));
        }
    }

    @Test
    void scheduledLearningRateScalesTheStepNotTheVelocity() {
        // lr halves every iteration: 0.2, 0.1, 0.05; mu = 0.5; g = 1 every step.
        // v = 1, 1.5, 1.75   steps = 0.2, 0.15, 0.0875
        Momentum config = new Momentum(new StepSchedule(ScheduleType.ITERATION, 0.2, 0.5, 1), 0.5);
        INDArray state = Nd4j.zeros(DataType.DOUBLE, 1, 1);
        GradientUpdater<?> updater = config.instantiate(state, true);
        double[] expected = {0.2, 0.15, 0.0875};
        for (int i = 0; i < 3; i++) {
            INDArray g = Nd4j.createFromArray(new double[][]{{1}});
            updater.applyUpdater(g, i, 0);
            assertEquals(expected[i], g.getDouble(0), 1e-12, "step " + (i + 1));
        }
    }

    @Test
    void stateMapInstantiationSharesTheArray() {
        INDArray v = Nd4j.createFromArray(new double[]{1, 2});
        Map<String, INDArray> state = new HashMap<>();
        state.put(Momentum.VELOCITY, v);
        GradientUpdater<?> updater = new Momentum(1.0, 0.5).instantiate(state, false);
        INDArray g = Nd4j.createFromArray(new double[]{1, 1});
        updater.applyUpdater(g, 0, 0);
        assertArrayEquals(new double[]{1.5, 2}, v.toDoubleVector(), 1e-12);
        assertArrayEquals(new double[]{1.5, 2}, g.toDoubleVector(), 1e-12);
        assertEquals(v, updater.getState().get(Momentum.VELOCITY));
    }

    @Test
    void oneLayerNetMovesAsHandComputed() {
        // Output layer y = w.x + b, identity activation, MSE (DL4J: sum (y - t)^2 / nOut, gradient 2 (y - t)),
        // zero initial parameters, x = [1, 2], t = 3, lr = 0.01, mu = 0.9, batch of one.
        // step 1: y = 0, dL/dy = -6, g = [-6, -12 | -6], v = g, params = -0.01 v = [0.06, 0.12 | 0.06]
        // step 2: y = 0.06 + 0.24 + 0.06 = 0.36, dL/dy = -5.28, g = [-5.28, -10.56 | -5.28],
        //         v = 0.9 [-6, -12 | -6] + g = [-10.68, -21.36 | -10.68], params = [0.1668, 0.3336 | 0.1668]
        MultiLayerNetwork net = new MultiLayerNetwork(linearConfig(new Momentum(0.01, 0.9)));
        net.init();
        DataSet one = new DataSet(Nd4j.createFromArray(new float[][]{{1, 2}}), Nd4j.createFromArray(new float[][]{{3}}));
        net.fit(one);
        assertArrayEquals(new double[]{0.06, 0.12}, net.getParam("0_W").toDoubleVector(), 1e-6);
        assertEquals(0.06, net.getParam("0_b").getDouble(0), 1e-6);
        net.fit(one);
        assertArrayEquals(new double[]{0.1668, 0.3336}, net.getParam("0_W").toDoubleVector(), 1e-6);
        assertEquals(0.1668, net.getParam("0_b").getDouble(0), 1e-6);
        assertArrayEquals(new double[]{-10.68, -21.36, -10.68}, net.getUpdater().getStateViewArray().toDoubleVector(),
                1e-4, "velocity (W then b)");
    }

    @Test
    void configurationRoundTripsThroughDl4jJson() {
        Momentum fixed = new Momentum(0.05, 0.9);
        Momentum scheduled = new Momentum(new WarmupSchedule(
                new CosineSchedule(ScheduleType.ITERATION, 0.1, 0.001, 100), 10, 0.1, false), 0.8);
        for (Momentum m : new Momentum[]{fixed, scheduled}) {
            MultiLayerConfiguration conf = linearConfig(m);
            MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
            assertEquals(conf, back);
            IUpdater read = ((OutputLayer) back.getConf(0).getLayer()).getIUpdater();
            assertEquals(m, read);
            assertEquals(m.getLearningRate(37, 2), read.getLearningRate(37, 2), 0.0);
            MultiLayerNetwork net = new MultiLayerNetwork(back);
            net.init();
            net.fit(new DataSet(Nd4j.createFromArray(new float[][]{{1, 2}}), Nd4j.createFromArray(new float[][]{{3}})));
        }
        assertNotEquals(fixed, scheduled);
        assertEquals(fixed, fixed.clone());
        assertEquals(scheduled, scheduled.clone());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new Momentum(0.1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new Momentum(0.1, -0.1));
        assertThrows(IllegalArgumentException.class, () -> new Momentum(0.0, 0.9));
        assertThrows(NullPointerException.class, () -> new Momentum(null, 0.9));
    }

    static MultiLayerConfiguration linearConfig(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(1)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .weightInit(WeightInit.ZERO)
                .list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                        .nIn(2).nOut(1).activation(Activation.IDENTITY).build())
                .build();
    }
}
