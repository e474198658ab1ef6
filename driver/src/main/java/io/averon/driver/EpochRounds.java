package io.averon.driver;

import io.averon.driver.checkpoint.BackgroundCheckpoints;
import io.averon.driver.checkpoint.CheckpointSchedule;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.config.JobConfig;
import io.averon.driver.progress.ProgressBar;
import io.averon.ps.ParameterServer;
import io.averon.ps.ServerStats;
import io.averon.worker.CatchUpRound;
import io.averon.worker.InputException;
import io.averon.worker.MissedBatches;
import io.averon.worker.WorkerAssignment;
import io.averon.worker.WorkerReport;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.averon.driver.MetricsLog.fields;

/**
 * Trains the epochs of a run as rounds of barrier stages: the first round deals the epoch's plan to the workers, each
 * later one deals again the minibatches no applied step trained (read from the server by an {@link EpochLedger}).
 * While a stage runs it draws progress, stops the run when the server failed, when a task failed in a way retrying
 * cannot fix, or when no step completes for the response timeout, and submits the mid-epoch checkpoints the schedule
 * asks for.
 */
final class EpochRounds {
    private static final Logger LOG = LoggerFactory.getLogger(EpochRounds.class);
    private static final long PROGRESS_INTERVAL_MS = 250;
    /** A batch missed three times in a row fails for a reason of its own (a poisoned example), not a lost worker. */
    private static final int MAX_CATCH_UP_ROUNDS = 3;

    private final JavaSparkContext sc;
    private final JobConfig config;
    private final PrintStream out;
    private final ParameterServer server;
    private final ServerState state;
    private final BackgroundCheckpoints writer;
    private final CheckpointSchedule schedule;
    private final EarlyStopping stopping;
    private final MetricsLog metrics;
    private final long seed;
    private final int workers;
    private final String fingerprint;

    /**
     * @param seed        the run's seed, workers and model fingerprint: what its checkpoints record
     */
    EpochRounds(JavaSparkContext sc, JobConfig config, PrintStream out, ParameterServer server, ServerState state,
                BackgroundCheckpoints writer, CheckpointSchedule schedule, EarlyStopping stopping, MetricsLog metrics,
                long seed, int workers, String fingerprint) {
        this.sc = sc;
        this.config = config;
        this.out = out;
        this.server = server;
        this.state = state;
        this.writer = writer;
        this.schedule = schedule;
        this.stopping = stopping;
        this.metrics = metrics;
        this.seed = seed;
        this.workers = workers;
        this.fingerprint = fingerprint;
    }

    /**
     * Train an epoch: its first round, then again, in further rounds, the minibatches no applied step trained (a
     * worker lost, stalled or evicted while the others went on), until every example of the epoch has been trained
     * once or {@link #MAX_CATCH_UP_ROUNDS} rounds have not managed it.
     *
     * @param firstRound the epoch's plan dealt to the workers, from its first step or a resumed one
     * @param carried    batches of the first round a resumed run's checkpoint records as missed, or none
     * @return one report per worker, each the sum of its rounds
     */
    List<WorkerReport> train(WorkerAssignment firstRound, MissedBatches carried, int epoch, int epochs)
            throws IOException {
        EpochLedger ledger = new EpochLedger(server, carried, server.step());
        List<WorkerReport> reports = new ArrayList<>(stage(firstRound, ledger, epoch, epochs));
        WorkerAssignment round = firstRound;
        MissedBatches missed = ledger.closeRound(round);
        for (int n = 1; !missed.isEmpty() && n <= MAX_CATCH_UP_ROUNDS; n++) {
            int[] examples = missed.examples(round);
            CatchUpRound deal = CatchUpRound.deal(n, examples, workers, round.batchSize());
            out.printf("epoch %d: %d example(s) in %d minibatch(es) were not trained (a worker was lost, stalled or "
                            + "evicted): catch-up round %d on %d worker(s)%n", epoch + 1, examples.length,
                    missed.count(), n, deal.workers());
            metrics.write("catch_up", fields("epoch", epoch + 1, "round", n, "examples", examples.length,
                    "batches", missed.count(), "workers", deal.workers(), "step", server.step()));
            round = round.catchingUp(deal, server.step());
            for (WorkerReport later : stage(round, ledger, epoch, epochs)) {
                reports.set(later.worker(), reports.get(later.worker()).andLater(later));
            }
            missed = ledger.closeRound(round);
        }
        if (!missed.isEmpty()) {
            int examples = missed.examples(round).length;
            LOG.warn("epoch {}: {} example(s) still untrained after {} catch-up rounds", epoch + 1, examples,
                    MAX_CATCH_UP_ROUNDS);
            out.printf("epoch %d: %d example(s) in %d minibatch(es) still untrained after %d catch-up rounds; the "
                    + "epoch ends without them%n", epoch + 1, examples, missed.count(), MAX_CATCH_UP_ROUNDS);
        }
        return reports;
    }

    /** Run one round as a barrier stage of its workers, watching it until it returns. */
    private List<WorkerReport> stage(WorkerAssignment assignment, EpochLedger ledger, int epoch, int epochs)
            throws IOException {
        long epochStartStep = assignment.epochStartStep();
        CatchUpRound catchUp = assignment.catchUp();
        int roundWorkers = assignment.workers();
        int roundSize = catchUp == null ? assignment.plan().datasetSize() : catchUp.examples().length;
        List<Integer> ids = IntStream.range(0, roundWorkers).boxed().collect(Collectors.toList());
        ClassTag<WorkerReport> tag = ClassTag$.MODULE$.apply(WorkerReport.class);
        RDD<WorkerReport> stage = sc.parallelize(ids, roundWorkers).rdd().barrier()
                .mapPartitions(new EpochTask(assignment), false, tag);
        String name = "epoch " + (epoch + 1) + "/" + epochs + (catchUp == null ? "" : " catch-up " + catchUp.round());
        sc.setJobDescription("averon " + name);
        TaskFailures failures = new TaskFailures();
        sc.sc().addSparkListener(failures);
        // Spark retries a failed barrier stage only if it is a shuffle-map stage; a barrier result stage is aborted
        // ("Could not recover from a failed barrier ResultStage"). The shuffle makes the epoch a map stage.
        JavaFutureAction<List<WorkerReport>> future = JavaRDD.fromRDD(stage, tag).repartition(1).collectAsync();
        ProgressBar bar = new ProgressBar(out, name, roundSize, ProgressBar.isInteractive());
        long startExamples = server.stats().examplesApplied();
        long skippedExamples = (server.step() - epochStartStep) * (long) assignment.batchSize() * roundWorkers;
        long t0 = System.nanoTime();
        long stallLimitNanos = config.millis("ps.response-timeout") * 1_000_000;
        long lastStep = server.step();
        long lastProgress = System.nanoTime();
        try {
            while (true) {
                try {
                    // The shuffle delivers the reports in no particular order.
                    List<WorkerReport> reports =
                            new ArrayList<>(future.get(PROGRESS_INTERVAL_MS, TimeUnit.MILLISECONDS));
                    reports.sort(Comparator.comparingInt(WorkerReport::worker));
                    ServerStats stats = server.stats();
                    bar.update(Math.min(roundSize, skippedExamples + stats.examplesApplied() - startExamples),
                            (stats.examplesApplied() - startExamples) / ((System.nanoTime() - t0) / 1e9),
                            stats.lastStepLoss());
                    bar.finish();
                    return reports;
                } catch (TimeoutException pending) {
                    RuntimeException stopped = state.failure();
                    if (stopped != null) {
                        // The workers are being refused and would only fail one by one through Spark's retries.
                        future.cancel(true);
                        bar.finish();
                        throw stopped;
                    }
                    ServerStats stats = server.stats();
                    org.apache.spark.ExceptionFailure task = failures.first();
                    if (task != null && TaskFailures.retryCannotHelp(task, !stats.workersSeen().isEmpty())) {
                        future.cancel(true);
                        bar.finish();
                        throw TaskFailures.describe(task, "epoch " + (epoch + 1) + " failed in a worker");
                    }
                    if (stats.step() != lastStep) {
                        lastStep = stats.step();
                        lastProgress = System.nanoTime();
                    } else if (System.nanoTime() - lastProgress > stallLimitNanos) {
                        // Workers give up after the same time; a task stuck outside the server loop would not.
                        future.cancel(true);
                        throw new IllegalStateException("epoch " + (epoch + 1) + " stalled: no step completed in "
                                + config.millis("ps.response-timeout") / 1000 + " s (ps.response-timeout) with "
                                + stats.registeredWorkers() + " of " + roundWorkers + " workers registered");
                    }
                    long done = stats.examplesApplied() - startExamples;
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    bar.update(Math.min(roundSize, skippedExamples + done), done / Math.max(elapsed, 1e-9),
                            stats.lastStepLoss());
                    writer.checkHealth();
                    if (schedule.due(stats.step(), System.nanoTime())) {
                        ServerState.Snapshot s = state.snapshot();
                        // The epoch's last step is checkpointed as a completed epoch once the stage returns.
                        // Non-finite parameters are no checkpoint to resume from: the server stops on them shortly.
                        // A catch-up round is short and resumes from the epoch's first round: none is taken in it.
                        if (catchUp == null && s.step() - epochStartStep < assignment.plan().steps(assignment.batchSize())
                                && ServerState.allFinite(s.parameters())) {
                            writer.submit(new BackgroundCheckpoints.Snapshot(new CheckpointState(epoch, s.step(),
                                    s.step() - epochStartStep, seed, workers, fingerprint, config.render(),
                                    stopping.best(), stopping.sinceBest(), ledger.missedBefore(assignment, s.step())),
                                    s.parameters(), s.updaterState()));
                        }
                        schedule.taken(s.step(), System.nanoTime());
                    }
                }
            }
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while training epoch " + (epoch + 1), e);
        } catch (ExecutionException e) {
            bar.finish();
            RuntimeException stopped = state.failure();
            throw stopped != null ? stopped : failure(e, epoch, failures);
        } finally {
            sc.sc().removeSparkListener(failures);
        }
    }

    private RuntimeException failure(ExecutionException e, int epoch, TaskFailures failures) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InputException input) {
                return input;
            }
        }
        org.apache.spark.ExceptionFailure task = failures.await(2_000);
        if (task != null) {
            return TaskFailures.describe(task, "epoch " + (epoch + 1) + " failed in a worker");
        }
        String reason = e.getCause() == null ? e.toString() : e.getCause().getMessage();
        if (reason != null && reason.contains("requires more slots")) {
            return new InputException("train.workers = " + config.integer("train.workers")
                    + " needs that many task slots at once, but the Spark cluster has fewer: " + reason);
        }
        return new IllegalStateException("epoch " + (epoch + 1) + " failed: " + reason, e.getCause());
    }

}
