package io.averon.jobs.data;

import static io.averon.jobs.data.ImageFixture.assertProblem;
import static io.averon.jobs.data.ImageFixture.assertSameExample;
import static io.averon.jobs.data.ImageFixture.labelled;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.averon.driver.HadoopSettings;
import io.averon.worker.InputException;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarExampleSourceTest {
    /** No Spark run in these tests: readers get this JVM's own Hadoop defaults. */
    private static final HadoopSettings HADOOP = HadoopSettings.none();
    @TempDir
    Path dir;

    @Test
    void cifar10TrainingBatchesReadBackExactly() throws Exception {
        int[] sizes = {3, 4, 2, 5, 1};
        List<LabelledImage> all = new ArrayList<>();
        for (int b = 0; b < sizes.length; b++) {
            List<LabelledImage> batch = labelled(100 + b, sizes[b], 3, 32, 32, 10);
            write(dir.resolve("data_batch_" + (b + 1) + ".bin"), CifarVariant.CIFAR10, batch);
            all.addAll(batch);
        }
        CifarExampleSource source = CifarExampleSource.cifar10Train(dir.toString(), HADOOP);
        assertEquals(dir + "/{data_batch_1.bin,data_batch_2.bin,data_batch_3.bin,data_batch_4.bin,data_batch_5.bin}",
                source.name());

        SourceIndex index = source.index();
        assertEquals(new DataShape(3, 32, 32, CifarExampleSource.CIFAR10_CLASSES, false), index.shape());
        assertEquals("airplane", index.shape().classNames().get(0));
        assertEquals("truck", index.shape().classNames().get(9));
        assertExactly(all, index);
        assertEquals(dir.resolve("data_batch_1.bin") + "#2", index.describe(2));
        assertEquals(dir.resolve("data_batch_2.bin") + "#0", index.describe(3));
        assertEquals(dir.resolve("data_batch_5.bin") + "#0", index.describe(14));
    }

    @Test
    void cifar10TestBatchWithOwnClassNames() throws Exception {
        List<LabelledImage> images = labelled(7, 6, 3, 32, 32, 10);
        write(dir.resolve("test_batch.bin"), CifarVariant.CIFAR10, images);
        List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        CifarExampleSource source = new CifarExampleSource(
                List.of("file://" + dir.resolve("test_batch.bin")), CifarVariant.CIFAR10, names, HADOOP);
        SourceIndex index = source.index();
        assertEquals(names, index.shape().classNames());
        assertExactly(images, index);
        assertExactly(images, CifarExampleSource.cifar10Test(dir + "/", HADOOP).index());
    }

    @Test
    void recordLayoutIsLabelThenRedGreenBluePlanes() throws Exception {
        // Built by hand, independently of CifarWriter: one record, label 7, R = row, G = column, B = 200.
        byte[] record = new byte[3073];
        record[0] = 7;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                record[1 + y * 32 + x] = (byte) y;
                record[1 + 1024 + y * 32 + x] = (byte) x;
                record[1 + 2048 + y * 32 + x] = (byte) 200;
            }
        }
        Path file = Files.write(dir.resolve("one.bin"), record);
        SourceIndex index = new CifarExampleSource(List.of(file.toString()), CifarVariant.CIFAR10, HADOOP).index();
        assertEquals(1, index.size());
        assertEquals(7, index.label(0));
        try (ExampleReader reader = index.open()) {
            LabelledImage image = reader.read(0);
            assertEquals(7, image.label());
            assertNull(image.mask());
            assertEquals(13, image.image().sample(0, 13, 5));
            assertEquals(5, image.image().sample(1, 13, 5));
            assertEquals(200, image.image().sample(2, 13, 5));
        }
    }

    @Test
    void cifar100FineOrCoarseLabelsFromTheSameFile() throws Exception {
        List<LabelledImage> images = labelled(3, 9, 3, 32, 32, 100);
        int[] coarse = new int[images.size()];
        for (int i = 0; i < coarse.length; i++) {
            coarse[i] = (images.get(i).label() * 7 + i) % 20;
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve("train.bin"))) {
            CifarWriter.writeCifar100(out, images, coarse);
        }
        assertEquals(9L * 3074, Files.size(dir.resolve("train.bin")));

        SourceIndex fine = CifarExampleSource.cifar100Train(dir.toString(), false, HADOOP).index();
        assertEquals(DataShape.numbered(100), fine.shape().classNames());
        assertExactly(images, fine);

        SourceIndex coarseIndex = CifarExampleSource.cifar100Train(dir.toString(), true, HADOOP).index();
        assertEquals(DataShape.numbered(20), coarseIndex.shape().classNames());
        List<LabelledImage> relabelled = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            relabelled.add(new LabelledImage(images.get(i).image(), null, coarse[i]));
        }
        assertExactly(relabelled, coarseIndex);
    }

    @Test
    void cifar100TestFileWrittenPerVariant() throws Exception {
        List<LabelledImage> coarse = labelled(5, 4, 3, 32, 32, 20);
        write(dir.resolve("test.bin"), CifarVariant.CIFAR100_COARSE, coarse);
        assertExactly(coarse, CifarExampleSource.cifar100Test(dir.toString(), true, HADOOP).index());
        // The writer leaves the other label 0.
        SourceIndex fine = CifarExampleSource.cifar100Test(dir.toString(), false, HADOOP).index();
        for (int i = 0; i < coarse.size(); i++) {
            assertEquals(0, fine.label(i));
        }
    }

    @Test
    void readerIsSharedSafelyByThreads() throws Exception {
        List<LabelledImage> a = labelled(11, 40, 3, 32, 32, 10);
        List<LabelledImage> b = labelled(12, 30, 3, 32, 32, 10);
        write(dir.resolve("a.bin"), CifarVariant.CIFAR10, a);
        write(dir.resolve("b.bin"), CifarVariant.CIFAR10, b);
        List<LabelledImage> all = new ArrayList<>(a);
        all.addAll(b);
        SourceIndex index = new CifarExampleSource(List.of(dir.resolve("a.bin").toString(),
                dir.resolve("b.bin").toString()), CifarVariant.CIFAR10, HADOOP).index();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try (ExampleReader reader = index.open()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                done.add(threads.submit(() -> {
                    for (int k = 0; k < all.size(); k++) {
                        int i = (k * 7 + offset * 13) % all.size();
                        assertSameExample(all.get(i), reader.read(i), "example " + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void sourceAndIndexSerializeWithoutPixels() throws Exception {
        write(dir.resolve("test_batch.bin"), CifarVariant.CIFAR10, labelled(1, 50, 3, 32, 32, 10));
        CifarExampleSource source = CifarExampleSource.cifar10Test(dir.toString(), HADOOP);
        SourceIndex index = source.index();
        byte[] bytes = serialize(index);
        assertTrue(bytes.length < 2_000, "serialized index is " + bytes.length + " bytes");
        SourceIndex copy = (SourceIndex) deserialize(bytes);
        assertEquals(index.size(), copy.size());
        assertEquals(index.label(17), copy.label(17));
        try (ExampleReader a = index.open(); ExampleReader b = copy.open()) {
            assertSameExample(a.read(17), b.read(17), "example 17");
        }
        CifarExampleSource sourceCopy = (CifarExampleSource) deserialize(serialize(source));
        assertEquals(source.fileUris(), sourceCopy.fileUris());
        assertEquals(source.variant(), sourceCopy.variant());
    }

    @Test
    void missingFileAndDirectory() {
        String missing = dir.resolve("data_batch_1.bin").toString();
        assertProblem(missing + ": file not found", () -> CifarExampleSource.cifar10Train(dir.toString(),
                HADOOP).index());
        assertProblem(dir + ": is a directory, expected a CIFAR-10 binary batch file",
                () -> new CifarExampleSource(List.of(dir.toString()), CifarVariant.CIFAR10, HADOOP).index());
    }

    @Test
    void emptyFile() throws Exception {
        Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
        assertProblem(empty + ": file is empty (0 bytes), expected CIFAR-10 records of 3073 bytes",
                () -> new CifarExampleSource(List.of(empty.toString()), CifarVariant.CIFAR10, HADOOP).index());
        assertProblem(empty + ": file is empty (0 bytes), expected CIFAR-100 records of 3074 bytes",
                () -> new CifarExampleSource(List.of(empty.toString()), CifarVariant.CIFAR100_FINE, HADOOP).index());
    }

    @Test
    void lengthNotAMultipleOfTheRecord() throws Exception {
        Path cut = Files.write(dir.resolve("cut.bin"), new byte[30731]);
        assertProblem(cut + ": length 30731 is not a multiple of the 3073-byte CIFAR-10 record; truncated, or not a"
                        + " CIFAR-10 binary batch file",
                () -> new CifarExampleSource(List.of(cut.toString()), CifarVariant.CIFAR10, HADOOP).index());
        Path good = Files.write(dir.resolve("good.bin"), new byte[3073]);
        // The first file is fine; the message names the bad one.
        assertProblem(cut + ": length 30731 is not a multiple of the 3073-byte CIFAR-10 record; truncated, or not a"
                        + " CIFAR-10 binary batch file",
                () -> new CifarExampleSource(List.of(good.toString(), cut.toString()), CifarVariant.CIFAR10,
                        HADOOP).index());
    }

    @Test
    void wrongVariantIsSuggested() throws Exception {
        Path cifar100 = Files.write(dir.resolve("train.bin"), new byte[3074 * 5]);
        assertProblem(cifar100 + ": length 15370 is not a multiple of the 3073-byte CIFAR-10 record; it is a multiple"
                        + " of the 3074-byte CIFAR-100 record: wrong variant?",
                () -> new CifarExampleSource(List.of(cifar100.toString()), CifarVariant.CIFAR10, HADOOP).index());
        Path cifar10 = Files.write(dir.resolve("data_batch_1.bin"), new byte[3073 * 5]);
        assertProblem(cifar10 + ": length 15365 is not a multiple of the 3074-byte CIFAR-100 record; it is a multiple"
                        + " of the 3073-byte CIFAR-10 record: wrong variant?",
                () -> new CifarExampleSource(List.of(cifar10.toString()), CifarVariant.CIFAR100_COARSE,
                        HADOOP).index());
    }

    @Test
    void labelsOutOfRange() throws Exception {
        byte[] cifar10 = new byte[3073 * 3];
        cifar10[3073] = 10;
        Path bad10 = Files.write(dir.resolve("bad10.bin"), cifar10);
        assertProblem(bad10 + ": record 1 has label 10, out of range for CIFAR-10's 10 classes (0..9)",
                () -> new CifarExampleSource(List.of(bad10.toString()), CifarVariant.CIFAR10, HADOOP).index());

        byte[] fine = new byte[3074 * 3];
        fine[2 * 3074 + 1] = (byte) 200;
        Path badFine = Files.write(dir.resolve("fine.bin"), fine);
        assertProblem(badFine + ": record 2 has fine label 200, out of range for CIFAR-100's 100 fine classes (0..99)",
                () -> new CifarExampleSource(List.of(badFine.toString()), CifarVariant.CIFAR100_FINE, HADOOP).index());
        // Both labels are checked whichever is used: a bad byte means a damaged file.
        assertProblem(badFine + ": record 2 has fine label 200, out of range for CIFAR-100's 100 fine classes (0..99)",
                () -> new CifarExampleSource(List.of(badFine.toString()), CifarVariant.CIFAR100_COARSE,
                        HADOOP).index());

        byte[] coarse = new byte[3074 * 3];
        coarse[0] = 20;
        Path badCoarse = Files.write(dir.resolve("coarse.bin"), coarse);
        assertProblem(badCoarse + ": record 0 has coarse label 20, out of range for CIFAR-100's 20 coarse classes"
                        + " (0..19)",
                () -> new CifarExampleSource(List.of(badCoarse.toString()), CifarVariant.CIFAR100_FINE,
                        HADOOP).index());
    }

    @Test
    void wrongNumberOfClassNames() {
        InputException e = assertThrows(InputException.class, () -> new CifarExampleSource(
                List.of("/data/train.bin"), CifarVariant.CIFAR100_COARSE, List.of("a", "b"), HADOOP));
        assertEquals("/data/train.bin: CIFAR-100 coarse labels need 20 class names, got 2", e.getMessage());
        assertThrows(InputException.class, () -> new CifarExampleSource(List.of(), CifarVariant.CIFAR10, HADOOP));
    }

    @Test
    void fileChangedAfterPlanningFailsInsteadOfMislabelling() throws Exception {
        Path file = dir.resolve("test_batch.bin");
        write(file, CifarVariant.CIFAR10, labelled(2, 4, 3, 32, 32, 10));
        SourceIndex index = CifarExampleSource.cifar10Test(dir.toString(), HADOOP).index();
        write(file, CifarVariant.CIFAR10, labelled(2, 5, 3, 32, 32, 10));
        try (ExampleReader reader = index.open()) {
            assertProblem(file + ": changed since the dataset was planned: length 15365 bytes, was 12292",
                    () -> reader.read(0));
        }
    }

    @Test
    void writerRejectsWhatCifarCannotHold() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> CifarWriter.write(sink, CifarVariant.CIFAR10, labelled(1, 2, 3, 32, 31, 10)));
        assertEquals("image 0 is 3x32x31, a CIFAR record holds 3x32x32", size.getMessage());
        List<LabelledImage> images = labelled(1, 3, 3, 32, 32, 20);
        images.set(2, new LabelledImage(images.get(2).image(), null, 25));
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> CifarWriter.write(sink, CifarVariant.CIFAR100_COARSE, images));
        assertEquals("image 2 has coarse label 25, out of range for CIFAR-100's 20 coarse classes",
                label.getMessage());
        // Everything is checked before the first byte is written.
        assertEquals(0, sink.size());
    }

    private static void write(Path file, CifarVariant variant, List<LabelledImage> images) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            CifarWriter.write(out, variant, images);
        }
    }

    private static void assertExactly(List<LabelledImage> expected, SourceIndex index) throws Exception {
        assertEquals(expected.size(), index.size());
        try (ExampleReader reader = index.open()) {
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(expected.get(i).label(), index.label(i), "label of example " + i);
                LabelledImage read = reader.read(i);
                assertSameExample(expected.get(i), read, "example " + i);
            }
        }
    }

    private static byte[] serialize(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object deserialize(byte[] bytes) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }
}
