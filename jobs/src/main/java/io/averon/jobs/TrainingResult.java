package io.averon.jobs;

import io.averon.driver.EpochSummary;
import io.averon.driver.HadoopSettings;
import io.averon.driver.RunResult;
import io.averon.worker.Network;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.util.List;

/**
 * What an {@link AveronJob} run produced: each epoch's figures (loss, accuracy, images per second), the run directory
 * with its metrics, report and checkpoints, and the trained network, read back from the run's model.zip on first use
 * (so it is exactly what a later {@code averon evaluate} or a DL4J {@code ModelSerializer} load sees).
 */
public final class TrainingResult {
    private final RunResult run;
    private final HadoopSettings hadoop;
    private Network network;

    TrainingResult(RunResult run, HadoopSettings hadoop) {
        this.run = run;
        this.hadoop = hadoop;
    }

    /** The epochs trained by this run (not those of an earlier run it resumed), in order. */
    public List<EpochSummary> epochs() {
        return run.epochs();
    }

    /** The last epoch's figures, or null if early stopping's memory ended the run before any epoch trained. */
    public EpochSummary last() {
        return run.last();
    }

    /** The run directory: metrics.jsonl, report.html, job.conf, model.zip and checkpoints/. */
    public String runDirectory() {
        return run.runDirectory();
    }

    /** The saved final model (DL4J ModelSerializer format). */
    public String modelLocation() {
        return run.modelLocation();
    }

    public int workers() {
        return run.workers();
    }

    /** The parameter server's global step at the end. */
    public long finalStep() {
        return run.finalStep();
    }

    /** The trained layer stack; fails for a graph model (see {@link #computationGraph()}). */
    public MultiLayerNetwork multiLayerNetwork() {
        if (network().isGraph()) {
            throw new IllegalStateException(modelLocation() + " is a ComputationGraph: use computationGraph()");
        }
        return (MultiLayerNetwork) network().model();
    }

    /** The trained graph; fails for a layer stack (see {@link #multiLayerNetwork()}). */
    public ComputationGraph computationGraph() {
        if (!network().isGraph()) {
            throw new IllegalStateException(modelLocation() + " is a MultiLayerNetwork: use multiLayerNetwork()");
        }
        return (ComputationGraph) network().model();
    }

    /** The run as the CLI and the tests see it, final parameters included. */
    public RunResult run() {
        return run;
    }

    private synchronized Network network() {
        if (network == null) {
            network = SavedModels.read(run.modelLocation(), "the trained model", hadoop);
        }
        return network;
    }
}
