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
 * LAMB steps of the parameter server's update rule against the paper's rule in plain double arithmetic:
 * {@code m, v} as in Adam, {@code r = m^ / (sqrt(v^) + eps')}, per weight tensor {@code u = r + wd w},
 * {@code w -= lr ||w|| / ||u|| u}; biases and batch-norm gamma/beta {@code w -= lr r} without ratio or decay.
 * {@code eps' = eps / sqrt(1 - beta2^t)} is where DL4J's Adam puts epsilon (see {@link LambTrustRatio}).
 */
class LambStepTest {
    private static final double LR = 0.01;
    private static final double B1 = 0.9;
    private static final double B2 = 0.999;
    private static final double EPS = 1e-6;
    private static final double WD = 0.05;

    @Test
    void threeStepsMatchTheHandComputationPerTensor() {
        Setup s = new Setup(WD);
        double[] expected = TrustRatioNet.toDouble(s.initial);
        double[] m = new double[expected.length];
        double[] v = new double[expected.length];
        float[] params = s.initial.clone();
        List<Double> weightTrusts = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            int t = step + 1;
            float[] g = TrustRatioNet.gradient(s.tensors, params.length, 70 + step);
            double[] before = expected.clone();
            double epsHat = EPS / Math.sqrt(1 - Math.pow(B2, t));
            for (Tensor tensor : s.tensors) {
                if (tensor.kind() == Kind.STATISTIC) {
                    for (int i = tensor.from(); i < tensor.to(); i++) {
                        expected[i] -= g[i];
                    }
                    continue;
                }
                double[] u = new double[expected.length];
                for (int i = tensor.from(); i < tensor.to(); i++) {
                    m[i] = B1 * m[i] + (1 - B1) * g[i];
                    v[i] = B2 * v[i] + (1 - B2) * g[i] * g[i];
                    double r = (m[i] / (1 - Math.pow(B1, t))) / (Math.sqrt(v[i] / (1 - Math.pow(B2, t))) + epsHat);
                    u[i] = tensor.kind() == Kind.WEIGHT ? r + WD * before[i] : r;
                }
                double trust = 1;
                if (tensor.kind() == Kind.WEIGHT) {
                    trust = TrustRatioNet.norm(before, tensor.from(), tensor.to())
                            / TrustRatioNet.norm(u, tensor.from(), tensor.to());
                    weightTrusts.add(trust);
                }
                for (int i = tensor.from(); i < tensor.to(); i++) {
                    expected[i] -= LR * trust * u[i];
                }
            }
            s.rule.apply(params, g, 1, step);
            TrustRatioNet.assertSteps(s.tensors, before, expected, params, 1e-4);
        }
        assertEquals(6, weightTrusts.size());
        // Ratios well away from 1 (about 0.4 to 0.85 here): the check above would notice a missing trust ratio.
        assertTrue(weightTrusts.stream().allMatch(r -> r < 0.9), weightTrusts.toString());
    }

    @Test
    void exemptTensorsTakePlainAdamAndWeightDecayIsDecoupled() {
        Setup decayed = new Setup(WD);
        Setup plain = new Setup(0);
        float[] g = TrustRatioNet.gradient(decayed.tensors, decayed.initial.length, 5);
        float[] a = decayed.initial.clone();
        float[] b = plain.initial.clone();
        decayed.rule.apply(a, g, 1, 0);
        plain.rule.apply(b, g, 1, 0);
        for (Tensor t : decayed.tensors) {
            if (t.kind() == Kind.WEIGHT) {
                continue;
            }
            for (int i = t.from(); i < t.to(); i++) {
                // First Adam step, lr * g / (|g| + eps'), nearly lr * sign(g); the decay changes nothing.
                double step = t.kind() == Kind.STATISTIC ? 0 : LR * g[i] / (Math.abs(g[i]) + EPS / Math.sqrt(1 - B2));
                assertEquals(step, decayed.initial[i] - a[i], 1e-5 * LR, t.key());
                assertEquals(a[i], b[i], t.key());
            }
        }
        for (Tensor t : decayed.tensors) {
            if (t.kind() == Kind.WEIGHT) {
                // The step's norm is lr * ||w|| whatever the decay: LAMB's trust ratio fixes each tensor's step size.
                double w = TrustRatioNet.norm(TrustRatioNet.toDouble(decayed.initial), t.from(), t.to());
                double[] stepA = new double[a.length];
                double[] stepB = new double[b.length];
                for (int i = t.from(); i < t.to(); i++) {
                    stepA[i] = decayed.initial[i] - a[i];
                    stepB[i] = plain.initial[i] - b[i];
                }
                assertEquals(LR * w, TrustRatioNet.norm(stepA, t.from(), t.to()), 1e-5 * LR * w, t.key());
                assertEquals(LR * w, TrustRatioNet.norm(stepB, t.from(), t.to()), 1e-5 * LR * w, t.key());
                assertTrue(TrustRatioNet.norm(subtract(stepA, stepB), t.from(), t.to()) > 1e-3 * LR * w,
                        t.key() + ": decay changed the direction");
            }
        }
    }

    private static double[] subtract(double[] x, double[] y) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i] - y[i];
        }
        return d;
    }

    /** The network, its tensors and an update rule holding it. */
    private static final class Setup {
        final List<Tensor> tensors;
        final float[] initial;
        final Dl4jUpdateRule rule;

        Setup(double weightDecay) {
            MultiLayerConfiguration conf = TrustRatioNet.config(Optimizers.of("lamb", new FixedSchedule(LR), 0, B1,
                    B2, EPS), Optimizers.regularization("lamb", 0, 0, weightDecay));
            ModelDefinition definition = ModelDefinition.of(conf);
            MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(definition.json()));
            net.init();
            tensors = TrustRatioNet.tensors(net);
            initial = net.params().toFloatVector();
            rule = new Dl4jUpdateRule(definition, initial, null);
        }
    }
}
