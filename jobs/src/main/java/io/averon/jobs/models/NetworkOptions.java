package io.averon.jobs.models;

import java.util.Objects;
import java.util.OptionalDouble;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * The training hyper-parameters a zoo network is built with, separate from its architecture: updater, seed, weight
 * initialisation, regularisation, a dropout override, optional batch norm and a width multiplier. Immutable: every
 * {@code withX} returns a copy.
 *
 * <p><b>Dropout semantics.</b> {@link #dropRate()} is the probability of <em>dropping</em> (zeroing) a unit, the
 * papers' convention ("dropout 0.5", GoogLeNet's "70% ratio of dropped outputs" is 0.7). DL4J's own {@code dropOut(p)}
 * takes the <em>retain</em> probability; the builders convert ({@code retain = 1 - dropRate}). When no rate is set
 * each network uses its published rates (AlexNet/ZFNet/VGG 0.5, GoogLeNet 0.4 and 0.7 in the auxiliary heads); a set
 * rate replaces all of them, and a rate of 0 leaves the dropout layers out of the graph.
 *
 * <p><b>Weight init.</b> Unless chosen, ReLU networks get He initialisation ({@link WeightInit#RELU}, normal with
 * variance 2/fan-in) and the LSTM classifier, whose gates are sigmoids and tanh, gets {@link WeightInit#XAVIER}.
 *
 * <p><b>Batch norm.</b> {@link #batchNorm()} adds batch normalisation after every convolution of LeNet-5, AlexNet,
 * ZFNet, VGG and GoogLeNet (convolutions then drop their bias and LRN layers are left out, as BN replaces them).
 * ResNet and DenseNet always use batch norm; the LSTM classifier never does.
 *
 * <p><b>Width multiplier.</b> Scales every hidden width (conv channels, dense units, DenseNet's growth rate, the LSTM
 * size), rounded, at least 1; the classes of the output layer are not scaled. 1.0 gives the published networks.
 */
public final class NetworkOptions {
    private final IUpdater updater;
    private final long seed;
    private final WeightInit weightInit;
    private final double l1;
    private final double l2;
    private final double weightDecay;
    private final double dropRate;
    private final boolean batchNorm;
    private final double widthMultiplier;

    private NetworkOptions(IUpdater updater, long seed, WeightInit weightInit, double l1, double l2,
                           double weightDecay, double dropRate, boolean batchNorm, double widthMultiplier) {
        this.updater = updater;
        this.seed = seed;
        this.weightInit = weightInit;
        this.l1 = l1;
        this.l2 = l2;
        this.weightDecay = weightDecay;
        this.dropRate = dropRate;
        this.batchNorm = batchNorm;
        this.widthMultiplier = widthMultiplier;
    }

    /**
     * Adam 1e-3, seed 42, each network's default init, no regularisation, published dropout, no optional batch norm,
     * width 1.
     */
    public static NetworkOptions defaults() {
        return new NetworkOptions(new Adam(1e-3), 42, null, 0, 0, 0, Double.NaN, false, 1.0);
    }

    public NetworkOptions withUpdater(IUpdater updater) {
        Objects.requireNonNull(updater, "NetworkOptions updater must not be null");
        return new NetworkOptions(updater.clone(), seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    public NetworkOptions withSeed(long seed) {
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    public NetworkOptions withWeightInit(WeightInit weightInit) {
        Objects.requireNonNull(weightInit, "NetworkOptions weightInit must not be null");
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    /** L1 penalty coefficient on weights (DL4J {@code l1}); 0 turns it off. */
    public NetworkOptions withL1(double l1) {
        return new NetworkOptions(updater, seed, weightInit, nonNegative("l1", l1), l2, weightDecay, dropRate,
                batchNorm, widthMultiplier);
    }

    /** L2 penalty coefficient on weights, added to the loss gradient (DL4J {@code l2}); 0 turns it off. */
    public NetworkOptions withL2(double l2) {
        return new NetworkOptions(updater, seed, weightInit, l1, nonNegative("l2", l2), weightDecay, dropRate,
                batchNorm, widthMultiplier);
    }

    /**
     * Decoupled weight decay on weights, applied after the updater and scaled by the learning rate (DL4J's
     * {@code WeightDecay} regularization); 0 turns it off.
     */
    public NetworkOptions withWeightDecay(double weightDecay) {
        return new NetworkOptions(updater, seed, weightInit, l1, l2, nonNegative("weightDecay", weightDecay),
                dropRate, batchNorm, widthMultiplier);
    }

    /** Probability of dropping a unit in every dropout layer, in [0, 1); 0 removes dropout. */
    public NetworkOptions withDropRate(double dropRate) {
        if (!(dropRate >= 0 && dropRate < 1)) {
            throw new IllegalArgumentException("NetworkOptions dropRate must be in [0, 1), got " + dropRate);
        }
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    /** Back to each network's published dropout rates. */
    public NetworkOptions withPublishedDropout() {
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, Double.NaN, batchNorm,
                widthMultiplier);
    }

    public NetworkOptions withBatchNorm(boolean batchNorm) {
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    /** Multiplies every hidden width; must be positive. */
    public NetworkOptions withWidthMultiplier(double widthMultiplier) {
        if (!(widthMultiplier > 0) || Double.isInfinite(widthMultiplier)) {
            throw new IllegalArgumentException("NetworkOptions widthMultiplier must be positive, got "
                    + widthMultiplier);
        }
        return new NetworkOptions(updater, seed, weightInit, l1, l2, weightDecay, dropRate, batchNorm,
                widthMultiplier);
    }

    /** A copy: DL4J updaters are mutable (learning-rate setters), this value is not. */
    public IUpdater updater() {
        return updater.clone();
    }

    public long seed() {
        return seed;
    }

    /** The chosen init, or He ({@link WeightInit#RELU}) when none was chosen. */
    public WeightInit weightInit() {
        return weightInitOr(WeightInit.RELU);
    }

    /** The chosen init, or {@code networkDefault} when none was chosen. */
    public WeightInit weightInitOr(WeightInit networkDefault) {
        return weightInit != null ? weightInit : networkDefault;
    }

    public double l1() {
        return l1;
    }

    public double l2() {
        return l2;
    }

    public double weightDecay() {
        return weightDecay;
    }

    /** The drop probability set for all dropout layers; empty means each network's published rates. */
    public OptionalDouble dropRate() {
        return Double.isNaN(dropRate) ? OptionalDouble.empty() : OptionalDouble.of(dropRate);
    }

    public boolean batchNorm() {
        return batchNorm;
    }

    public double widthMultiplier() {
        return widthMultiplier;
    }

    /** {@code published} hidden units scaled by the width multiplier: rounded, at least 1. */
    public int scaled(int published) {
        return Math.max(1, (int) Math.round(published * widthMultiplier));
    }

    @Override
    public String toString() {
        return "NetworkOptions[updater=" + updater + ", seed=" + seed + ", weightInit="
                + (weightInit == null ? "network default" : weightInit) + ", l1=" + l1 + ", l2=" + l2
                + ", weightDecay=" + weightDecay + ", dropRate=" + (Double.isNaN(dropRate) ? "published" : dropRate)
                + ", batchNorm=" + batchNorm + ", widthMultiplier=" + widthMultiplier + "]";
    }

    private static double nonNegative(String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("NetworkOptions " + field + " must be a finite number >= 0, got "
                    + value);
        }
        return value;
    }
}
