package io.averon.dl4j.spark;

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

    /**
     * @param config Averon's defaults with the builder's ps.* settings
     */
    FitRound(JavaSparkContext sc, JobConfig config, PrintStream out) {
        this.sc = sc;
        this.config = config;
        this.out = out;
    }

    /**
     * Trains {@code model} (a MultiLayerNetwork or ComputationGraph) on one pass over {@code batches}.
     *
     * @return the mean minibatch loss of the fit
     */
    double train(Model model, StepBatches batches, Collection<TrainingListener> listeners) {
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
        int epoch = epochs(model);
        Dl4jUpdateRule rule = new Dl4jUpdateRule(definition, initial, state);
        rule.epoch(epoch);
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        for (TrainingListener listener : listeners) {
            listener.onEpochStart(model);
        }
        List<StepReport> reports;
        float[] parameters;
        float[] updaterState;
        long finalStep;
        long examplesApplied;
        try (ParameterServer server = start(network.serverConfig(media, token, workers, config), initial, startStep,
                rule)) {
            StepAssignment assignment = new StepAssignment(server.endpoint(), token,
                    shared ? server.aeronDirectory() : null, definition, startStep, epoch,
                    config.millis("ps.connect-timeout"), config.millis("ps.response-timeout"),
                    network.workerTransport((int) config.bytes("ps.term-length"), (int) config.bytes("ps.chunk-bytes")));
            LOG.info("AveronTrainingMaster: {} example(s) in {} step(s) on {} workers x {}, parameter server {}",
                    layout.used(), layout.steps(), workers, layout.batch(), server.endpoint());
            reports = stage(server, batches, assignment);
            examplesApplied = server.stats().examplesApplied();
            Snapshot snapshot = server.atStepBoundary((params, step) ->
                    new Snapshot(params.clone(), rule.updaterState(), step));
            parameters = snapshot.parameters();
            updaterState = snapshot.updaterState();
            finalStep = snapshot.step();
        }
        if (examplesApplied != layout.used()) {
            // A worker lost or stalled past ps.step-deadline: the others went on without it. The fit's other steps
            // are sound, so they are kept rather than thrown away; the shortfall is reported.
            LOG.warn("AveronTrainingMaster: {} of {} example(s) trained in {} step(s) (expected {}): a worker was "
                    + "lost or stalled past ps.step-deadline and the steps went on without its minibatches",
                    examplesApplied, layout.used(), finalStep - startStep, layout.steps());
        }
        for (int i = 0; i < parameters.length; i++) {
            if (!Float.isFinite(parameters[i])) {
                throw new IllegalStateException("training diverged: parameter " + i + " is " + parameters[i]
                        + " after step " + finalStep + "; the network keeps its parameters from before this fit");
            }
        }
        INDArray params = net.parameters();
        params.assign(Nd4j.createFromArray(parameters).reshape(params.shape()));
        if (stateView != null && updaterState.length > 0) {
            stateView.assign(Nd4j.createFromArray(updaterState).reshape(stateView.shape()));
        }
        // The epoch count is the caller's to advance (SparkDl4jMultiLayer.fit increments it after the master).
        setIterations(model, (int) finalStep);
        long steps = 0;
        double lossSum = 0;
        for (StepReport r : reports) {
            steps += r.steps();
            lossSum += r.lossSum();
        }
        double loss = steps == 0 ? Double.NaN : lossSum / steps;
        setScore(model, loss);
        for (TrainingListener listener : listeners) {
            listener.onEpochEnd(model);
        }
        return loss;
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
     * update) stops the fit with its own reason instead of leaving the workers to time out one by one.
     */
    private List<StepReport> stage(ParameterServer server, StepBatches batches, StepAssignment assignment) {
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

    /** The server's state between two steps, taken on its own thread so parameters and updater state agree. */
    private record Snapshot(float[] parameters, float[] updaterState, long step) {
    }
}
