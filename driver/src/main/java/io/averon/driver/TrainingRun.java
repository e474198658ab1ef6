package io.averon.driver;

import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.checkpoint.BackgroundCheckpoints;
import io.averon.driver.checkpoint.CheckpointSchedule;
import io.averon.driver.checkpoint.CheckpointState;
import io.averon.driver.checkpoint.CheckpointStore;
import io.averon.driver.config.JobConfig;
import io.averon.ps.LogBufferSpace;
import io.averon.ps.NoFreePortException;
import io.averon.ps.ParameterServer;
import io.averon.ps.ParameterServerConfig;
import io.averon.ps.ServerStats;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.EpochPlan;
import io.averon.worker.FirstExamples;
import io.averon.worker.InputException;
import io.averon.worker.MissedBatches;
import io.averon.worker.ModelFingerprint;
import io.averon.worker.Network;
import io.averon.worker.WorkerAssignment;
import io.averon.worker.WorkerReport;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.averon.driver.MetricsLog.fields;

/**
 * One training run of a job on a Spark context: it decides where to start (fresh, or resumed from a checkpoint), starts
 * the parameter server in the driver's JVM, and for each epoch has {@link EpochRounds} train it, checkpoints it,
 * evaluates it on the test set and has {@link EpochReport} report it; then it saves the final model. Everything a user
 * can get wrong (config, data, worker count, checkpoint) is checked before anything is written.
 */
public final class TrainingRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

    private final JavaSparkContext sc;
    private final JobSpec job;
    private RunOptions options;
    private final JobConfig config;
    private final Configuration hadoop;
    private final PrintStream out;
    private final ServerNetwork network;

    public TrainingRun(JavaSparkContext sc, JobSpec job, RunOptions options) {
        this.sc = sc;
        this.job = job;
        this.options = options;
        this.config = job.config();
        this.hadoop = sc.hadoopConfiguration();
        this.out = options.out();
        this.network = ServerNetwork.of(config, sc.getConf());
    }

    public RunResult run() throws IOException {
        int epochs = config.positive("train.epochs");
        int batch = config.positive("train.batch-size");
        int maxBatch = config.positive("ps.max-batch-size");
        if (batch > maxBatch) {
            throw new InputException("train.batch-size = " + batch + " is above ps.max-batch-size = " + maxBatch
                    + ": the parameter server would reject every gradient; raise ps.max-batch-size");
        }
        int configuredWorkers = config.nonNegative("train.workers");
        int workers = configuredWorkers == 0 ? sc.defaultParallelism() : configuredWorkers;
        long seed = config.longValue("train.seed");
        int keep = config.positive("checkpoint.keep");
        int everySteps = config.nonNegative("checkpoint.every-steps");
        long everyMillis = config.millis("checkpoint.every");
        long failureWindowMillis = config.millis("checkpoint.max-failure-window");
        int trainAccuracyExamples = config.nonNegative("train.train-accuracy-examples");
        int trainSize = job.train().size();
        int testSize = job.test().size();
        new EpochPlan(seed, 0, workers, trainSize);

        Network initial = job.model().instantiate();
        String fingerprint = ModelFingerprint.of(initial);

        Path runDir = runDirectory();
        String checkpointUri = config.string("checkpoint.dir").isEmpty()
                ? resumeCheckpointDirectory(runDir) : config.string("checkpoint.dir");
        CheckpointStore checkpoints = new CheckpointStore(checkpointUri, keep, hadoop);
        List<String> earlier = options.resume() == null ? checkpoints.list() : List.of();
        boolean restartedDriver = options.resume() == null && continuesAnEarlierDriver(runDir, earlier);
        if (restartedDriver && !earlier.isEmpty()) {
            options = new RunOptions(options.runDirectory(), runDir.toString(), options.out());
        }
        float[] initialParameters = job.initialParameters() != null ? job.initialParameters()
                : initial.parameters().toFloatVector();
        ResumePoint start = options.resume() == null ? ResumePoint.fresh(seed, initialParameters)
                : ResumePoint.from(resumeFrom(checkpoints, fingerprint), seed, workers, batch, epochs, out);
        seed = start.seed();
        int startEpoch = start.epoch();
        long stepInEpoch = start.stepInEpoch();
        float[] parameters = start.parameters();
        if (start.resumed()) {
            out.printf("resuming from %s: %d epoch(s) completed, step %d (%d into epoch %d)%n", start.location(),
                    startEpoch, start.step(), stepInEpoch, startEpoch + 1);
        }

        FileSystem fs = runDir.getFileSystem(hadoop);
        out.printf("run %s: %d workers, %d training / %d test examples, batch %d per worker, %d epochs, model %s%n",
                runDir, workers, trainSize, testSize, batch, epochs, fingerprint);
        out.printf("optimizer: %s%n", job.optimizer());
        out.print(DatasetReport.describe(job.train(), "training set"));
        out.print(DatasetReport.describe(job.test(), "test set"));
        checkLogBufferSpace(workers);
        long slotWaitMs = TaskSlots.await(sc.sc(), workers, config.millis("train.wait-for-slots"), out);

        Dl4jUpdateRule rule = new Dl4jUpdateRule(job.model(), parameters, start.updaterState());
        String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        List<EpochSummary> summaries = new ArrayList<>();
        float[] finalParameters;
        long finalStep;
        try (ParameterServer server = startServer(token, workers, parameters, start.step(), rule);
             RunLock lock = RunLock.acquire(fs, runDir, sc.sc().applicationId(), options.resume() != null || restartedDriver,
                     config.millis("run.lock-refresh"), config.millis("run.lock-stale"));
             MetricsLog metrics = openRunDirectory(fs, runDir);
             BackgroundCheckpoints writer = new BackgroundCheckpoints(checkpoints,
                     TimeUnit.MILLISECONDS.toNanos(failureWindowMillis), start.location());
             TrainingMetricsSource sparkMetrics = TrainingMetricsSource.register(server::stats)) {
            // Ctrl-C or a SIGTERM from the cluster manager must not leave the media driver's files in /dev/shm.
            out.println(network.describe(server.endpoint(), server.mtu(),
                    network.workerMedia(workersShareServerDriver())));
            Thread closeOnExit = new Thread(server::close, "averon-ps-shutdown");
            Runtime.getRuntime().addShutdownHook(closeOnExit);
            // One job group per run: the Spark UI lists its epochs and evaluations together, and cancelling the
            // group there stops the run's tasks (interrupting them, which the workers check at every step).
            sc.setJobGroup("averon " + runDir.getName(), "averon run " + runDir, true);
            try {
                metrics.write("start", fields("workers", workers, "train_examples", trainSize, "test_examples", testSize,
                        "batch_size", batch, "epochs", epochs, "start_epoch", startEpoch, "start_step", start.step(),
                        "model", fingerprint, "optimizer", job.optimizer(), "master", sc.master(), "wait_for_slots_s", slotWaitMs / 1000.0,
                        "class_names", job.classNames(),
                        "task", job.train().shape().segmentation() ? "segmentation" : "classification"));
                TestSetEvaluation evaluation = new TestSetEvaluation(sc, workers, 256);
                EarlyStopping stopping = new EarlyStopping(config.nonNegative("train.early-stopping-patience"),
                        config.number("train.early-stopping-min-delta"), start.bestScore(), start.epochsSinceBest());
                CheckpointSchedule schedule = new CheckpointSchedule(TimeUnit.MILLISECONDS.toNanos(everyMillis),
                        everySteps, System.nanoTime(), server.step());
                ServerState state = new ServerState(server, rule, config, writer::lastCommitted);
                EpochReport report = new EpochReport(out, metrics, job.train().shape().segmentation());
                EpochRounds rounds = new EpochRounds(sc, config, out, server, state, writer, schedule, stopping,
                        metrics, seed, workers, fingerprint);
                boolean stoppedBefore = start.resumed() && stepInEpoch == 0 && startEpoch > 0
                        && stopping.patience() > 0 && scoreResumedEpoch(evaluation, stopping, parameters, startEpoch,
                        epochs, metrics);
                for (int epoch = stoppedBefore ? epochs : startEpoch; epoch < epochs; epoch++) {
                    sparkMetrics.epochStarted(epoch + 1);
                    rule.epoch(epoch);
                    long epochStartStep = server.step() - (epoch == startEpoch ? stepInEpoch : 0);
                    EpochPlan plan = new EpochPlan(seed, epoch, workers, trainSize);
                    WorkerAssignment assignment = assignment(server, token, plan, batch, epochStartStep);
                    long t0 = System.nanoTime();
                    ServerStats before = server.stats();
                    List<WorkerReport> reports = rounds.train(assignment,
                            epoch == startEpoch ? start.missed() : MissedBatches.none(), epoch, epochs);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    // From the server, not the reports: after a stage retry the reports cover only the last attempt.
                    ServerStats after = server.stats();
                    long examples = after.examplesApplied() - before.examplesApplied();
                    long steps = server.step() - epochStartStep;
                    double trainLoss = EpochReport.trainLoss(reports);
                    ServerState.Snapshot snapshot = state.snapshot();
                    state.requireFinite(snapshot);
                    // Handed to the writer before the evaluation, which it overlaps: a failed evaluation or a driver
                    // lost during it does not lose the epoch. Early stopping's memory is that before this epoch's
                    // score; a resume re-evaluates nothing, so the checkpoint must already count this epoch.
                    CheckpointState epochState = new CheckpointState(epoch + 1, snapshot.step(), 0, seed, workers,
                            fingerprint, config.render(), stopping.best(), stopping.sinceBest());
                    writer.submit(new BackgroundCheckpoints.Snapshot(epochState, snapshot.parameters(),
                            snapshot.updaterState()));
                    schedule.taken(snapshot.step(), System.nanoTime());
                    sc.setJobDescription("averon epoch " + (epoch + 1) + "/" + epochs + " test-set evaluation");
                    ConfusionMatrix matrix = evaluation.evaluate(job.model(), snapshot.parameters(), job.test(),
                            job.pipeline());
                    double trainAccuracy = Double.NaN;
                    if (trainAccuracyExamples > 0) {
                        sc.setJobDescription("averon epoch " + (epoch + 1) + "/" + epochs + " train accuracy on "
                                + Math.min(trainAccuracyExamples, trainSize) + " training examples");
                        ConfusionMatrix train = evaluation.evaluate(job.model(), snapshot.parameters(),
                                FirstExamples.head(job.train(), trainAccuracyExamples), job.pipeline());
                        trainAccuracy = train.accuracy();
                    }
                    String location = writer.awaitCommitted(snapshot.step(), 60, TimeUnit.SECONDS);
                    if (location == null) {
                        location = "of step " + snapshot.step() + " not yet written (storage failing, retrying; last "
                                + "committed: " + writer.lastCommitted() + ")";
                    }
                    EpochSummary summary = new EpochSummary(epoch + 1, steps, examples, seconds, examples / seconds,
                            trainLoss, matrix.accuracy(), matrix.meanLoss(), trainAccuracy);
                    summaries.add(summary);
                    sparkMetrics.epochEnded(summary);
                    report.epochEnded(summary, epochs, matrix, reports, server.stats(),
                            after.stepTimes().minus(before.stepTimes()), location);
                    writeReport(fs, runDir);
                    boolean stopEarly = stopping.record(score(matrix), epoch == epochs - 1);
                    if (stopEarly) {
                        reportEarlyStop(epoch + 1, stopping, metrics);
                    }
                    if (epoch == epochs - 1 || stopEarly) {
                        out.print(matrix.render(job.classNames()));
                        if (job.train().shape().segmentation()) {
                            out.printf("pixel accuracy %.4f, mean IoU %.4f%n", matrix.accuracy(),
                                    matrix.meanIntersectionOverUnion());
                        }
                    }
                    if (stopEarly) {
                        break;
                    }
                }
                ServerState.Snapshot last = state.snapshot();
                finalParameters = last.parameters();
                finalStep = last.step();
                writer.flush();
                String model = saveModel(fs, runDir, last);
                metrics.write("end", fields("step", finalStep, "model", model));
                out.printf("report written to %s%n", writeReport(fs, runDir));
                out.printf("model saved to %s%n", model);
                return new RunResult(runDir.toString(), model, workers, summaries, finalStep, finalParameters);
            } finally {
                sc.clearJobGroup();
                removeShutdownHook(closeOnExit);
            }
        }
    }

    /**
     * An epoch's checkpoint is written before its evaluation, so it holds early stopping's memory of the epochs
     * before it: a run resumed from it scores that epoch again (the same parameters give the same score) and decides
     * as the uninterrupted run did.
     *
     * @return whether early stopping ends the run after that epoch
     */
    private boolean scoreResumedEpoch(TestSetEvaluation evaluation, EarlyStopping stopping, float[] parameters,
                                      int completedEpochs, int epochs, MetricsLog metrics) throws IOException {
        sc.setJobDescription("averon epoch " + completedEpochs + " test-set evaluation (scored again on resume)");
        ConfusionMatrix matrix = evaluation.evaluate(job.model(), parameters, job.test(), job.pipeline());
        double score = score(matrix);
        boolean stop = stopping.record(score, completedEpochs == epochs);
        out.printf("epoch %d scored again for early stopping: %s %.4f (best %.4f, %d epoch(s) without gain)%n",
                completedEpochs, scoreName(), score, stopping.best(), stopping.sinceBest());
        if (stop) {
            reportEarlyStop(completedEpochs, stopping, metrics);
        }
        return stop;
    }

    /** Early stopping's score of an epoch: mean IoU for segmentation, accuracy otherwise. */
    private double score(ConfusionMatrix matrix) {
        return job.train().shape().segmentation() ? matrix.meanIntersectionOverUnion() : matrix.accuracy();
    }

    private String scoreName() {
        return job.train().shape().segmentation() ? "mean IoU" : "accuracy";
    }

    private void reportEarlyStop(int epoch, EarlyStopping stopping, MetricsLog metrics) throws IOException {
        out.printf("early stopping after epoch %d: no %s gain above %.4f for %d epoch(s) (best %.4f)%n", epoch,
                scoreName(), stopping.minDelta(), stopping.patience(), stopping.best());
        metrics.write("early_stop", fields("epoch", epoch, "best", stopping.best()));
    }

    private WorkerAssignment assignment(ParameterServer server, String token, EpochPlan plan, int batch,
                                        long epochStartStep) {
        String aeronDir = workersShareServerDriver() ? server.aeronDirectory() : null;
        return new WorkerAssignment(server.endpoint(), token, aeronDir, job.model(), job.train(), job.pipeline(), plan,
                batch, epochStartStep, config.millis("ps.connect-timeout"), config.millis("ps.response-timeout"),
                network.workerTransport((int) config.bytes("ps.term-length"), (int) config.bytes("ps.chunk-bytes")),
                job.teacher());
    }

    /** Workers in the driver's JVM (Spark local mode) use the server's media driver unless configured not to. */
    private boolean workersShareServerDriver() {
        return sc.isLocal() && config.flag("ps.share-media-driver-in-local-mode");
    }

    /** Fails before anything starts when /dev/shm cannot hold the media drivers' log buffers; reports the need. */
    private void checkLogBufferSpace(int workers) {
        int term = (int) config.bytes("ps.term-length");
        boolean shared = workersShareServerDriver();
        long server = LogBufferSpace.serverBytes(workers, term) + (shared ? workers * LogBufferSpace.workerBytes(term) : 0);
        File dir = LogBufferSpace.defaultDirectory();
        long free;
        try {
            free = LogBufferSpace.check(shared ? "the driver (parameter server and " + workers + " local workers)"
                    : "the parameter server for " + workers + " workers", server, dir);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
        out.printf("%s: driver needs %d MiB%s (%d MiB free here)%n", dir, server >> 20,
                shared ? "" : ", each executor " + (LogBufferSpace.workerBytes(term) >> 20) + " MiB per worker",
                free >> 20);
    }

    /** A full ps.port range is a setting for the user to widen (or ports to free): reported as bad input. */
    private ParameterServer startServer(String token, int workers, float[] parameters, long startStep,
                                        Dl4jUpdateRule rule) {
        try {
            return ParameterServer.start(serverConfig(token, workers), parameters, startStep, rule);
        } catch (NoFreePortException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    /**
     * The run's first write, once every check has passed and the server holds its port: a run refused before
     * training leaves no directory behind (nor, on resume, a job.conf that no training followed).
     */
    private MetricsLog openRunDirectory(FileSystem fs, Path runDir) throws IOException {
        fs.mkdirs(runDir);
        writeText(fs, new Path(runDir, "job.conf"), config.render());
        return new MetricsLog(reopen(fs, new Path(runDir, "metrics.jsonl")));
    }

    /** The server's bounds come from the run: worker ids are the barrier stage's partitions 0 .. workers-1. */
    private ParameterServerConfig serverConfig(String token, int workers) {
        return network.serverConfig(network.workerMedia(workersShareServerDriver()), token, workers, config);
    }

    /** The report is for people: failing to write it is logged and never stops training. */
    private String writeReport(FileSystem fs, Path runDir) {
        try {
            return TrainingReport.write(fs, runDir);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not write {} in {}: {}", TrainingReport.NAME, runDir, e.toString());
            return "(not written: " + e.getMessage() + ")";
        }
    }

    private String saveModel(FileSystem fs, Path runDir, ServerState.Snapshot last) throws IOException {
        Network net = job.model().instantiate();
        net.parameters().assign(Nd4j.createFromArray(last.parameters()).reshape(net.parameters().shape()));
        if (last.updaterState().length > 0) {
            net.updater().getStateViewArray().assign(
                    Nd4j.createFromArray(last.updaterState()).reshape(net.updater().getStateViewArray().shape()));
        }
        net.iterationAndEpoch((int) last.step(), 0);
        Path target = new Path(runDir, "model.zip");
        Path temporary = new Path(runDir, "_model.zip.tmp");
        try (FSDataOutputStream stream = fs.create(temporary, true)) {
            net.save(stream);
        }
        AtomicRename.over(fs, temporary, target);
        return target.toString();
    }

    private Path runDirectory() throws IOException {
        if (options.runDirectory() != null) {
            return new Path(options.runDirectory());
        }
        String resume = options.resume();
        if (resume != null && !resume.isEmpty()) {
            Path dir = new Path(resume);
            FileSystem fs = dir.getFileSystem(hadoop);
            if (!fs.exists(dir)) {
                throw new InputException("--resume " + resume + ": no such directory");
            }
            return fs.exists(new Path(dir, "checkpoints")) ? dir : dir.getParent();
        }
        Path root = runRoot();
        if (resume != null) {
            return latestRun(root).orElseThrow(() -> new InputException("--resume: no earlier run of "
                    + config.string("job.name") + " under " + root + " (name a run directory: --resume DIR)"));
        }
        // The submission's time when spark-submit recorded it: every attempt of one submission (a YARN re-attempt, a
        // supervised restart) then names the same directory and can resume it.
        LocalDateTime submitted = sc.getConf().getOption("spark.app.submitTime")
                .map(ms -> LocalDateTime.ofInstant(java.time.Instant.ofEpochMilli(Long.parseLong(ms)),
                        java.time.ZoneId.systemDefault()))
                .getOrElse(LocalDateTime::now);
        String stamp = submitted.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return new Path(root, config.string("job.name") + "-" + stamp);
    }

    private Path runRoot() throws IOException {
        String configured = config.string("run.root").trim();
        if (!configured.isEmpty()) {
            return new Path(configured);
        }
        FileSystem defaultFs = FileSystem.get(hadoop);
        return "file".equals(defaultFs.getUri().getScheme()) ? new Path("runs")
                : new Path(defaultFs.getHomeDirectory(), "averon/runs");
    }

    /**
     * Whether this driver takes over a run an earlier driver left in its run directory. A restart (see
     * {@link DriverAttempt}) does when the directory holds its predecessor's lock (a driver killed) or checkpoints (a
     * driver that failed, releasing its lock); a plain new submission never does, and is refused when the directory
     * holds checkpoints, which a new run would mix with its own. A lock without checkpoints is left to
     * {@link RunLock}, which tells a live run from a dead one.
     */
    private boolean continuesAnEarlierDriver(Path runDir, List<String> earlier) throws IOException {
        boolean locked = runDir.getFileSystem(hadoop).exists(new Path(runDir, RunLock.NAME));
        if (!locked && earlier.isEmpty()) {
            return false;
        }
        if (DriverAttempt.mayBeARestart(sc.getConf(), sc.sc().applicationAttemptId(), config)) {
            out.printf("restarted driver: %s %s; %s%n", runDir, locked ? "holds the lock of a driver that is gone"
                    : "holds the checkpoints of an earlier driver that failed", earlier.isEmpty()
                    ? "it left no checkpoint, so the run starts over" : "resuming its run");
            return true;
        }
        if (!earlier.isEmpty() && !locked) {
            throw new InputException("run directory " + runDir + " already holds checkpoints of an earlier run (newest "
                    + earlier.get(earlier.size() - 1) + "): continue it with --resume " + runDir + ", or train into "
                    + "another --run-dir; a new run into it would mix its checkpoints with the earlier run's");
        }
        return false;
    }

    private String resumeCheckpointDirectory(Path runDir) throws IOException {
        String resume = options.resume();
        if (resume != null && !resume.isEmpty()) {
            Path dir = new Path(resume);
            FileSystem fs = dir.getFileSystem(hadoop);
            if (!fs.exists(new Path(dir, "checkpoints"))) {
                return dir.toString();
            }
        }
        return new Path(runDir, "checkpoints").toString();
    }

    private Optional<Path> latestRun(Path root) throws IOException {
        FileSystem fs = root.getFileSystem(hadoop);
        if (!fs.exists(root)) {
            return Optional.empty();
        }
        String prefix = config.string("job.name") + "-";
        return Arrays.stream(fs.listStatus(root))
                .filter(FileStatus::isDirectory)
                .map(FileStatus::getPath)
                .filter(p -> p.getName().startsWith(prefix))
                .max((a, b) -> a.getName().compareTo(b.getName()));
    }

    private Checkpoint resumeFrom(CheckpointStore checkpoints, String fingerprint) throws IOException {
        Checkpoint checkpoint = options.resume().isEmpty()
                ? checkpoints.loadNewestValid().orElseThrow(() -> new InputException(
                        "--resume: no valid checkpoint in " + checkpoints.directory()))
                : checkpoints.requireNewestValid();
        if (!checkpoint.state().modelFingerprint().equals(fingerprint)) {
            throw new InputException("checkpoint " + checkpoint.location() + " is from another model ("
                    + checkpoint.state().modelFingerprint() + "); this job's model is " + fingerprint);
        }
        return checkpoint;
    }

    /**
     * Opens a file for appending, keeping what an earlier invocation (before a resume) wrote. The earlier lines are
     * copied into a new file that then replaces the old one in one rename, so a driver lost meanwhile loses nothing;
     * the open stream follows the file through the rename.
     */
    private static FSDataOutputStream reopen(FileSystem fs, Path file) throws IOException {
        FileSystem writer = MetricsLog.fileSystem(fs);
        // Rewrite instead of FileSystem.append: the local checksummed filesystem does not support append.
        if (!writer.exists(file)) {
            return writer.create(file, false);
        }
        byte[] earlier;
        try (var in = writer.open(file)) {
            earlier = in.readAllBytes();
        }
        Path temporary = new Path(file.getParent(), "_" + file.getName() + ".tmp");
        FSDataOutputStream stream = writer.create(temporary, true);
        stream.write(earlier);
        stream.hflush();
        AtomicRename.over(fs, temporary, file);
        if (fs instanceof org.apache.hadoop.fs.ChecksumFileSystem checksummed) {
            // A checksum written by an older version would no longer match the file.
            checksummed.getRawFileSystem().delete(checksummed.getChecksumFile(file), false);
        }
        return stream;
    }

    private static void writeText(FileSystem fs, Path file, String text) throws IOException {
        try (FSDataOutputStream stream = fs.create(file, true)) {
            stream.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting and runs the hook
        }
    }


}
