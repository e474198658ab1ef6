package io.averon.jobs;

import io.averon.driver.BarrierTimer;
import io.averon.driver.HadoopSettings;
import io.averon.driver.JobSpec;
import io.averon.driver.RunOptions;
import io.averon.driver.SparkSetup;
import io.averon.driver.TrainingRun;
import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.ModelDefinition;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A training job built in code, the Java API behind the {@code averon train} command: start from a built-in job, a
 * job file or HOCON text, change what differs (every key of {@code conf/averon-defaults.conf} through {@link #set},
 * the common ones through named methods, the network itself through {@link #model}), and {@link #run} it, on a Spark
 * context of the caller's ({@code job.run(spark.sparkContext())}) or on one it starts. Instances are immutable: each
 * method returns a changed copy, so one base job can be varied safely. Settings are checked against the schema when
 * the job runs (or {@link #config()} is called), and a bad one fails with an {@link InputException} naming the key.
 *
 * <pre>{@code
 * TrainingResult result = AveronJob.of("fashion-mnist-lenet")
 *         .epochs(5).batchSize(64).workers(2)
 *         .optimizer("adam", 1e-3)
 *         .set("dataset.dir", "hdfs://namenode:8020/data/fashion-mnist")
 *         .run(spark.sparkContext());
 * MultiLayerNetwork trained = result.multiLayerNetwork();
 * }</pre>
 */
public final class AveronJob {
    private final String job;
    private final boolean text;
    private final List<String> overrides;
    private final ModelDefinition model;
    private final String runDirectory;
    private final String resume;
    private final PrintStream console;

    private AveronJob(String job, boolean text, List<String> overrides, ModelDefinition model, String runDirectory,
                      String resume, PrintStream console) {
        this.job = job;
        this.text = text;
        this.overrides = List.copyOf(overrides);
        this.model = model;
        this.runDirectory = runDirectory;
        this.resume = resume;
        this.console = console;
    }

    /** A built-in job ({@code averon jobs} lists them) or the path of a job file, local or on the default filesystem. */
    public static AveronJob of(String jobNameOrFile) {
        return new AveronJob(Objects.requireNonNull(jobNameOrFile, "job"), false, List.of(), null, null, null,
                System.out);
    }

    /** A job written as HOCON text, over the defaults of {@code conf/averon-defaults.conf}. */
    public static AveronJob fromConfig(String hocon) {
        return new AveronJob(Objects.requireNonNull(hocon, "hocon"), true, List.of(), null, null, null, System.out);
    }

    /** Sets any configuration key, as {@code --set key=value} does; a later setting of the same key wins. */
    public AveronJob set(String key, Object value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value of " + key);
        List<String> all = new ArrayList<>(overrides);
        all.add(key + "=" + value);
        return new AveronJob(job, text, all, model, runDirectory, resume, console);
    }

    /** Sets keys given as {@code key=value} strings, as {@code --set} takes them, in order. */
    public AveronJob settings(List<String> keyValues) {
        List<String> all = new ArrayList<>(overrides);
        all.addAll(keyValues);
        return new AveronJob(job, text, all, model, runDirectory, resume, console);
    }

    public AveronJob epochs(int epochs) {
        return set("train.epochs", epochs);
    }

    /** Examples per worker per step; the global batch is this times the worker count. */
    public AveronJob batchSize(int perWorker) {
        return set("train.batch-size", perWorker);
    }

    /** Data-parallel workers (0 = one per task slot of the Spark context). */
    public AveronJob workers(int workers) {
        return set("train.workers", workers);
    }

    /** A zoo architecture by name ({@code averon models} lists them). */
    public AveronJob architecture(String name) {
        return set("model.architecture", name);
    }

    /** The optimizer the parameter server applies (see {@code model.updater}) and its learning rate. */
    public AveronJob optimizer(String name, double learningRate) {
        return set("model.updater", name).set("model.learning-rate", learningRate);
    }

    /** Where the dataset is: any Hadoop filesystem URI. */
    public AveronJob dataset(String directory) {
        return set("dataset.dir", directory);
    }

    /**
     * Trains this network instead of the job's {@code model.architecture}, with the updater, regularisation and
     * initialisation its configuration names. Its input must take the dataset's images and its output predict the
     * dataset's classes.
     */
    public AveronJob model(MultiLayerConfiguration configuration) {
        return new AveronJob(job, text, overrides, ModelDefinition.of(configuration), runDirectory, resume, console);
    }

    /** As {@link #model(MultiLayerConfiguration)}, for a graph with the images as its one input. */
    public AveronJob model(ComputationGraphConfiguration configuration) {
        return new AveronJob(job, text, overrides, ModelDefinition.of(configuration), runDirectory, resume, console);
    }

    /** Where the run writes metrics.jsonl, report.html, model.zip and checkpoints/ (default: a new directory). */
    public AveronJob runDirectory(String directory) {
        return new AveronJob(job, text, overrides, model, directory, resume, console);
    }

    /** Continues the run in this directory from its newest valid checkpoint (as {@code --resume DIR}). */
    public AveronJob resumeFrom(String directory) {
        return new AveronJob(job, text, overrides, model, runDirectory, Objects.requireNonNull(directory), console);
    }

    /** Continues this job's latest run under {@code run.root} from its newest valid checkpoint (as {@code --resume}). */
    public AveronJob resumeLatest() {
        return new AveronJob(job, text, overrides, model, runDirectory, "", console);
    }

    /** Where the run's progress lines go (default: standard output). */
    public AveronJob console(PrintStream out) {
        return new AveronJob(job, text, overrides, model, runDirectory, resume, Objects.requireNonNull(out));
    }

    /** The job's effective configuration: the job, then every {@link #set} in order, over the defaults. */
    public JobConfig config() {
        return text ? JobConfig.load(job, "the job's configuration text", overrides)
                : JobCatalog.config(job, overrides);
    }

    /**
     * The Spark configuration this job runs best with: the executors' JVM options for Aeron, Kryo with Averon's
     * registrator, the memory overhead for ND4J's off-heap arrays. Start a session of one's own from it, or compare
     * it with an existing session's.
     *
     * @param master the Spark master, or null for spark-submit's or the job's {@code spark.master}
     */
    public SparkConf sparkConf(String master) {
        return SparkSetup.sparkConf(config(), master);
    }

    /** Runs on the caller's Spark context, which stays open (for a SparkSession: {@code spark.sparkContext()}). */
    public TrainingResult run(SparkContext sc) throws IOException {
        return run(JavaSparkContext.fromSparkContext(sc), config());
    }

    /** Runs on a Spark context of its own, made from {@link #sparkConf} (spark-submit's settings win), then closed. */
    public TrainingResult run() throws IOException {
        return run((String) null);
    }

    /** As {@link #run()}, on the given master (for example {@code local[2]}). */
    public TrainingResult run(String master) throws IOException {
        JobConfig config = config();
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.sparkConf(config, master))) {
            return run(sc, config);
        }
    }

    private TrainingResult run(JavaSparkContext sc, JobConfig config) throws IOException {
        SparkSetup.requireUsable(sc.getConf());
        // The worker count sets the global batch, which the learning-rate scaling rule needs.
        int configured = config.nonNegative("train.workers");
        HadoopSettings hadoop = HadoopSettings.of(sc.hadoopConfiguration());
        JobSpec spec = JobCatalog.spec(config, configured == 0 ? sc.defaultParallelism() : configured, hadoop, model);
        try {
            return new TrainingResult(new TrainingRun(sc, spec, new RunOptions(runDirectory, resume, console)).run(),
                    hadoop);
        } finally {
            BarrierTimer.release(sc.sc());
        }
    }
}
