package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.BadImageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Planning and reading of class-per-folder trees on the local filesystem. */
class ImageFolderSourceTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    private static final DecodeSettings GRAY_28 = new DecodeSettings(1, 28, 28, 1_000_000, BadImagePolicy.SKIP);

    @TempDir
    Path dir;

    @Test
    void labelsByFolderInNameOrderAndDecodesEachFile() throws Exception {
        write("b/x.png", 10);
        write("a/y.png", 20);
        write("a/nested/z.png", 30);
        Files.writeString(dir.resolve("a/readme.txt"), "not listed: no image extension");
        SourceIndex index = new ImageFolderSource(dir.toString(), GRAY_28, null, null, HADOOP).index();
        assertEquals(List.of("a", "b"), index.shape().classNames());
        assertEquals(3, index.size());
        try (ExampleReader reader = index.open()) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < index.size(); i++) {
                LabelledImage item = reader.read(i);
                int value = item.image().sample(0, 0, 0);
                assertEquals(value == 10 ? 1 : 0, item.label(), index.describe(i));
                assertEquals(index.label(i), item.label());
                seen.add(value);
            }
            assertEquals(Set.of(10, 20, 30), seen);
        }
    }

    @Test
    void setsEmptyFilesAsideAndKeepsAnEmptyClassUnderSkip() throws Exception {
        write("a/1.png", 1);
        Files.createDirectories(dir.resolve("b"));
        Files.write(dir.resolve("a/empty.jpg"), new byte[0]);
        SourceIndex index = new ImageFolderSource(dir.toString(), GRAY_28, null, null, HADOOP).index();
        assertEquals(1, index.size());
        assertEquals(1, index.skippedAtPlanning());
        assertEquals(List.of("a", "b"), index.shape().classNames());

        DecodeSettings fail = new DecodeSettings(1, 28, 28, 1_000_000, BadImagePolicy.FAIL);
        InputException e = assertThrows(InputException.class,
                () -> new ImageFolderSource(dir.toString(), fail, null, null, HADOOP).index());
        assertTrue(e.getMessage().contains("empty.jpg: empty file (0 bytes)"), e.getMessage());
        Files.delete(dir.resolve("a/empty.jpg"));
        e = assertThrows(InputException.class, () -> new ImageFolderSource(dir.toString(), fail, null, null,
                HADOOP).index());
        assertTrue(e.getMessage().endsWith("class folder 'b' holds no images (dataset.bad-images = fail)"),
                e.getMessage());
    }

    @Test
    void readingABrokenFileNamesIt() throws Exception {
        write("a/ok.png", 5);
        Files.writeString(dir.resolve("a/notes.jpg"), "text");
        SourceIndex index = new ImageFolderSource(dir.toString(), GRAY_28, null, null, HADOOP).index();
        try (ExampleReader reader = index.open()) {
            int broken = index.describe(0).endsWith("notes.jpg") ? 0 : 1;
            BadImageException e = assertThrows(BadImageException.class, () -> reader.read(broken));
            assertEquals(BadImageException.Reason.NOT_AN_IMAGE, e.reason());
            assertTrue(e.getMessage().contains("notes.jpg"), e.getMessage());
        }
    }

    @Test
    void seededSplitIsDisjointCompleteAndStable() throws Exception {
        for (int i = 0; i < 20; i++) {
            write("a/" + i + ".png", i);
            write("b/" + i + ".png", 100 + i);
        }
        SourceIndex train = new ImageFolderSource(dir.toString(), GRAY_28, null, new Split(0.25, 9, false),
                HADOOP).index();
        SourceIndex validation = new ImageFolderSource(dir.toString(), GRAY_28, null, new Split(0.25, 9, true),
                HADOOP).index();
        assertEquals(30, train.size());
        assertEquals(10, validation.size());
        Set<String> all = new HashSet<>();
        for (int i = 0; i < train.size(); i++) {
            all.add(train.describe(i));
        }
        for (int i = 0; i < validation.size(); i++) {
            assertTrue(all.add(validation.describe(i)), "in both parts: " + validation.describe(i));
        }
        assertEquals(40, all.size());
        int[] perClass = new int[2];
        for (int i = 0; i < validation.size(); i++) {
            perClass[validation.label(i)]++;
        }
        assertArrayEquals(new int[] {5, 5}, perClass, "a quarter of each class");
        SourceIndex again = new ImageFolderSource(dir.toString(), GRAY_28, null, new Split(0.25, 9, true),
                HADOOP).index();
        for (int i = 0; i < validation.size(); i++) {
            assertEquals(validation.describe(i), again.describe(i));
        }
    }

    @Test
    void aValidationTreeMustUseTheTrainingClasses() throws Exception {
        write("zebra/1.png", 1);
        InputException e = assertThrows(InputException.class,
                () -> new ImageFolderSource(dir.toString(), GRAY_28, List.of("a", "b"), null, HADOOP).index());
        assertTrue(e.getMessage().contains("class folder 'zebra' is not one of the 2 training classes [a, b]"),
                e.getMessage());
        e = assertThrows(InputException.class,
                () -> new ImageFolderSource(dir.resolve("missing").toString(), GRAY_28, null, null, HADOOP).index());
        assertTrue(e.getMessage().endsWith("missing: class-per-folder image root not found"), e.getMessage());
    }

    private void write(String relative, int value) throws Exception {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                image.getRaster().setSample(x, y, 0, value);
            }
        }
        Files.write(file, ImageTrees.encode(image, "png"));
    }
}
