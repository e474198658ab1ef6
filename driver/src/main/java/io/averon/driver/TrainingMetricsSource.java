package io.averon.driver;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import io.averon.ps.ServerStats;
import org.apache.spark.SparkEnv;

import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Averon's training and parameter-server figures as a source ("averon") of Spark's own metrics system, so every sink a
 * Spark user configures (the PrometheusServlet on the driver's UI, JMX, Graphite, CSV, ...) exports them beside
 * Spark's. Server gauges read the server's counters when a sink asks for them; the training gauges hold the last
 * completed epoch's figures. Names and units are listed in the README ("Metrics").
 */
public final class TrainingMetricsSource implements org.apache.spark.metrics.source.Source, AutoCloseable {
    /** The source's name: metrics are exported as {@code <app>.driver.averon.<group>.<name>}. */
    public static final String NAME = "averon";

    private final MetricRegistry registry = new MetricRegistry();
    private final SparkEnv env;
    private volatile int epoch;
    private volatile EpochSummary lastEpoch;

    private TrainingMetricsSource(Supplier<ServerStats> stats, SparkEnv env) {
        this.env = env;
        server("step", stats, ServerStats::step);
        server("examples_applied", stats, ServerStats::examplesApplied);
        server("gradients_accepted", stats, ServerStats::gradientsAccepted);
        server("late_gradients", stats, ServerStats::lateGradients);
        server("dropped_from_step", stats, ServerStats::droppedFromStep);
        server("evictions", stats, ServerStats::evictions);
        server("rejected_messages", stats, ServerStats::rejectedMessages);
        server("non_finite_steps", stats, ServerStats::nonFiniteSteps);
        server("registered_workers", stats, s -> s.registeredWorkers());
        registry.register(MetricRegistry.name("ps", "last_step_loss"), (Gauge<Double>) () -> stats.get().lastStepLoss());
        registry.register(MetricRegistry.name("train", "epoch"), (Gauge<Integer>) () -> epoch);
        training("images_per_second", EpochSummary::imagesPerSecond);
        training("train_loss", EpochSummary::trainLoss);
        training("test_accuracy", EpochSummary::testAccuracy);
        training("test_loss", EpochSummary::testLoss);
    }

    /**
     * Registers a source with the metrics system of this JVM's Spark environment; closing it removes it again, so a
     * second run in the same JVM (tests, the Java API) registers its own.
     */
    public static TrainingMetricsSource register(Supplier<ServerStats> stats) {
        SparkEnv env = SparkEnv.get();
        TrainingMetricsSource source = new TrainingMetricsSource(stats, env);
        if (env != null) {
            env.metricsSystem().registerSource(source);
        }
        return source;
    }

    /** The epoch (1-based) being trained now. */
    public void epochStarted(int oneBasedEpoch) {
        this.epoch = oneBasedEpoch;
    }

    /** The figures of the epoch that just ended; its test figures may be NaN (not measured). */
    public void epochEnded(EpochSummary summary) {
        this.lastEpoch = summary;
    }

    @Override
    public String sourceName() {
        return NAME;
    }

    @Override
    public MetricRegistry metricRegistry() {
        return registry;
    }

    @Override
    public void close() {
        if (env != null) {
            env.metricsSystem().removeSource(this);
        }
    }

    private void server(String name, Supplier<ServerStats> stats, ToLongFunction<ServerStats> value) {
        registry.register(MetricRegistry.name("ps", name), (Gauge<Long>) () -> value.applyAsLong(stats.get()));
    }

    private void training(String name, ToDoubleFunction<EpochSummary> value) {
        registry.register(MetricRegistry.name("train", name), (Gauge<Double>) () -> {
            EpochSummary last = lastEpoch;
            return last == null ? Double.NaN : value.applyAsDouble(last);
        });
    }
}
