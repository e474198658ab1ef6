package io.averon.dl4j.spark;

import io.averon.driver.EpochSummary;
import io.averon.driver.ServerNetwork;
import io.averon.driver.TaskSlots;
import io.averon.driver.config.JobConfig;
import io.averon.ps.NoFreePortException;
import io.averon.ps.ParameterServer;
import io.averon.ps.ParameterServerConfig;
import io.averon.ps.ParameterServerException;
import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.InputException;
import io.averon.worker.ModelDefinition;
import io.averon.worker.ModelFingerprint;
import io.averon.worker.Network;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One fit of a DL4J network through Averon's parameter server: the server starts in the driver's JVM with the
 * network's parameters, its own DL4J updater and updater state ({@link Dl4jUpdateRule}), at the network's iteration
 * count; one barrier stage over the prepared minibatches has every worker take every step; then the server's final
 * parameters and updater state are copied into the user's network object and the server stops. Each step applies the
 * mean gradient of the W workers' minibatches, so the fit equals a single-JVM fit with batch W x B.
 */
final class FitRound {
    private static final Logger LOG = LoggerFactory.getLogger(FitRound.class);
    private static final long POLL_MS = 250;

    private final JavaSparkContext sc;
    private final JobConfig config;
    private final PrintStream out;

    private final FitMetrics metrics;

    /**
     * @param config  Averon's defaults with the builder's ps.* and checkpoint.* settings
     * @param metrics the master's figures in Spark's metrics system
     */
    FitRound(JavaSparkContext sc, JobConfig config, PrintStream out, FitMetrics metrics) {
        this.sc = sc;
        this.config = config;
        this.out = out;
        this.metrics = metrics;
    }

    /**
     * Where a fit starts and what it records.
     *
     * @param skipSteps      steps of this fit a resumed checkpoint already took (0 for a fit from its start)
     * @param checkpoints    where the fit's checkpoints go, or null for none
     * @param lastCheckpoint the newest committed checkpoint before this fit, or null
     * @param settings       the master's settings, recorded in every checkpoint
     */
    record FitStart(long skipSteps, FitCheckpoints checkpoints, String lastCheckpoint, String settings) {
    }

    /** What a fit ended with: its mean minibatch loss and its own checkpoint (null without checkpoints). */
    record FitEnd(double loss, String checkpoint) {
    }

    /**
     * Trains {@code model} (a MultiLayerNetwork or ComputationGraph) on one pass over {@code batches}, or on the
     * rest of it after {@code start.skipSteps()} steps.
     */
    FitEnd train(Model model, StepBatches batches, Collection<TrainingListener> listeners, FitStart start) {
        ExampleLayout layout = batches.layout();
        int workers = layout.workers();
        ServerNetwork network = ServerNetwork.of(config, sc.getConf());
        boolean shared = sc.isLocal() && config.flag("ps.share-media-driver-in-local-mode");
        String media = network.workerMedia(shared);
        try {
            TaskSlots.await(sc.sc(), workers, config.millis("train.wait-for-slots"), out);
        } catch (InputException e) {
            throw new IllegalStateException("AveronTrainingMaster with " + workers + " workers: "
                    + e.getMessage().replace("train.workers = " + workers, "workers(" + workers + ")"), e);
        }
        Network net = model instanceof ComputationGraph g ? Network.of(g) : Network.of((MultiLayerNetwork) model);
        ModelDefinition definition = net.definition();
        float[] initial = net.parameters().toFloatVector();
        INDArray stateView = net.updater().getStateViewArray();
        float[] state = stateView == null || stateView.length() == 0 ? null : stateView.toFloatVector();
        long startStep = iterations(model);
        // A resumed fit's workers skip the minibatches of the steps its checkpoint had taken.
        long fitStartStep = startStep - start.skipSteps();
        int epoch = epochs(model);
        Dl4jUpdateRule rule = new Dl4jUpdateRule(definition, initial, state);
        rule.epoch(epoch);
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        for (TrainingListener listener : listeners) {
            listener.onEpochStart(model);
        }
        FitCheckpoints.Position position = new FitCheckpoints.Position(epoch, workers, ModelFingerprint.of(net),
                start.settings());
        List<StepReport> reports;
        FitCheckpoints.Snapshot snapshot;
        long examplesApplied;
        long t0 = System.nanoTime();
        FitCheckpoints.Writer writer = start.checkpoints() == null ? null
                : start.checkpoints().writer(fitStartStep, startStep, start.lastCheckpoint());
        try (ParameterServer server = start(network.serverConfig(media, token, workers, config), initial, startStep,
                rule)) {
            metrics.fitStarted(server, epoch + 1);
            try {
                StepAssignment assignment = new StepAssignment(server.endpoint(), token,
                        shared ? server.aeronDirectory() : null, definition, fitStartStep, epoch,
                        config.millis("ps.connect-timeout"), config.millis("ps.response-timeout"),
                        network.workerTransport((int) config.bytes("ps.term-length"),
                                (int) config.bytes("ps.chunk-bytes")));
                LOG.info("AveronTrainingMaster: fit {}: {} example(s) in {} step(s) on {} workers x {}{}, parameter "
                        + "server {}", epoch + 1, layout.used(), layout.steps(), workers, layout.batch(),
                        start.skipSteps() == 0 ? "" : " (resumed at step " + start.skipSteps() + " of them)",
                        server.endpoint());
                reports = stage(server, batches, assignment, () -> {
                    if (writer != null) {
                        writer.duringFit(server, rule, position, layout.steps());
                    }
                });
                examplesApplied = server.stats().examplesApplied();
                snapshot = server.atStepBoundary((params, step) ->
                        new FitCheckpoints.Snapshot(params.clone(), rule.updaterState(), step));
            } finally {
                metrics.serverStopping();
            }
            int nonFinite = FitCheckpoints.firstNonFinite(snapshot.parameters());
            if (nonFinite >= 0) {
                throw new IllegalStateException("training diverged: parameter " + nonFinite + " is "
                        + snapshot.parameters()[nonFinite] + " after step " + snapshot.step()
                        + "; the network keeps its parameters from before this fit"
                        + (writer == null || writer.lastCommitted() == null ? ""
                        : " (last checkpoint written: " + writer.lastCommitted() + ")"));
            }
            String checkpoint = writer == null ? null : writer.fitEnded(position.ended(snapshot.step()),
                    snapshot.parameters(), snapshot.updaterState());
            double seconds = (System.nanoTime() - t0) / 1e9;
            return finish(model, net, snapshot, reports, listeners,
                    new FitFigures(epoch + 1, layout, fitStartStep, startStep, examplesApplied, seconds), checkpoint);
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
    }

    /** Counts of a fit, for its log line and its metrics. */
    private record FitFigures(int fit, ExampleLayout layout, long fitStartStep, long startStep, long examplesApplied,
                              double seconds) {
    }

    /** Copies the server's end state into the caller's network and reports the fit. */
    private FitEnd finish(Model model, Network net, FitCheckpoints.Snapshot snapshot,
                          List<StepReport> reports, Collection<TrainingListener> listeners, FitFigures figures,
                          String checkpoint) {
        ExampleLayout layout = figures.layout();
        long expected = layout.used() - layout.usedBefore(figures.startStep() - figures.fitStartStep());
        if (figures.examplesApplied() != expected) {
            // A worker lost or stalled past ps.step-deadline: the others went on without it. The fit's other steps
            // are sound, so they are kept rather than thrown away; the shortfall is reported.
            LOG.warn("AveronTrainingMaster: {} of {} example(s) trained in {} step(s) (expected {}): a worker was "
                    + "lost or stalled past ps.step-deadline and the steps went on without its minibatches",
                    figures.examplesApplied(), expected, snapshot.step() - figures.startStep(),
                    layout.steps() - (figures.startStep() - figures.fitStartStep()));
        }
        CheckpointRestore.assign(net, snapshot.parameters(), snapshot.updaterState());
        // The epoch count is the caller's to advance (SparkDl4jMultiLayer.fit increments it after the master).
        setIterations(model, (int) snapshot.step());
        long steps = 0;
        double lossSum = 0;
        long computeNanos = 0;
        long waitNanos = 0;
        for (StepReport r : reports) {
            steps += r.steps();
            lossSum += r.lossSum();
            computeNanos += r.computeNanos();
            waitNanos += r.waitNanos();
        }
        double loss = steps == 0 ? Double.NaN : lossSum / steps;
        setScore(model, loss);
        double imagesPerSecond = figures.examplesApplied() / Math.max(figures.seconds(), 1e-9);
        metrics.fitEnded(new EpochSummary(figures.fit(), snapshot.step() - figures.startStep(),
                figures.examplesApplied(), figures.seconds(), imagesPerSecond, loss, Double.NaN, Double.NaN,
                Double.NaN));
        double busy = computeNanos + waitNanos;
        LOG.info("AveronTrainingMaster: fit {} done: {} example(s) in {} step(s), {} s, {} images/s, loss {}, "
                + "workers computing {}% / waiting {}% of their time{}", figures.fit(), figures.examplesApplied(),
                snapshot.step() - figures.startStep(), String.format("%.1f", figures.seconds()),
                Math.round(imagesPerSecond), String.format("%.4f", loss),
                busy == 0 ? 0 : Math.round(100 * computeNanos / busy), busy == 0 ? 0 : Math.round(100 * waitNanos / busy),
                checkpoint == null ? "" : ", checkpoint " + checkpoint);
        for (TrainingListener listener : listeners) {
            listener.onEpochEnd(model);
        }
        return new FitEnd(loss, checkpoint);
    }

    private ParameterServer start(ParameterServerConfig serverConfig, float[] initial, long startStep,
                                  Dl4jUpdateRule rule) {
        try {
            return ParameterServer.start(serverConfig, initial, startStep, rule);
        } catch (NoFreePortException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    /**
     * Runs the barrier stage and watches the server while it does: a server that failed (divergence, a failing
     * update) stops the fit with its own reason instead of leaving the workers to time out one by one. Between
     * polls it runs {@code eachPoll} (the mid-fit checkpoints).
     */
    private List<StepReport> stage(ParameterServer server, StepBatches batches, StepAssignment assignment,
                                   Runnable eachPoll) {
        ClassTag<StepReport> tag = ClassTag$.MODULE$.apply(StepReport.class);
        RDD<StepReport> stage = batches.rdd().rdd().barrier().mapPartitions(new StepTask(assignment), false, tag);
        sc.setJobDescription("AveronTrainingMaster fit: " + batches.layout().steps() + " steps on "
                + batches.layout().workers() + " workers");
        // Spark retries a failed barrier stage only when it is a shuffle-map stage, which the shuffle makes it.
        JavaFutureAction<List<StepReport>> future = JavaRDD.fromRDD(stage, tag).repartition(1).collectAsync();
        try {
            while (true) {
                try {
                    return new ArrayList<>(future.get(POLL_MS, TimeUnit.MILLISECONDS));
                } catch (TimeoutException pending) {
                    ParameterServerException failed = server.failure();
                    if (failed != null) {
                        future.cancel(true);
                        throw new IllegalStateException("AveronTrainingMaster: the parameter server stopped: "
                                + failed.getMessage(), failed);
                    }
                    eachPoll.run();
                }
            }
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while training", e);
        } catch (ExecutionException e) {
            ParameterServerException failed = server.failure();
            if (failed != null) {
                throw new IllegalStateException("AveronTrainingMaster: the parameter server stopped: "
                        + failed.getMessage(), failed);
            }
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof InputException input) {
                    throw input;
                }
            }
            throw new IllegalStateException("AveronTrainingMaster: the training stage failed: "
                    + (e.getCause() == null ? e : e.getCause().getMessage()), e.getCause());
        } finally {
            sc.setJobDescription(null);
        }
    }

    private static long iterations(Model model) {
        return model instanceof ComputationGraph g ? g.getIterationCount()
                : ((MultiLayerNetwork) model).getIterationCount();
    }

    private static int epochs(Model model) {
        return model instanceof ComputationGraph g ? g.getEpochCount() : ((MultiLayerNetwork) model).getEpochCount();
    }

    private static void setIterations(Model model, int iterations) {
        if (model instanceof ComputationGraph g) {
            g.getConfiguration().setIterationCount(iterations);
        } else {
            ((MultiLayerNetwork) model).setIterationCount(iterations);
        }
    }

    private static void setScore(Model model, double score) {
        if (model instanceof ComputationGraph g) {
            g.setScore(score);
        } else {
            ((MultiLayerNetwork) model).setScore(score);
        }
    }

}
