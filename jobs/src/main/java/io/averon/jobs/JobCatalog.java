package io.averon.jobs;

import io.averon.driver.JobSpec;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.data.FashionMnist;
import io.averon.jobs.data.IdxExampleSource;
import io.averon.jobs.models.ModelCatalog;
import io.averon.worker.ExampleSource;
import io.averon.worker.ModelDefinition;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.FirstExamples;
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
    public static final List<String> BUILT_IN = List.of("fashion-mnist-lenet");

    private static final String[] FASHION_CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
        "Shirt", "Sneaker", "Bag", "Ankle boot"};

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
                throw new InputException("unknown job '" + job + "': not a file, and not one of " + BUILT_IN
                        + " (see conf/jobs/)");
            }
            return JobConfig.load(new String(in.readAllBytes(), StandardCharsets.UTF_8), "conf/" + resource, overrides);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource + " from the jar", e);
        }
    }

    /** Builds the job: network and datasets. Reads only file headers. */
    public static JobSpec spec(JobConfig config) throws IOException {
        config.oneOf("dataset.format", "idx");
        int classes = config.positive("dataset.num-classes");
        String dir = config.string("dataset.dir");
        if (dir.equals(FashionMnist.DEFAULT_DIRECTORY)) {
            // The default location falls back to the launcher's download cache when the Debian package is absent.
            dir = FashionMnist.locate(dir).directory();
        }
        ExampleSource train = new IdxExampleSource(join(dir, config.string("dataset.train-images")),
                join(dir, config.string("dataset.train-labels")), classes);
        ExampleSource test = new IdxExampleSource(join(dir, config.string("dataset.test-images")),
                join(dir, config.string("dataset.test-labels")), classes);
        int trainLimit = config.nonNegative("dataset.train-limit");
        int testLimit = config.nonNegative("dataset.test-limit");
        if (trainLimit > 0) {
            train = new FirstExamples(train, trainLimit);
        }
        if (testLimit > 0) {
            test = new FirstExamples(test, testLimit);
        }
        SourceIndex trainIndex = train.index();
        SourceIndex testIndex = test.index();
        DataShape shape = trainIndex.shape();
        ModelDefinition model = ModelCatalog.build(config, shape.channels(), shape.height(), shape.width(),
                shape.classes());
        return new JobSpec(config.string("job.name"), model, trainIndex, testIndex,
                PipelineSettings.plain(shape), config);
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
}
