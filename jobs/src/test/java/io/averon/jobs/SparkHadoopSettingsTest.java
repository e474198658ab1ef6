package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.driver.JobSpec;
import io.averon.driver.SparkSetup;
import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Hadoop setting given only as {@code spark.hadoop.*} (the {@link AliasedLocalFileSystem} scheme) reaches every
 * reader: planning on the driver, the dataset readers inside Spark tasks (which deserialize their closure, so the
 * settings must survive Java serialization) and saved models; without it, planning fails naming the scheme.
 */
class SparkHadoopSettingsTest {
    private static final String FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

    @TempDir
    static java.nio.file.Path dir;
    private static JavaSparkContext sc;

    @BeforeAll
    static void startSpark() {
        SparkConf conf = SparkSetup.sparkConf(JobCatalog.config("fashion-mnist-lenet", List.of()), "local[2]")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false");
        for (String[] setting : AliasedLocalFileSystem.SPARK_SETTINGS) {
            conf.set(setting[0], setting[1]);
        }
        sc = new JavaSparkContext(conf);
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) {
            sc.close();
        }
    }

    @Test
    void folderDatasetIsPlannedAndReadInSparkTasksThroughTheSparkHadoopSetting() throws Exception {
        String root = aliased(writeClassTree(dir.resolve("folder/train")).getParent());
        JobConfig config = folderJob(root);
        HadoopSettings hadoop = HadoopSettings.of(sc.hadoopConfiguration());
        assertTrue(javaSize(hadoop) < 4096, "the settings of a local SparkContext take " + javaSize(hadoop) + " bytes");

        JobSpec job = JobCatalog.spec(config, 2, hadoop);

        SourceIndex train = job.train();
        assertTrue(train.describe(0).startsWith(AliasedLocalFileSystem.SCHEME + ":"), train.describe(0));
        assertEquals(18, train.size() + job.test().size());
        assertEquals(readHere(train), readInTasks(train));
        assertEquals(readHere(job.test()), readInTasks(job.test()));

        // What the readers did before: a JVM-default Configuration inside a task cannot open the dataset.
        String old = sc.parallelize(List.of(0), 1).map(i -> {
            try {
                new Path(root).getFileSystem(new Configuration());
                return "opened";
            } catch (IOException e) {
                return e.getMessage();
            }
        }).collect().get(0);
        assertTrue(old.contains("No FileSystem for scheme \"" + AliasedLocalFileSystem.SCHEME + "\""), old);
    }

    @Test
    void idxDatasetAndTeacherModelAreReadThroughTheSparkHadoopSetting() throws Exception {
        HadoopSettings hadoop = HadoopSettings.of(sc.hadoopConfiguration());
        JobConfig plain = idxJob("");
        java.nio.file.Path teacher = dir.resolve("teacher.zip");
        try (OutputStream out = Files.newOutputStream(teacher)) {
            JobCatalog.spec(plain, 1, hadoop).model().instantiate().save(out);
        }

        JobSpec job = JobCatalog.spec(idxJob(aliased(teacher)), 2, hadoop);

        assertNotNull(job.teacher(), "the teacher was read from " + aliased(teacher));
        assertEquals(64, job.train().size());
        assertEquals(readHere(job.train()), readInTasks(job.train()));
    }

    @Test
    void withoutTheSettingPlanningFailsNamingTheSchemeAndTheInput() throws Exception {
        String root = aliased(writeClassTree(dir.resolve("unreachable/train")).getParent());
        String noScheme = "No FileSystem for scheme \"" + AliasedLocalFileSystem.SCHEME + "\"";

        InputException dataset = assertThrows(InputException.class,
                () -> DatasetCatalog.train(folderJob(root), HadoopSettings.none()).index());
        assertTrue(dataset.getMessage().contains(root) && dataset.getMessage().contains(noScheme),
                dataset.getMessage());

        InputException idx = assertThrows(InputException.class,
                () -> DatasetCatalog.train(idxJob(""), HadoopSettings.none()).index());
        assertTrue(idx.getMessage().contains(noScheme), idx.getMessage());

        String model = aliased(dir.resolve("teacher-that-is-not-there.zip"));
        InputException teacher = assertThrows(InputException.class,
                () -> SavedModels.read(model, "distill.teacher", HadoopSettings.none()));
        assertTrue(teacher.getMessage().startsWith("distill.teacher " + model + ": cannot open its filesystem")
                && teacher.getMessage().contains(noScheme), teacher.getMessage());
    }

    private static JobConfig folderJob(String root) {
        return JobCatalog.config("fashion-mnist-lenet", List.of("dataset.format=folder", "dataset.dir=" + root,
                "dataset.class-names=[]", "dataset.channels=1", "dataset.height=28", "dataset.width=28",
                "dataset.validation-fraction=0.25"));
    }

    private static JobConfig idxJob(String teacher) {
        return JobCatalog.config("fashion-mnist-lenet", List.of("dataset.dir=" + aliasedPath(FASHION_MNIST),
                "dataset.train-limit=64", "dataset.test-limit=32", "distill.teacher=" + teacher));
    }

    private static String aliased(java.nio.file.Path local) {
        return aliasedPath(local.toAbsolutePath().toString());
    }

    private static String aliasedPath(String absolute) {
        return AliasedLocalFileSystem.SCHEME + "://" + absolute;
    }

    /** Two classes of nine 28 x 28 gray PNGs with seeded noise. */
    private static java.nio.file.Path writeClassTree(java.nio.file.Path root) throws IOException {
        SplittableRandom random = new SplittableRandom(5);
        for (String name : List.of("a", "b")) {
            java.nio.file.Path folder = Files.createDirectories(root.resolve(name));
            for (int i = 0; i < 9; i++) {
                BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        image.getRaster().setSample(x, y, 0, random.nextInt(256));
                    }
                }
                ImageIO.write(image, "png", folder.resolve(i + ".png").toFile());
            }
        }
        return root;
    }

    /** Label and pixel checksum of every example, read in this JVM. */
    private static List<Long> readHere(SourceIndex index) throws Exception {
        return read(index, 0, 1);
    }

    /** The same, read by two Spark tasks from their deserialized copy of the index. */
    private static List<Long> readInTasks(SourceIndex index) {
        List<List<Long>> parts = sc.parallelize(List.of(0, 1), 2).map(part -> read(index, part, 2)).collect();
        List<Long> merged = new ArrayList<>();
        for (int i = 0; i < index.size(); i++) {
            merged.add(parts.get(i % 2).get(i / 2));
        }
        return merged;
    }

    private static List<Long> read(SourceIndex index, int first, int step) throws Exception {
        List<Long> sums = new ArrayList<>();
        try (ExampleReader reader = index.open()) {
            for (int i = first; i < index.size(); i += step) {
                LabelledImage item = reader.read(i);
                CRC32 crc = new CRC32();
                crc.update(item.image().samples());
                sums.add(crc.getValue() * 1000 + item.label());
            }
        }
        return sums;
    }

    private static int javaSize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.size();
    }
}
