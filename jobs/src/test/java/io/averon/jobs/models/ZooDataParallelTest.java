package io.averon.jobs.models;

import io.averon.driver.config.JobConfig;
import io.averon.jobs.data.ShapesDataset;
import io.averon.ps.ParameterServer;
import io.averon.ps.ParameterServerConfig;
import io.averon.worker.Dl4jUpdateRule;
import io.averon.worker.EpochPlan;
import io.averon.worker.Examples;
import io.averon.worker.ModelDefinition;
import io.averon.worker.TrainingWorker;
import io.averon.worker.WorkerAssignment;
import io.averon.worker.WorkerReport;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every trainable-here architecture takes data-parallel steps through a real parameter server (Aeron media driver,
 * two workers, the model's own updater on the server) on synthetic data, and its training loss goes down: the zoo
 * nets in their small variants, and the segmentation nets on rendered shapes with masks.
 */
class ZooDataParallelTest {
    private static final int WORKERS = 2;
    private static final int BATCH = 8;
    private static final int STEPS = 4;
    private static final int EPOCHS = 3;

    @ParameterizedTest
    @ValueSource(strings = {"lenet", "lenet5", "alexnet-small", "zfnet-small", "vgg16-small", "vgg19-small",
        "googlenet-small", "resnet18-small", "resnet34-small", "resnet50-small", "resnet101-small",
        "densenet121-small", "lstm"})
    void classifierLearnsThroughTheParameterServer(String architecture) throws Exception {
        boolean rgb = architecture.contains("alexnet") || architecture.contains("googlenet");
        SourceIndex data = rgb ? patterns(3, 32) : patterns(1, 28);
        assertLossDecreases(architecture, data);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fcn8s-small", "unet-small", "deeplabv3plus-small", "pspnet-small"})
    void segmentationNetLearnsThroughTheParameterServer(String architecture) throws Exception {
        int size = architecture.startsWith("pspnet") ? 48 : 32;
        assertLossDecreases(architecture, shapes(size));
    }

    private static void assertLossDecreases(String architecture, SourceIndex data) throws Exception {
        // A quarter of the published widths: the same topology (blocks, branches, skips, aux heads) at a size two
        // cores step through in seconds; the full-width nets' shapes and counts are checked in ModelZooTest.
        JobConfig config = JobConfig.load("model.architecture = \"" + architecture + "\"\ntrain.batch-size = "
                + BATCH + "\nmodel.width = 0.25", "test", List.of());
        ModelDefinition model = ModelCatalog.build(config, data.shape(), WORKERS, null, false);
        float[] initial = model.instantiate().parameters().toFloatVector();
        Dl4jUpdateRule rule = new Dl4jUpdateRule(model, initial, null);
        double[] meanLoss = new double[EPOCHS];
        try (ParameterServer server = ParameterServer.start(ParameterServerConfig.builder().token("zoo").build(),
                initial, 0, rule)) {
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                rule.epoch(epoch);
                WorkerAssignment assignment = new WorkerAssignment(server.endpoint(), "zoo", server.aeronDirectory(),
                        model, data, PipelineSettings.plain(data.shape()), new EpochPlan(5, epoch, WORKERS,
                        data.size()), BATCH, server.step(), 30_000, 300_000,
                        new WorkerAssignment.Transport(8192, 16 * 1024 * 1024, 1024 * 1024, "0", "auto", null), null);
                CyclicBarrier joined = new CyclicBarrier(WORKERS);
                ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
                try {
                    Future<?>[] runs = new Future<?>[WORKERS];
                    for (int w = 0; w < WORKERS; w++) {
                        TrainingWorker worker = new TrainingWorker(assignment, w, "127.0.0.1");
                        runs[w] = pool.submit(() -> worker.run(() -> await(joined), () -> false));
                    }
                    double sum = 0;
                    int steps = 0;
                    for (Future<?> f : runs) {
                        WorkerReport r = (WorkerReport) f.get();
                        assertEquals(STEPS, r.steps(), architecture + " worker " + r.worker());
                        sum += r.lossSum();
                        steps += r.steps();
                    }
                    meanLoss[epoch] = sum / steps;
                } finally {
                    pool.shutdownNow();
                }
            }
            assertEquals((long) EPOCHS * STEPS, server.step());
        }
        assertTrue(Double.isFinite(meanLoss[EPOCHS - 1]) && meanLoss[EPOCHS - 1] < meanLoss[0],
                architecture + " mean training loss per epoch " + java.util.Arrays.toString(meanLoss));
    }

    /** Images whose bright band of rows depends on the label. */
    private static SourceIndex patterns(int channels, int size) {
        int n = WORKERS * BATCH * STEPS;
        SplittableRandom random = new SplittableRandom(11);
        int len = channels * size * size;
        byte[] pixels = new byte[n * len];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(10);
            for (int j = 0; j < len; j++) {
                int row = (j / size) % size;
                int base = (row * 10 / size == labels[i]) ? 200 : 30;
                pixels[i * len + j] = (byte) Math.min(255, base + random.nextInt(40));
            }
        }
        return new Examples(pixels, labels, channels, size, size, 10).asIndex("patterns");
    }

    /** Rendered shapes with their masks, held in memory. */
    private static SourceIndex shapes(int size) {
        int n = WORKERS * BATCH * STEPS;
        PixelImage[] images = new PixelImage[n];
        PixelImage[] masks = new PixelImage[n];
        ShapesDataset shapes = new ShapesDataset(size, 3);
        for (int i = 0; i < n; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_INDEXED,
                    new IndexColorModel(8, 256, new byte[256], new byte[256], new byte[256]));
            shapes.render(new SplittableRandom(i), image, mask);
            byte[] rgb = new byte[3 * size * size];
            byte[] ids = new byte[size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int p = image.getRGB(x, y);
                    rgb[y * size + x] = (byte) (p >> 16);
                    rgb[size * size + y * size + x] = (byte) (p >> 8);
                    rgb[2 * size * size + y * size + x] = (byte) p;
                    ids[y * size + x] = (byte) mask.getRaster().getSample(x, y, 0);
                }
            }
            images[i] = new PixelImage(3, size, size, rgb);
            masks[i] = new PixelImage(1, size, size, ids);
        }
        DataShape shape = new DataShape(3, size, size, ShapesDataset.CLASSES, true);
        return new SourceIndex() {
            @Override
            public String name() {
                return "shapes";
            }

            @Override
            public DataShape shape() {
                return shape;
            }

            @Override
            public int size() {
                return n;
            }

            @Override
            public int label(int example) {
                return -1;
            }

            @Override
            public String describe(int example) {
                return "shapes#" + example;
            }

            @Override
            public ExampleReader open() {
                return example -> new LabelledImage(images[example], masks[example], -1);
            }
        };
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
