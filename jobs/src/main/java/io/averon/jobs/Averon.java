package io.averon.jobs;

import io.averon.driver.BarrierTimer;
import io.averon.driver.HadoopSettings;
import io.averon.driver.JobSpec;
import io.averon.driver.RunOptions;
import io.averon.driver.RunResult;
import io.averon.driver.SparkSetup;
import io.averon.driver.TestSetEvaluation;
import io.averon.driver.TrainingRun;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.models.ModelCatalog;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.InputException;
import org.apache.spark.api.java.JavaSparkContext;
import io.averon.worker.Network;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;

/**
 * The {@code averon} command: {@code train} and {@code evaluate} a job, list jobs, print the configuration schema.
 * The same main class runs from the launcher (Spark local, embedded Aeron) and under {@code spark-submit --class}.
 * User errors print one line and exit with status 2; failures exit with status 1.
 */
public final class Averon {
    private static final Logger LOG = LoggerFactory.getLogger(Averon.class);

    private Averon() {
    }

    /** System property the {@code averon} launcher sets: it wants the 0/1/2 exit status. */
    static final String LAUNCHER_PROPERTY = "averon.launcher";

    /**
     * Under the launcher, exits with the command's status. Under spark-submit (client or cluster mode, standalone,
     * YARN or Kubernetes) it returns normally on success, so the cluster manager reports SUCCEEDED, and throws
     * Spark's user-application exception carrying the status on failure: spark-submit exits with that status and YARN
     * reports FAILED, without a stack trace for a user error (the one-line message is already on stderr).
     */
    public static void main(String[] args) throws org.apache.spark.SparkUserAppException {
        int status = run(args, System.out, System.err);
        // In local mode the tasks ran in this JVM, and Spark leaves a non-daemon thread behind from barrier stages
        // ("Barrier task timer for barrier() calls."): spark-submit --master local[*] would never return.
        if (Boolean.getBoolean(LAUNCHER_PROPERTY) || isLocalMaster(args)) {
            System.exit(status);
        }
        if (status != 0) {
            throw new org.apache.spark.SparkUserAppException(status);
        }
    }

    /** The master this invocation runs on is local: --master, else spark-submit's, else the jobs' default local[*]. */
    static boolean isLocalMaster(String[] args) {
        String master = System.getProperty("spark.master", "local[*]");
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--master")) {
                master = args[i + 1];
            }
        }
        return master.startsWith("local");
    }

    /** Runs one command; returns the process exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length > 0 && args[0].equals("generate-shapes")) {
                generateShapes(args, out);
                return 0;
            }
            CommandLine cli = CommandLine.parse(args);
            switch (cli.command()) {
                case "help" -> out.println(CommandLine.USAGE);
                case "jobs" -> JobCatalog.BUILT_IN.forEach(out::println);
                case "models" -> ModelCatalog.names().forEach(out::println);
                case "config" -> out.print(new String(JobConfig.class.getClassLoader()
                        .getResourceAsStream(JobConfig.DEFAULTS_RESOURCE).readAllBytes()));
                case "train" -> train(cli, out);
                case "evaluate" -> evaluate(cli, out);
                case "prepare" -> prepare(cli, out);
                case "report" -> report(cli, out);
                default -> throw new IllegalStateException(cli.command());
            }
            return 0;
        } catch (InputException e) {
            err.println("averon: error: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            InputException input = userError(e);
            if (input != null) {
                err.println("averon: error: " + input.getMessage());
                return 2;
            }
            LOG.error("averon failed", e);
            err.println("averon: failed: " + e.getMessage());
            return 1;
        }
    }

    private static InputException userError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InputException input) {
                return input;
            }
        }
        return null;
    }

    /** Trains and returns the result (also used by tests and benchmarks): the command line over {@link AveronJob}. */
    public static RunResult train(CommandLine cli, PrintStream out) throws IOException {
        AveronJob job = AveronJob.of(cli.job()).settings(cli.overrides()).console(out)
                .runDirectory(cli.runDirectory());
        if (cli.resume() != null) {
            job = cli.resume().isEmpty() ? job.resumeLatest() : job.resumeFrom(cli.resume());
        }
        return job.run(cli.master()).run();
    }

    /** {@code averon generate-shapes <dir> [--train N] [--test N] [--size S] [--seed N]}. */
    private static void generateShapes(String[] args, PrintStream out) throws IOException {
        String dir = null;
        int train = 1000;
        int test = 200;
        int size = 64;
        long seed = 1;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--")) {
                if (i + 1 >= args.length || !args[i + 1].matches("\\d+")) {
                    throw new InputException(a + " needs a whole number");
                }
                int v = Integer.parseInt(args[++i]);
                switch (a) {
                    case "--train" -> train = v;
                    case "--test" -> test = v;
                    case "--size" -> size = v;
                    case "--seed" -> seed = v;
                    default -> throw new InputException("unknown option " + a + " (generate-shapes takes --train, "
                            + "--test, --size, --seed)");
                }
            } else if (dir == null) {
                dir = a;
            } else {
                throw new InputException("unexpected argument '" + a + "'");
            }
        }
        if (dir == null) {
            throw new InputException("averon generate-shapes needs an output directory");
        }
        if (size < 16 || train < 1 || test < 1) {
            throw new InputException("generate-shapes needs --size >= 16 and at least one training and test image");
        }
        // No Spark context here, so no spark.hadoop.* either: the JVM's own Hadoop files decide where dir is.
        new io.averon.jobs.data.ShapesDataset(size, seed).write(dir, train, test, HadoopSettings.none());
        out.printf("wrote %d training and %d test %dx%d shape images with masks (classes %s) to %s%n", train, test,
                size, size, io.averon.jobs.data.ShapesDataset.CLASSES, dir);
    }

    private static void prepare(CommandLine cli, PrintStream out) throws IOException {
        JobConfig config = JobCatalog.config(cli.job(), cli.overrides());
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.sparkConf(config, cli.master()))) {
            new DatasetPreparation(sc, config, out).prepare(cli.output());
        }
    }

    /** The run directory may be on any Hadoop filesystem the default configuration (HADOOP_CONF_DIR) reaches. */
    private static void report(CommandLine cli, PrintStream out) throws IOException {
        org.apache.hadoop.fs.Path runDir = new org.apache.hadoop.fs.Path(cli.job());
        org.apache.hadoop.fs.FileSystem fs = runDir.getFileSystem(new org.apache.hadoop.conf.Configuration());
        if (!fs.isDirectory(runDir)) {
            throw new InputException("averon report: " + runDir + " is not a directory");
        }
        out.println("report written to " + io.averon.driver.TrainingReport.write(fs, runDir));
    }

    private static void evaluate(CommandLine cli, PrintStream out) throws IOException {
        JobConfig config = JobCatalog.config(cli.job(), cli.overrides());
        String modelPath = cli.model() != null ? cli.model()
                : cli.runDirectory() != null ? cli.runDirectory() + "/model.zip" : null;
        if (modelPath == null) {
            throw new InputException("averon evaluate needs --model PATH or --run-dir DIR");
        }
        try (JavaSparkContext sc = new JavaSparkContext(SparkSetup.sparkConf(config, cli.master()))) {
            // Planned inside the context so that spark.hadoop.* reach the dataset and the model.
            HadoopSettings hadoop = HadoopSettings.of(sc.hadoopConfiguration());
            JobSpec job = JobCatalog.spec(config, hadoop);
            Network net = SavedModels.read(modelPath, "model", hadoop);
            int shards = Math.max(1, sc.defaultParallelism());
            ConfusionMatrix matrix = new TestSetEvaluation(sc, shards, 256)
                    .evaluate(net.definition(), net.parameters().toFloatVector(), job.test(),
                            job.pipeline());
            out.printf("%s on %s: accuracy %.4f, loss %.4f over %d examples%s%n", modelPath, job.test().name(),
                    matrix.accuracy(), matrix.meanLoss(), matrix.total(), job.test().shape().segmentation()
                            ? String.format(" (pixels), mean IoU %.4f", matrix.meanIntersectionOverUnion())
                            : String.format(", top-5 accuracy %.4f", matrix.topFiveAccuracy()));
            out.print(matrix.render(job.classNames()));
        }
    }
}
