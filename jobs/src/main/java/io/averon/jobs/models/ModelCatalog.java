package io.averon.jobs.models;

import io.averon.driver.config.JobConfig;
import io.averon.jobs.models.segmentation.DeepLabV3Plus;
import io.averon.jobs.models.segmentation.Fcn8s;
import io.averon.jobs.models.segmentation.PspNet;
import io.averon.jobs.models.segmentation.SegmentationShape;
import io.averon.jobs.models.segmentation.UNet;
import io.averon.worker.InputException;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Network;
import io.averon.worker.data.DataShape;
import io.averon.worker.loss.DiceCrossEntropy;
import io.averon.worker.loss.DiceLoss;
import io.averon.worker.loss.DistillationLoss;
import io.averon.worker.loss.FocalLoss;
import io.averon.worker.loss.PixelSoftmaxCrossEntropy;
import io.averon.worker.optimize.LearningRates;
import io.averon.worker.optimize.Optimizers;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.lossfunctions.impl.LossMSE;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.linalg.schedule.ScheduleType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a job's {@code model} block into a DL4J network: the architecture by name (the classification zoo, the
 * segmentation nets, or the 0.1 LeNet stack), the optimizer and learning-rate schedule (with the linear scaling
 * rule applied for the run's global batch), regularisation, initialisation and loss. Fine-tuning from a saved model
 * and the student side of distillation are decided here too.
 */
public final class ModelCatalog {
    /** Segmentation architectures (pixel-wise softmax output). */
    public static final List<String> SEGMENTATION = List.of("fcn8s", "fcn8s-small", "unet", "unet-small",
            "deeplabv3plus", "deeplabv3plus-small", "pspnet", "pspnet-small");
    static final String[] LOSSES = {"cross-entropy", "class-weighted", "focal", "dice", "dice-ce", "mse"};

    private ModelCatalog() {
    }

    /** Every architecture name a job may give. */
    public static List<String> names() {
        List<String> all = new ArrayList<>();
        all.add("lenet");
        all.addAll(ModelZoo.names());
        all.addAll(SEGMENTATION);
        return all;
    }

    /**
     * The job's network for data of {@code shape}, trained by {@code workers} workers.
     *
     * @param classCounts examples per class (for class-weighted losses); null when unknown (segmentation)
     * @param distilling  true when a teacher is set: the output layer gets the distillation loss
     */
    public static ModelDefinition build(JobConfig config, DataShape shape, int workers, long[] classCounts,
                                        boolean distilling) {
        String architecture = config.string("model.architecture");
        if (!names().contains(architecture)) {
            throw new InputException("config key model.architecture = \"" + architecture + "\" is not one of "
                    + String.join(", ", names()));
        }
        boolean segmentationNet = SEGMENTATION.contains(architecture);
        if (segmentationNet != shape.segmentation()) {
            throw new InputException("model.architecture = " + architecture + " is a "
                    + (segmentationNet ? "segmentation" : "classification") + " network but the dataset is "
                    + (shape.segmentation() ? "a segmentation dataset (masks)" : "labelled per image"));
        }
        IUpdater updater = updater(config, workers);
        List<Regularization> layerWise = layerWiseRegularization(config);
        long seed = config.longValue("model.seed");
        ILossFunction loss = loss(config, shape, classCounts, distilling);
        try {
            if (architecture.equals("lenet")) {
                MultiLayerConfiguration conf = LeNet.build(updater, seed, config.number("model.l2"), shape.channels(),
                        shape.height(), shape.width(), shape.classes());
                if (loss != null) {
                    Layer last = conf.getConf(conf.getConfs().size() - 1).getLayer();
                    ((BaseOutputLayer) last).setLossFn(loss);
                }
                if (layerWise != null) {
                    Optimizers.applyRegularization(conf, layerWise, List.of());
                }
                return ModelDefinition.of(conf);
            }
            ComputationGraphConfiguration conf = segmentationNet
                    ? segmentation(architecture, shape, updater, seed, loss)
                    : ModelZoo.build(architecture, new ModelShape(shape.channels(), shape.height(), shape.width(),
                    shape.classes()), options(config, updater, seed));
            if (loss != null && !segmentationNet) {
                setOutputLoss(conf, loss);
            }
            if (layerWise != null) {
                Optimizers.applyRegularization(conf, layerWise, List.of());
            }
            return ModelDefinition.of(conf);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new InputException("model " + architecture + " for " + shape.channels() + "x" + shape.height() + "x"
                    + shape.width() + " input: " + e.getMessage());
        }
    }

    /**
     * A saved network adapted to this job: the first {@code model.freeze} layers frozen, a new head for the dataset's
     * classes, the job's updater.
     */
    public static Network fineTuned(JobConfig config, Network pretrained, DataShape shape, int workers) {
        List<Regularization> layerWise = layerWiseRegularization(config);
        Network tuned = FineTuning.adapt(pretrained, config.nonNegative("model.freeze"),
                config.flag("model.replace-head") ? shape.classes() : 0, updater(config, workers),
                config.longValue("model.seed"));
        // The definition shipped to the server and workers is serialized from these configurations.
        if (layerWise != null && tuned.model() instanceof ComputationGraph graph) {
            Optimizers.applyRegularization(graph.getConfiguration(), layerWise, List.of());
        } else if (layerWise != null) {
            Optimizers.applyRegularization(((MultiLayerNetwork) tuned.model()).getLayerWiseConfigurations(),
                    layerWise, List.of());
        }
        return tuned;
    }

    /**
     * For "lars" and "lamb", the weight regularization of every layer: L1 and L2 as asked, then the per-tensor trust
     * ratio with the job's weight decay (see {@link Optimizers}); biases get none, batch norm none in DL4J. It replaces
     * the architecture's own list, so the decay is the optimizer's and not also DL4J's {@code WeightDecay}. Null for
     * every other optimizer, whose regularization the architecture sets.
     */
    static List<Regularization> layerWiseRegularization(JobConfig config) {
        String name = config.oneOf("model.updater", Optimizers.NAMES.toArray(String[]::new));
        if (!name.equals("lars") && !name.equals("lamb")) {
            return null;
        }
        double trust = config.number("model.trust-coefficient");
        if (!(trust > 0) || Double.isInfinite(trust)) {
            throw new InputException("config key model.trust-coefficient must be positive and finite, got " + trust);
        }
        double epsilon = config.number("model.epsilon");
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new InputException("config key model.epsilon must be positive and finite, got " + epsilon);
        }
        return Optimizers.regularization(name, nonNegative(config, "model.l1"), nonNegative(config, "model.l2"),
                nonNegative(config, "model.weight-decay"), trust, epsilon);
    }

    private static double nonNegative(JobConfig config, String key) {
        double v = config.number(key);
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new InputException("config key " + key + " must be zero or positive and finite, got " + v);
        }
        return v;
    }

    /**
     * The optimizer as {@link #updater} builds it for {@code workers} workers, in words for the run header: for
     * example {@code adam, learning rate 0.0005 (0.001 x global batch 128 / lr-base-batch 256: linear scaling), no
     * warm-up, global batch 128 (2 workers x 64)}.
     */
    public static String describeOptimizer(JobConfig config, int workers) {
        double configured = config.number("model.learning-rate");
        int batch = config.positive("train.batch-size");
        int globalBatch = workers * batch;
        String rate;
        String scaling = scaling(config);
        if (!scaling.equals("none")) {
            int base = baseBatch(config);
            rate = String.format(Locale.ROOT, "learning rate %s (%s x %sglobal batch %d / lr-base-batch %d%s: %s "
                    + "scaling%s)", plain(scaledRate(config, workers)), plain(configured),
                    scaling.equals("sqrt") ? "sqrt(" : "", globalBatch, base, scaling.equals("sqrt") ? ")" : "",
                    scaling.equals("sqrt") ? "square-root" : "linear",
                    config.string("model.lr-scaling").equals("auto") ? " for " + config.string("model.updater") : "");
        } else {
            rate = "learning rate " + plain(configured) + " (as configured, not scaled)";
        }
        String schedule = config.string("model.schedule");
        int warmup = config.nonNegative("model.warmup-iterations");
        return String.format(Locale.ROOT, "%s, %s%s, %s, global batch %d (%d worker%s x %d)",
                config.string("model.updater"), rate, schedule.equals("fixed") ? "" : ", " + schedule + " schedule",
                warmup == 0 ? "no warm-up" : String.format(Locale.ROOT, "warm-up over %d steps from %.3gx", warmup,
                        config.within("model.warmup-start-factor", 0, 1)),
                globalBatch, workers, workers == 1 ? "" : "s", batch);
    }

    /** model.learning-rate under model.lr-scaling for the global batch of {@code workers} workers. */
    private static double scaledRate(JobConfig config, int workers) {
        double lr = config.number("model.learning-rate");
        int globalBatch = workers * config.positive("train.batch-size");
        int base = baseBatch(config);
        return switch (scaling(config)) {
            case "linear" -> LearningRates.linearScaling(lr, base, globalBatch);
            case "sqrt" -> LearningRates.sqrtScaling(lr, base, globalBatch);
            default -> lr;
        };
    }

    /** The scaling rule in force: model.lr-scaling, with "auto" resolved for the job's optimizer. */
    private static String scaling(JobConfig config) {
        String scaling = config.oneOf("model.lr-scaling", "auto", "none", "linear", "sqrt");
        if (!scaling.equals("auto")) {
            return scaling;
        }
        // Adaptive optimizers normalise their steps by the gradient's second moment, whose noise falls with the
        // square root of the batch; plain and momentum SGD (and LARS, whose trust ratio rescales an SGD step) take
        // steps proportional to the gradient itself.
        return switch (config.oneOf("model.updater", Optimizers.NAMES.toArray(String[]::new))) {
            case "sgd", "momentum", "nesterov", "lars" -> "linear";
            default -> "sqrt";
        };
    }

    /** model.lr-base-batch, 0 meaning the one-worker global batch (train.batch-size). */
    private static int baseBatch(JobConfig config) {
        int base = config.nonNegative("model.lr-base-batch");
        return base == 0 ? config.positive("train.batch-size") : base;
    }

    /** A rate as an operator reads it: 0.00025, not 2.5E-4 or 0.000250000. */
    private static String plain(double value) {
        return java.math.BigDecimal.valueOf(value).round(new java.math.MathContext(6)).stripTrailingZeros()
                .toPlainString();
    }

    /** The optimizer with its learning-rate schedule, scaled for the global batch when the job asks for it. */
    static IUpdater updater(JobConfig config, int workers) {
        double lr = config.number("model.learning-rate");
        if (!(lr > 0)) {
            throw new InputException("config key model.learning-rate must be positive, got " + lr);
        }
        lr = scaledRate(config, workers);
        String kind = config.oneOf("model.schedule", LearningRates.KINDS.toArray(String[]::new));
        ScheduleType unit = config.oneOf("model.schedule-unit", "epoch", "iteration").equals("epoch")
                ? ScheduleType.EPOCH : ScheduleType.ITERATION;
        try {
            ISchedule schedule = LearningRates.of(kind, lr, unit, config.positive("model.schedule-period"),
                    config.number("model.schedule-decay"), config.number("model.min-learning-rate"),
                    config.nonNegative("model.warmup-iterations"), config.within("model.warmup-start-factor", 0, 1));
            return Optimizers.of(config.oneOf("model.updater", Optimizers.NAMES.toArray(String[]::new)), schedule,
                    config.number("model.momentum"), config.number("model.beta1"), config.number("model.beta2"),
                    config.number("model.epsilon"));
        } catch (IllegalArgumentException e) {
            throw new InputException("config: " + e.getMessage());
        }
    }

    private static NetworkOptions options(JobConfig config, IUpdater updater, long seed) {
        NetworkOptions options = NetworkOptions.defaults().withUpdater(updater).withSeed(seed)
                .withL1(config.number("model.l1")).withL2(config.number("model.l2"))
                .withWeightDecay(config.number("model.weight-decay"))
                .withBatchNorm(config.flag("model.batch-norm"))
                .withWidthMultiplier(config.number("model.width"));
        double dropout = config.number("model.dropout");
        if (dropout >= 0) {
            options = options.withDropRate(dropout);
        }
        return switch (config.oneOf("model.weight-init", "default", "he", "xavier")) {
            case "he" -> options.withWeightInit(WeightInit.RELU);
            case "xavier" -> options.withWeightInit(WeightInit.XAVIER);
            default -> options;
        };
    }

    private static ComputationGraphConfiguration segmentation(String name, DataShape shape, IUpdater updater, long seed,
                                                              ILossFunction loss) {
        SegmentationShape s = new SegmentationShape(shape.channels(), shape.height(), shape.width(), shape.classes());
        boolean small = name.endsWith("-small");
        return switch (name.replace("-small", "")) {
            case "fcn8s" -> Fcn8s.build(s, small ? Fcn8s.Config.small() : Fcn8s.Config.published(), updater, seed, loss);
            case "unet" -> UNet.build(s, small ? UNet.Config.small() : UNet.Config.published(), updater, seed, loss);
            case "deeplabv3plus" -> DeepLabV3Plus.build(s, small ? DeepLabV3Plus.Config.small()
                    : DeepLabV3Plus.Config.published(), updater, seed, loss);
            default -> PspNet.build(s, small ? PspNet.Config.small() : PspNet.Config.published(), updater, seed, loss);
        };
    }

    /** The output loss the job asks for, or null for the architecture's own (softmax cross-entropy). */
    static ILossFunction loss(JobConfig config, DataShape shape, long[] classCounts, boolean distilling) {
        String name = config.oneOf("model.loss", LOSSES);
        if (distilling) {
            if (shape.segmentation() || !name.equals("cross-entropy")) {
                throw new InputException("distillation trains a classifier with its own loss: leave model.loss = "
                        + "cross-entropy and use a per-image dataset");
            }
            return new DistillationLoss(config.number("distill.temperature"), config.within("distill.alpha", 0, 1));
        }
        int pixels = shape.segmentation() ? shape.height() * shape.width() : 1;
        double[] weights = classWeights(config, shape, classCounts, name);
        boolean segmentation = shape.segmentation();
        switch (name) {
            case "cross-entropy":
                return segmentation ? new PixelSoftmaxCrossEntropy(pixels) : null;
            case "class-weighted":
                return segmentation ? new PixelSoftmaxCrossEntropy(pixels, weights) : new LossMCXENT(
                        org.nd4j.linalg.factory.Nd4j.createFromArray(weights).castTo(
                                org.nd4j.linalg.api.buffer.DataType.FLOAT));
            case "focal":
                return new FocalLoss(config.number("model.focal-gamma"), null, pixels);
            case "dice":
                requireSegmentation(shape, name);
                return new DiceLoss(1.0, pixels);
            case "dice-ce":
                requireSegmentation(shape, name);
                return new DiceCrossEntropy(pixels);
            default:
                if (segmentation) {
                    throw new InputException("model.loss = mse is for per-image labels, not masks");
                }
                return new LossMSE();
        }
    }

    private static double[] classWeights(JobConfig config, DataShape shape, long[] counts, String loss) {
        double[] given = config.numbers("model.class-weights");
        if (given.length > 0) {
            if (given.length != shape.classes()) {
                throw new InputException("config key model.class-weights needs " + shape.classes() + " values (one per "
                        + "class), got " + given.length);
            }
            return given;
        }
        if (!loss.equals("class-weighted")) {
            return null;
        }
        if (counts == null) {
            throw new InputException("model.loss = class-weighted on a segmentation dataset needs model.class-weights "
                    + "(pixel counts are not known when planning)");
        }
        // Inverse frequency, normalised so that a balanced dataset gets weight 1 for every class.
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        double[] w = new double[counts.length];
        for (int c = 0; c < counts.length; c++) {
            w[c] = counts[c] == 0 ? 0 : (double) total / (counts.length * counts[c]);
        }
        return w;
    }

    private static void requireSegmentation(DataShape shape, String loss) {
        if (!shape.segmentation()) {
            throw new InputException("model.loss = " + loss + " is a segmentation loss; this dataset is labelled per "
                    + "image");
        }
    }

    private static void setOutputLoss(ComputationGraphConfiguration conf, ILossFunction loss) {
        GraphVertex vertex = conf.getVertices().get("output");
        if (!(vertex instanceof LayerVertex layerVertex)) {
            throw new IllegalStateException("the network has no output layer named \"output\"");
        }
        Layer layer = layerVertex.getLayerConf().getLayer();
        if (layer instanceof BaseOutputLayer out) {
            out.setLossFn(loss);
        } else if (layer instanceof CnnLossLayer out) {
            out.setLossFn(loss);
        } else {
            throw new IllegalStateException("the output vertex is a " + layer.getClass().getSimpleName());
        }
    }
}
