package io.averon.worker;

import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

import io.averon.ps.ParameterServer;
import io.averon.ps.ParameterServerConfig;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * K synchronous steps of two workers through a real parameter server equal K single-JVM DL4J fit() calls on the union
 * of the two workers' minibatches.
 */
class SynchronousParityTest {
    private static final int WORKERS = 2;
    private static final int BATCH = 16;
    private static final int STEPS = 6;

    @Test
    void adamMatchesSingleJvmFitOnTheUnion() throws Exception {
        assertParity(new Adam(1e-2), 0.0);
    }

    @Test
    void nesterovWithL2MatchesSingleJvmFitOnTheUnion() throws Exception {
        assertParity(new Nesterovs(0.05, 0.9), 1e-4);
    }

    private static void assertParity(IUpdater updater, double l2) throws Exception {
        MultiLayerConfiguration conf = SmallNets.lenet(updater, l2);
        Examples examples = SmallNets.images(WORKERS * BATCH * STEPS, 11);
        EpochPlan plan = new EpochPlan(3, 0, WORKERS, examples.size());

        MultiLayerNetwork reference = new MultiLayerNetwork(conf.clone());
        reference.init();
        float[] initial = reference.params().toFloatVector();
        int[] p0 = plan.partition(0);
        int[] p1 = plan.partition(1);
        for (int k = 0; k < STEPS; k++) {
            int[] union = new int[2 * BATCH];
            System.arraycopy(p0, k * BATCH, union, 0, BATCH);
            System.arraycopy(p1, k * BATCH, union, BATCH, BATCH);
            DataSet ds = examples.batch(union, 0, union.length);
            reference.fit(ds);
        }
        float[] expected = reference.params().toFloatVector();

        Dl4jUpdateRule rule = new Dl4jUpdateRule(ModelDefinition.of(conf), initial, null);
        SourceIndex data = examples.asIndex("synthetic");
        ParameterServerConfig psConfig = ParameterServerConfig.builder().token("parity-secret").build();
        try (ParameterServer server = ParameterServer.start(psConfig, initial, 0, rule)) {
            WorkerAssignment assignment = new WorkerAssignment(server.endpoint(), "parity-secret",
                    server.aeronDirectory(), ModelDefinition.of(conf), data, PipelineSettings.plain(data.shape()), plan, BATCH, 0, 30_000, 60_000,
                    new WorkerAssignment.Transport(8192, 16 * 1024 * 1024, 1024 * 1024, "0", "auto", null), null);
            CyclicBarrier joined = new CyclicBarrier(WORKERS);
            ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
            List<Future<WorkerReport>> reports = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                TrainingWorker worker = new TrainingWorker(assignment, w, "127.0.0.1");
                reports.add(pool.submit(() -> worker.run(() -> await(joined), () -> false)));
            }
            for (Future<WorkerReport> f : reports) {
                WorkerReport r = f.get();
                assertEquals(STEPS, r.steps(), "steps of worker " + r.worker());
                assertEquals(STEPS * BATCH, r.examples());
            }
            pool.shutdown();
            assertEquals(STEPS, server.step());
            float[] actual = server.atStepBoundary((params, step) -> params.clone());
            ParameterAssertions.assertClose(expected, actual, 1e-5);
            assertTrue(ParameterAssertions.maxAbsDiff(initial, actual) > 1e-3, "training moved the parameters");
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
