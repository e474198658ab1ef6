package io.averon.jobs;

import io.averon.driver.config.JobConfig;
import io.averon.jobs.models.ModelCatalog;
import io.averon.worker.ModelDefinition;
import io.averon.worker.Network;
import io.averon.worker.data.DataShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every job shipped in conf/jobs/ is listed by {@code averon jobs}, passes the configuration schema (no unknown key,
 * no wrong type) and builds its network for the data it names, which maps a batch of that data to class scores.
 */
class BuiltInJobsTest {

    static List<String> jobs() {
        return JobCatalog.BUILT_IN;
    }

    @Test
    void theCatalogListsExactlyTheShippedConfigs() {
        String[] files = new File("../conf/jobs").list((dir, name) -> name.endsWith(".conf"));
        assertTrue(files != null && files.length > 0, "conf/jobs/ holds job configs");
        TreeSet<String> shipped = new TreeSet<>();
        for (String f : files) {
            shipped.add(f.substring(0, f.length() - ".conf".length()));
        }
        assertEquals(shipped, new TreeSet<>(JobCatalog.BUILT_IN));
    }

    @ParameterizedTest
    @MethodSource("jobs")
    void jobLoadsAndItsNetworkFitsItsData(String job) {
        JobConfig config = JobCatalog.config(job, List.of());
        assertEquals(job, config.string("job.name"));
        boolean segmentation = config.string("dataset.format").equals("segmentation");
        DataShape shape = segmentation
                ? new DataShape(config.positive("dataset.channels"), config.positive("dataset.height"),
                        config.positive("dataset.width"), config.strings("dataset.class-names"), true)
                : new DataShape(1, 28, 28, config.strings("dataset.class-names"), false);
        ModelDefinition model = ModelCatalog.build(config, shape, 2, null, false);
        Network net = model.instantiate();
        int classes = shape.classNames().size();
        INDArray batch = Nd4j.rand(new int[]{2, shape.channels(), shape.height(), shape.width()});
        long[] expected = segmentation
                ? new long[]{2, classes, shape.height(), shape.width()}
                : new long[]{2, classes};
        INDArray out = net.output(batch);
        assertArrayEquals(expected, out.shape(), job + " output " + Arrays.toString(out.shape()));
    }
}
