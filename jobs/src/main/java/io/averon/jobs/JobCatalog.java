package io.averon.jobs;

import io.averon.driver.JobSpec;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.models.ModelCatalog;
import io.averon.worker.ModelDefinition;
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
    public static final List<String> BUILT_IN = List.of("fashion-mnist-lenet");


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

    /** Builds the job: plans its datasets (listing and counting, no decoding) and builds its network. */
    public static JobSpec spec(JobConfig config) throws IOException {
        SourceIndex train = DatasetCatalog.train(config).index();
        SourceIndex test = DatasetCatalog.test(config).index();
        DataShape shape = train.shape();
        if (!shape.classNames().equals(test.shape().classNames()) || shape.segmentation() != test.shape().segmentation()) {
            throw new InputException("test set " + test.name() + " has classes " + test.shape().classNames()
                    + " but training set " + train.name() + " has " + shape.classNames());
        }
        ModelDefinition model = ModelCatalog.build(config, shape.channels(), shape.height(), shape.width(),
                shape.classes());
        return new JobSpec(config.string("job.name"), model, train, test, PipelineCatalog.settings(config, train),
                config);
    }
}
