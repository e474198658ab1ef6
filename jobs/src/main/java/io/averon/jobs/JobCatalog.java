package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.driver.JobSpec;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.models.ModelCatalog;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Network;
import io.averon.worker.Teacher;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.InputException;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Finds a job by name (a config shipped under {@code conf/jobs/}) or by path (any {@code .conf} file) and builds
 * it into a {@link JobSpec}: the network from its model block, the data from its dataset block.
 */
public final class JobCatalog {
    /** Jobs shipped with Averon. */
    public static final List<String> BUILT_IN = List.of("fashion-mnist-lenet", "fashion-mnist-lenet5",
            "fashion-mnist-alexnet", "fashion-mnist-zfnet", "fashion-mnist-vgg16", "fashion-mnist-vgg19",
            "fashion-mnist-googlenet", "fashion-mnist-resnet18", "fashion-mnist-resnet34", "fashion-mnist-resnet50",
            "fashion-mnist-resnet101", "fashion-mnist-densenet121", "fashion-mnist-lstm", "shapes-fcn8s", "shapes-unet",
            "shapes-deeplabv3plus", "shapes-pspnet");


    private JobCatalog() {
    }

    /** Loads a job's configuration: a built-in job name, or a path to a .conf file. */
    public static JobConfig config(String job, List<String> overrides) {
        File file = new File(job);
        if (file.isFile()) {
            return JobConfig.loadFile(file, overrides);
        }
        String resource = "jobs/" + job + ".conf";
        try (InputStream in = JobCatalog.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                JobConfig remote = JobFiles.find(job, overrides);
                if (remote != null) {
                    return remote;
                }
                throw new InputException("unknown job '" + job + "': not a local file, not a file on the default "
                        + "filesystem, not a file shipped with --files, and not one of " + BUILT_IN
                        + " (see conf/jobs/)");
            }
            return JobConfig.load(new String(in.readAllBytes(), StandardCharsets.UTF_8), "conf/" + resource, overrides);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + " from the jar", e);
        }
    }

    /** Builds the job for the worker count it names (train.workers, at least 1). */
    public static JobSpec spec(JobConfig config, HadoopSettings hadoop) throws IOException {
        return spec(config, Math.max(1, config.nonNegative("train.workers")), hadoop);
    }

    /**
     * Builds the job: plans its datasets (listing and counting, no decoding) and builds its network for
     * {@code workers} workers (the global batch the learning-rate scaling rule sees), from scratch or from a saved
     * model, with its distillation teacher if it has one.
     *
     * @param hadoop the run's Hadoop settings ({@code HadoopSettings.of(sc.hadoopConfiguration())}): every dataset
     *               and model is read with them, on the driver and on the executors
     */
    public static JobSpec spec(JobConfig config, int workers, HadoopSettings hadoop) throws IOException {
        return spec(config, workers, hadoop, null);
    }

    /**
     * As {@link #spec(JobConfig, int, HadoopSettings)}, training {@code network} (a caller's own configuration) in
     * place of the job's {@code model.architecture} when it is not null: it must take the dataset's images and predict
     * its classes, which is checked here with one forward pass rather than at the first step on an executor.
     */
    public static JobSpec spec(JobConfig config, int workers, HadoopSettings hadoop, ModelDefinition network)
            throws IOException {
        SourceIndex train = DatasetCatalog.train(config, hadoop).index();
        SourceIndex test = DatasetCatalog.test(config, hadoop).index();
        DataShape shape = train.shape();
        if (!shape.classNames().equals(test.shape().classNames()) || shape.segmentation() != test.shape().segmentation()) {
            throw new InputException("test set " + test.name() + " has classes " + test.shape().classNames()
                    + " but training set " + train.name() + " has " + shape.classNames());
        }
        String teacherPath = config.string("distill.teacher");
        Teacher teacher = null;
        if (!teacherPath.isEmpty()) {
            Network t = SavedModels.read(teacherPath, "distill.teacher", hadoop);
            long outputs = t.output(org.nd4j.linalg.factory.Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, 1,
                    shape.channels(), shape.height(), shape.width())).size(1);
            if (outputs != shape.classes()) {
                throw new InputException("distill.teacher " + teacherPath + " predicts " + outputs + " classes, the "
                        + "dataset has " + shape.classes());
            }
            teacher = new Teacher(t.definition(), t.parameters().toFloatVector());
        }
        String initFrom = config.string("model.init-from");
        ModelDefinition model;
        float[] initial = null;
        if (network != null) {
            if (!initFrom.isEmpty()) {
                throw new InputException("model.init-from = " + initFrom + " and a network given in code: choose one");
            }
            model = network;
            requireFits(network, shape);
        } else if (initFrom.isEmpty()) {
            model = ModelCatalog.build(config, shape, workers,
                    shape.segmentation() ? null : classCounts(train), teacher != null);
        } else {
            Network tuned = ModelCatalog.fineTuned(config, SavedModels.read(initFrom, "model.init-from", hadoop), shape,
                    workers);
            model = tuned.definition();
            initial = tuned.parameters().toFloatVector();
        }
        String optimizer = network != null ? "the updater of the network given in code, global batch "
                + workers * config.positive("train.batch-size") : ModelCatalog.describeOptimizer(config, workers);
        return new JobSpec(config.string("job.name"), model, initial, train, test,
                PipelineCatalog.settings(config, train), teacher, config, optimizer);
    }

    private static void requireFits(ModelDefinition network, DataShape shape) {
        long outputs;
        try {
            outputs = network.instantiate().output(org.nd4j.linalg.factory.Nd4j.zeros(
                    org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, shape.channels(), shape.height(), shape.width()))
                    .size(1);
        } catch (RuntimeException e) {
            throw new InputException("the network given in code does not take the dataset's " + shape.channels() + "x"
                    + shape.height() + "x" + shape.width() + " images: " + e.getMessage(), e);
        }
        if (!shape.segmentation() && outputs != shape.classes()) {
            throw new InputException("the network given in code predicts " + outputs + " classes, the dataset has "
                    + shape.classes() + " " + shape.classNames());
        }
    }

    private static long[] classCounts(SourceIndex index) {
        long[] counts = new long[index.shape().classes()];
        for (int i = 0; i < index.size(); i++) {
            counts[index.label(i)]++;
        }
        return counts;
    }
}
