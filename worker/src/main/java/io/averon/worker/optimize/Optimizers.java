package io.averon.worker.optimize;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.L1Regularization;
import org.nd4j.linalg.learning.regularization.L2Regularization;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.nd4j.linalg.schedule.ISchedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Maps the optimizer a training job names onto DL4J updater configurations and regularization lists, so that the
 * parameter server, which applies the network's own DL4J updater, runs it data-parallel unchanged.
 *
 * <p>AdamW: DL4J has no AdamW updater, but AdamW is Adam plus weight decay applied outside the adaptive step
 * (Loshchilov and Hutter, "Decoupled Weight Decay Regularization"). DL4J's {@link WeightDecay} regularization with
 * {@code applyLR = true} does exactly that: it runs after the updater and adds {@code lr * wd * param} to the update,
 * so the step is {@code param -= adamStep + lr * wd * param}, PyTorch's {@code AdamW} rule. Hence
 * {@code of("adamw", ...)} returns a plain {@link Adam} and {@code regularization("adamw", l1, l2, wd)} returns the
 * {@link WeightDecay}; both are needed.
 *
 * <p>Where to put the list: NOT on the global {@code NeuralNetConfiguration.Builder.regularization(...)} (nor DL4J's
 * own global {@code weightDecay(...)}): in DL4J 1.0.0-M2.1 the global list is copied into each layer and then merged
 * into it again by {@code LayerValidation}, which de-duplicates L1 and L2 but not {@code WeightDecay}, so every layer
 * ends up with the weight decay twice and decays at twice the rate. Set it per layer
 * ({@code Layer.Builder.regularization(...)}) or, simplest, call {@link #applyRegularization} on the built
 * configuration.
 *
 * <p>For every other optimizer {@code weightDecay} follows PyTorch's {@code weight_decay}: it is coupled L2, i.e.
 * {@code wd * param} added to the gradient before the updater, which is DL4J's {@link L2Regularization}. For plain SGD
 * the two forms coincide; for adaptive methods they do not, which is why AdamW exists.
 *
 * <p>LARS and LAMB are each a DL4J updater plus a per-tensor regularization on the weights: "lars" is
 * {@link Momentum} with {@link LarsTrustRatio} (the decay coupled into the gradient before the trust ratio), "lamb"
 * is {@link Adam} with {@link LambTrustRatio} (the decay added to Adam's ratio, then the trust ratio). Their
 * {@code weightDecay} is that decay, not L2 or DL4J's {@link WeightDecay}; biases get neither (pass an empty bias
 * list to {@link #applyRegularization}), and batch-norm parameters never do in DL4J.
 */
public final class Optimizers {
    /** The optimizer names {@link #of} and {@link #regularization} accept. */
    public static final List<String> NAMES = List.of("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop",
            "adagrad", "lars", "lamb");
    /** LARS's trust coefficient eta when none is given (the value of You et al. 2017). */
    public static final double DEFAULT_TRUST_COEFFICIENT = 0.001;
    /** LARS's denominator guard when none is given. */
    public static final double DEFAULT_LARS_EPSILON = 1e-8;

    private Optimizers() {
    }

    /**
     * @param name     one of {@link #NAMES}, case-insensitive
     * @param lr       the learning-rate schedule (see {@link LearningRates})
     * @param momentum momentum coefficient for "momentum", "nesterov" and "lars"; ignored otherwise
     * @param beta1    first-moment decay for "adam"/"adamw"/"lamb"; ignored otherwise
     * @param beta2    second-moment decay for "adam"/"adamw"/"lamb", and the squared-gradient decay (DL4J's
     *                 {@code rmsDecay}) for "rmsprop"; ignored otherwise
     * @param epsilon  denominator guard for "adam", "adamw", "lamb", "rmsprop", "adagrad"; ignored otherwise
     * @return sgd: {@link Sgd}; momentum and lars: {@link Momentum}; nesterov: {@link Nesterovs}; adam, adamw and
     *         lamb: {@link Adam}; rmsprop: {@link RmsProp}; adagrad: {@link ScheduledAdaGrad}. For lars and lamb
     *         the layer-wise part is in {@link #regularization(String, double, double, double, double, double)}
     * @throws IllegalArgumentException for an unknown name or an out-of-range argument the optimizer uses
     */
    public static IUpdater of(String name, ISchedule lr, double momentum, double beta1, double beta2,
                              double epsilon) {
        String n = normalise(name);
        if (lr == null) {
            throw new IllegalArgumentException("optimizer " + n + " needs a learning-rate schedule, got null");
        }
        return switch (n) {
            case "sgd" -> new Sgd(lr);
            case "momentum", "lars" -> new Momentum(lr, momentum);
            case "nesterov" -> {
                requireUnitInterval("nesterov momentum", momentum);
                yield new Nesterovs(lr, momentum);
            }
            case "adam", "adamw", "lamb" -> {
                requireUnitInterval(n + " beta1", beta1);
                requireUnitInterval(n + " beta2", beta2);
                requireEpsilon(n, epsilon);
                yield Adam.builder().learningRateSchedule(lr).beta1(beta1).beta2(beta2).epsilon(epsilon).build();
            }
            case "rmsprop" -> {
                requireUnitInterval("rmsprop decay (beta2)", beta2);
                requireEpsilon(n, epsilon);
                yield RmsProp.builder().learningRateSchedule(lr).rmsDecay(beta2).epsilon(epsilon).build();
            }
            case "adagrad" -> {
                requireEpsilon(n, epsilon);
                // DL4J's own AdaGrad loses a schedule when the builder clones it into the layers.
                yield new ScheduledAdaGrad(lr, epsilon);
            }
            default -> throw new IllegalStateException("unreachable: " + n);
        };
    }

    /**
     * The DL4J regularization list for an optimizer: {@link L1Regularization} if {@code l1 > 0}, an
     * {@link L2Regularization} of {@code l2} (plus {@code weightDecay} unless the optimizer is "adamw") if positive,
     * and for "adamw" a decoupled {@link WeightDecay}({@code weightDecay}, applyLR = true) if {@code weightDecay > 0}.
     * Zero coefficients contribute nothing; the list may be empty. Put it on the layers with
     * {@link #applyRegularization}, not on the global builder (see the class comment). For "lars" and "lamb" see
     * {@link #regularization(String, double, double, double, double, double)}, here with
     * {@link #DEFAULT_TRUST_COEFFICIENT} and {@link #DEFAULT_LARS_EPSILON}.
     *
     * @throws IllegalArgumentException for an unknown name or a negative or non-finite coefficient
     */
    public static List<Regularization> regularization(String optimizerName, double l1, double l2, double weightDecay) {
        return regularization(optimizerName, l1, l2, weightDecay, DEFAULT_TRUST_COEFFICIENT, DEFAULT_LARS_EPSILON);
    }

    /**
     * As {@link #regularization(String, double, double, double)}, except that for "lars" the list ends with a
     * {@link LarsTrustRatio}({@code trustCoefficient}, {@code weightDecay}, {@code larsEpsilon}) and for "lamb" with a
     * {@link LambTrustRatio}({@code weightDecay}), present even when the decay is 0 (the trust ratio is the optimizer),
     * and {@code weightDecay} is not added to L2. L1 and L2 still come first, so LARS's ratio sees their gradient.
     *
     * @param trustCoefficient LARS's eta, positive; ignored by other optimizers
     * @param larsEpsilon      LARS's denominator guard, zero or positive; ignored by other optimizers (LAMB's epsilon
     *                         is Adam's, given to {@link #of})
     * @throws IllegalArgumentException for an unknown name or an out-of-range coefficient
     */
    public static List<Regularization> regularization(String optimizerName, double l1, double l2, double weightDecay,
                                                      double trustCoefficient, double larsEpsilon) {
        String n = normalise(optimizerName);
        requireCoefficient("l1", l1);
        requireCoefficient("l2", l2);
        requireCoefficient("weightDecay", weightDecay);
        boolean layerWise = n.equals("lars") || n.equals("lamb");
        boolean decoupled = n.equals("adamw");
        double coupledL2 = decoupled || layerWise ? l2 : l2 + weightDecay;
        List<Regularization> list = new ArrayList<>(2);
        if (l1 > 0) {
            list.add(new L1Regularization(l1));
        }
        if (coupledL2 > 0) {
            list.add(new L2Regularization(coupledL2));
        }
        if (decoupled && weightDecay > 0) {
            list.add(new WeightDecay(weightDecay, true));
        }
        if (n.equals("lars")) {
            list.add(new LarsTrustRatio(trustCoefficient, weightDecay, larsEpsilon));
        } else if (n.equals("lamb")) {
            list.add(new LambTrustRatio(weightDecay));
        }
        return list;
    }

    /**
     * Sets the weight and bias regularization of every layer with trainable parameters in a built configuration
     * (replacing, not merging with, what the builder put there), then the configuration can be serialized or
     * instantiated. Frozen layers are left alone: their parameters take no update.
     *
     * @param weights regularization of weights (e.g. {@link #regularization}); empty for none
     * @param biases  regularization of biases; empty for none (the usual choice for weight decay)
     */
    public static void applyRegularization(MultiLayerConfiguration configuration, List<Regularization> weights,
                                           List<Regularization> biases) {
        for (NeuralNetConfiguration layerConf : configuration.getConfs()) {
            setRegularization(layerConf.getLayer(), weights, biases);
        }
    }

    /** {@link #applyRegularization(MultiLayerConfiguration, List, List)} for a ComputationGraph configuration. */
    public static void applyRegularization(ComputationGraphConfiguration configuration, List<Regularization> weights,
                                           List<Regularization> biases) {
        for (GraphVertex vertex : configuration.getVertices().values()) {
            if (vertex instanceof LayerVertex layerVertex) {
                setRegularization(layerVertex.getLayerConf().getLayer(), weights, biases);
            }
        }
    }

    private static void setRegularization(Layer layer, List<Regularization> weights, List<Regularization> biases) {
        if (layer instanceof BaseLayer base) {
            base.setRegularization(copies(weights));
            base.setRegularizationBias(copies(biases));
        } else if (layer instanceof BaseWrapperLayer wrapper) {
            setRegularization(wrapper.getUnderlying(), weights, biases);
        } else if (layer instanceof Bidirectional bidirectional) {
            setRegularization(bidirectional.getFwd(), weights, biases);
            setRegularization(bidirectional.getBwd(), weights, biases);
        }
    }

    private static List<Regularization> copies(List<Regularization> list) {
        List<Regularization> copy = new ArrayList<>(list.size());
        for (Regularization r : list) {
            copy.add(r.clone());
        }
        return copy;
    }

    private static String normalise(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("unknown optimizer \"" + name + "\"; valid names are " + NAMES);
        }
        return n;
    }

    private static void requireUnitInterval(String what, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(what + " must be in [0, 1), got " + value);
        }
    }

    private static void requireEpsilon(String optimizer, double epsilon) {
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException(optimizer + " epsilon must be positive and finite, got " + epsilon);
        }
    }

    private static void requireCoefficient(String what, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(what + " must be zero or positive and finite, got " + value);
        }
    }
}
