package io.averon.worker.optimize;

import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.ModelDefinition;
import io.averon.worker.optimize.TrustRatioNet.Kind;
import io.averon.worker.optimize.TrustRatioNet.Tensor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.schedule.FixedSchedule;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LARS steps of the parameter server's update rule against the paper's rule in plain double arithmetic:
 * per weight tensor {@code local = eta ||w|| / (||g|| + wd ||w|| + eps)}, {@code v = mu v + local (g + wd w)},
 * {@code w -= lr v}; biases and batch-norm gamma/beta {@code v = mu v + g} with neither ratio nor decay.
 */
class LarsStepTest {
    private static final double LR = 0.5;
    private static final double ETA = 0.02;
    private static final double MU = 0.9;
    private static final double WD = 0.01;
    private static final double EPS = 1e-8;

    @Test
    void threeStepsMatchTheHandComputationPerTensor() {
        Setup s = new Setup();
        double[] expected = TrustRatioNet.toDouble(s.initial);
        double[] velocity = new double[expected.length];
        float[] params = s.initial.clone();
        List<Double> weightTrusts = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            float[] g = TrustRatioNet.gradient(s.tensors, params.length, 40 + step);
            double[] before = expected.clone();
            for (Tensor t : s.tensors) {
                double trust = 1;
                double decay = 0;
                if (t.kind() == Kind.WEIGHT) {
                    double w = TrustRatioNet.norm(before, t.from(), t.to());
                    double gn = TrustRatioNet.norm(TrustRatioNet.toDouble(g), t.from(), t.to());
                    trust = ETA * w / (gn + WD * w + EPS);
                    decay = WD;
                    weightTrusts.add(trust);
                }
                for (int i = t.from(); i < t.to(); i++) {
                    if (t.kind() == Kind.STATISTIC) {
                        expected[i] -= g[i];
                        continue;
                    }
                    velocity[i] = MU * velocity[i] + trust * (g[i] + decay * before[i]);
                    expected[i] -= LR * velocity[i];
                }
            }
            s.rule.apply(params, g, 1, step);
            TrustRatioNet.assertSteps(s.tensors, before, expected, params, 1e-4);
            if (step == 0) {
                // Exempt tensors: the first step is exactly lr * g (no ratio, no decay), to float precision.
                for (Tensor t : s.tensors) {
                    if (t.kind() == Kind.EXEMPT) {
                        for (int i = t.from(); i < t.to(); i++) {
                            assertEquals(LR * g[i], s.initial[i] - params[i], 1e-6, t.key());
                        }
                    }
                }
            }
        }
        // Two weight tensors per step, with ratios far from 1 and from each other: the adaptation is per tensor.
        assertEquals(6, weightTrusts.size());
        assertTrue(Math.abs(weightTrusts.get(0) / weightTrusts.get(1) - 1) > 0.5, weightTrusts.toString());
        assertTrue(weightTrusts.stream().allMatch(r -> r < 0.5), weightTrusts.toString());
    }

    @Test
    void aZeroGradientLeavesThePlainDecayStep() {
        Setup s = new Setup();
        float[] params = s.initial.clone();
        s.rule.apply(params, new float[params.length], 1, 0);
        for (Tensor t : s.tensors) {
            for (int i = t.from(); i < t.to(); i++) {
                // ||g|| = 0 makes the trust ratio 1, so weights move by lr * wd * w and nothing else moves.
                double step = t.kind() == Kind.WEIGHT ? LR * WD * s.initial[i] : 0;
                assertEquals(step, s.initial[i] - params[i], 1e-7, t.key());
            }
        }
    }

    /** The network, its tensors and an update rule holding it. */
    private static final class Setup {
        final List<Tensor> tensors;
        final float[] initial;
        final Dl4jUpdateRule rule;

        Setup() {
            MultiLayerConfiguration conf = TrustRatioNet.config(Optimizers.of("lars", new FixedSchedule(LR), MU, 0, 0,
                    0), Optimizers.regularization("lars", 0, 0, WD, ETA, EPS));
            ModelDefinition definition = ModelDefinition.of(conf);
            MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
            net.init();
            tensors = TrustRatioNet.tensors(net);
            initial = net.params().toFloatVector();
            rule = new Dl4jUpdateRule(definition, initial, null);
        }
    }
}
