package io.averon.worker.loss;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.Objects;

/**
 * Knowledge-distillation loss (Hinton et al., "Distilling the Knowledge in a Neural Network") for a K-class softmax
 * student, as a DL4J loss function so that it trains through DL4J's {@code fit} and Averon's parameter server alike.
 *
 * <p>Labels are {@code [n, 2K]}: columns {@code 0..K-1} the hard one-hot labels {@code y}, columns {@code K..2K-1} the
 * teacher's class probabilities {@code p} at temperature 1 (build them with {@link #distillationLabels}). With
 * {@code z} the student's logits (the pre-activation output DL4J passes to a loss), the loss of one example is
 * <pre>
 *   alpha * T^2 * KL(t || softmax(z / T)) + (1 - alpha) * CE(y, softmax(z)),   t = p^(1/T) / sum(p^(1/T))
 * </pre>
 * where {@code t = softmax(log(p) / T)} is the teacher's distribution softened to temperature T, so the teacher's
 * probabilities suffice, and the {@code T^2} keeps the soft term's gradient scale independent of T. The gradient
 * with respect to z is {@code alpha * T * (softmax(z/T) - t) + (1 - alpha) * (softmax(z) * sum(y) - y)}.
 *
 * <p>Activation: the loss always treats the pre-activation output as logits and returns the gradient with respect
 * to it, so the output layer's activation only affects what the network outputs at inference time. It must be
 * {@code SOFTMAX} (outputs the student's probabilities: the usual choice) or {@code IDENTITY} (outputs logits); any
 * other activation is rejected because the loss would silently disagree with what the layer outputs.
 *
 * <p>Label shape: DL4J's {@code OutputLayer} and {@code LossLayer} hand the labels to the loss function as they are
 * (their {@code getLabels2d} returns the array unchanged); the "labels and preOutput must have equal shapes" check
 * lives inside DL4J's own loss functions, not the layers (DL4J's sparse cross-entropy uses {@code [n, 1]} labels in
 * the same layer). So a standard {@code OutputLayer} with {@code nOut = K} fed {@code [n, 2K]} labels works as is.
 * Only label-consuming tools outside training need care: evaluation must be given {@link #hardLabels}.
 *
 * <p>Masks: a per-example label mask ({@code [n, 1]}) zeroes masked examples' score and gradient; per-output masks
 * are rejected (masking single classes of a distribution has no clear meaning).
 */
public final class DistillationLoss implements ILossFunction {
    private static final long serialVersionUID = 1L;

    @JsonProperty("temperature")
    private final double temperature;
    @JsonProperty("alpha")
    private final double alpha;

    /**
     * @param temperature T, positive: the softening temperature of the teacher and student distributions
     * @param alpha       weight of the soft (teacher) term in [0, 1]; the hard cross-entropy gets {@code 1 - alpha}
     */
    @JsonCreator
    public DistillationLoss(@JsonProperty("temperature") double temperature, @JsonProperty("alpha") double alpha) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("distillation temperature must be positive and finite, got "
                    + temperature);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("distillation alpha must be in [0, 1], got " + alpha);
        }
        this.temperature = temperature;
        this.alpha = alpha;
    }

    public double getTemperature() {
        return temperature;
    }

    public double getAlpha() {
        return alpha;
    }

    /**
     * Labels for this loss: {@code [n, 2K]}, the hard one-hot labels then the teacher's probabilities.
     *
     * @param hardOneHot           {@code [n, K]} one-hot (or any per-row weights summing to 1) hard labels
     * @param teacherProbabilities {@code [n, K]} the teacher's softmax output at temperature 1
     */
    public static INDArray distillationLabels(INDArray hardOneHot, INDArray teacherProbabilities) {
        Objects.requireNonNull(hardOneHot, "hardOneHot");
        Objects.requireNonNull(teacherProbabilities, "teacherProbabilities");
        if (hardOneHot.rank() != 2 || !Arrays.equals(hardOneHot.shape(), teacherProbabilities.shape())) {
            throw new IllegalArgumentException("hard labels and teacher probabilities must both be [n, K], got "
                    + Arrays.toString(hardOneHot.shape()) + " and " + Arrays.toString(teacherProbabilities.shape()));
        }
        DataType type = hardOneHot.dataType();
        return Nd4j.hstack(hardOneHot, teacherProbabilities.castTo(type));
    }

    /** The hard-label half ({@code [n, K]}) of {@code [n, 2K]} distillation labels, e.g. for evaluation. */
    public static INDArray hardLabels(INDArray distillationLabels) {
        long k = classes(distillationLabels);
        return distillationLabels.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)).dup();
    }

    /** The teacher half ({@code [n, K]}) of {@code [n, 2K]} distillation labels. */
    public static INDArray teacherProbabilities(INDArray distillationLabels) {
        long k = classes(distillationLabels);
        return distillationLabels.get(NDArrayIndex.all(), NDArrayIndex.interval(k, 2 * k)).dup();
    }

    @Override
    public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
                               boolean average) {
        INDArray perExample = computeScoreArray(labels, preOutput, activationFn, mask);
        double sum = perExample.sumNumber().doubleValue();
        return average ? sum / perExample.size(0) : sum;
    }

    @Override
    public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, true).getFirst();
    }

    @Override
    public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
        return evaluate(labels, preOutput, activationFn, mask, false).getSecond();
    }

    @Override
    public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
                                                          IActivation activationFn, INDArray mask, boolean average) {
        Pair<INDArray, INDArray> both = evaluate(labels, preOutput, activationFn, mask, false);
        double sum = both.getFirst().sumNumber().doubleValue();
        return new Pair<>(average ? sum / preOutput.size(0) : sum, both.getSecond());
    }

    /** Per-example scores {@code [n, 1]} and, unless scoreOnly, the gradient {@code [n, K]} w.r.t. the logits. */
    private Pair<INDArray, INDArray> evaluate(INDArray labels, INDArray preOutput, IActivation activationFn,
                                              INDArray mask, boolean scoreOnly) {
        checkActivation(activationFn);
        if (preOutput.rank() != 2) {
            throw new IllegalArgumentException("distillation loss needs [n, K] student logits, got shape "
                    + Arrays.toString(preOutput.shape()));
        }
        int n = (int) preOutput.size(0);
        int k = (int) preOutput.size(1);
        if (labels.rank() != 2 || labels.size(0) != n || labels.size(1) != 2L * k) {
            throw new IllegalArgumentException("distillation labels must be [n, 2K] = [" + n + ", " + 2 * k
                    + "] (hard one-hot then teacher probabilities) for logits " + Arrays.toString(preOutput.shape())
                    + ", got " + Arrays.toString(labels.shape()));
        }
        double[] exampleWeight = exampleWeights(mask, n);
        double[][] z = preOutput.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] yp = labels.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[][] scores = new double[n][1];
        double[][] gradient = scoreOnly ? null : new double[n][k];
        double t = temperature;
        double[] logQ = new double[k];
        double[] logQt = new double[k];
        double[] logTeacher = new double[k];
        double[] zt = new double[k];
        for (int i = 0; i < n; i++) {
            if (exampleWeight[i] == 0) {
                continue;
            }
            double[] zi = z[i];
            double[] row = yp[i];
            logSoftmax(zi, logQ);
            for (int c = 0; c < k; c++) {
                zt[c] = zi[c] / t;
            }
            logSoftmax(zt, logQt);
            softenedTeacherLog(row, k, i, logTeacher);

            double kl = 0;
            double ce = 0;
            double hardMass = 0;
            for (int c = 0; c < k; c++) {
                double teacher = Math.exp(logTeacher[c]);
                if (teacher > 0) {
                    kl += teacher * (logTeacher[c] - logQt[c]);
                }
                double y = row[c];
                if (y != 0) {
                    ce -= y * logQ[c];
                }
                hardMass += y;
            }
            scores[i][0] = exampleWeight[i] * (alpha * t * t * kl + (1 - alpha) * ce);
            if (gradient != null) {
                for (int c = 0; c < k; c++) {
                    double soft = alpha * t * (Math.exp(logQt[c]) - Math.exp(logTeacher[c]));
                    double hard = (1 - alpha) * (Math.exp(logQ[c]) * hardMass - row[c]);
                    gradient[i][c] = exampleWeight[i] * (soft + hard);
                }
            }
        }
        DataType type = preOutput.dataType();
        INDArray scoreArray = Nd4j.create(scores).castTo(type);
        INDArray gradientArray = gradient == null ? null : Nd4j.create(gradient).castTo(type);
        return new Pair<>(scoreArray, gradientArray);
    }

    /** log(softmax(log(p) / T)) for the teacher half of one label row; -infinity where p = 0. */
    private void softenedTeacherLog(double[] row, int k, int example, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            double p = row[k + c];
            if (!(p >= 0) || Double.isInfinite(p)) {
                throw new IllegalArgumentException("teacher probability of example " + example + ", class " + c
                        + " must be finite and non-negative, got " + p);
            }
            out[c] = p == 0 ? Double.NEGATIVE_INFINITY : Math.log(p) / temperature;
            max = Math.max(max, out[c]);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("teacher probabilities of example " + example + " are all zero");
        }
        double sum = 0;
        for (int c = 0; c < k; c++) {
            sum += Math.exp(out[c] - max);
        }
        double logNorm = max + Math.log(sum);
        for (int c = 0; c < k; c++) {
            out[c] -= logNorm;
        }
    }

    private static void logSoftmax(double[] x, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        double logNorm = max + Math.log(sum);
        for (int c = 0; c < x.length; c++) {
            out[c] = x[c] - logNorm;
        }
    }

    private static double[] exampleWeights(INDArray mask, int n) {
        double[] weights = new double[n];
        if (mask == null) {
            Arrays.fill(weights, 1.0);
            return weights;
        }
        boolean column = mask.rank() == 2 && mask.size(0) == n && mask.size(1) == 1;
        boolean vector = mask.rank() == 1 && mask.size(0) == n;
        if (!column && !vector) {
            throw new IllegalArgumentException("distillation loss supports only per-example masks [" + n
                    + ", 1], got mask shape " + Arrays.toString(mask.shape()));
        }
        double[] values = mask.castTo(DataType.DOUBLE).reshape(n).toDoubleVector();
        System.arraycopy(values, 0, weights, 0, n);
        return weights;
    }

    private static void checkActivation(IActivation activationFn) {
        if (!(activationFn instanceof ActivationSoftmax) && !(activationFn instanceof ActivationIdentity)) {
            throw new IllegalArgumentException("distillation loss treats the layer's pre-activation output as logits "
                    + "and needs activation SOFTMAX or IDENTITY, got " + activationFn);
        }
    }

    private static long classes(INDArray distillationLabels) {
        if (distillationLabels.rank() != 2 || distillationLabels.size(1) % 2 != 0) {
            throw new IllegalArgumentException("distillation labels must be [n, 2K], got shape "
                    + Arrays.toString(distillationLabels.shape()));
        }
        return distillationLabels.size(1) / 2;
    }

    @Override
    public String name() {
        return toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DistillationLoss other
                && Double.compare(temperature, other.temperature) == 0
                && Double.compare(alpha, other.alpha) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(temperature, alpha);
    }

    @Override
    public String toString() {
        return "DistillationLoss(temperature=" + temperature + ", alpha=" + alpha + ")";
    }
}
