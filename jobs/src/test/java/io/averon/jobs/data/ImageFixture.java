package io.averon.jobs.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.averon.worker.InputException;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.image.PixelImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Random 8-bit images and labels for the dataset format tests, and exact comparisons of what comes back. */
final class ImageFixture {
    private ImageFixture() {
    }

    static PixelImage image(Random random, int channels, int height, int width) {
        byte[] samples = new byte[channels * height * width];
        random.nextBytes(samples);
        return new PixelImage(channels, height, width, samples);
    }

    /** A mask of class ids below {@code classes}, with some pixels 255 (ignore). */
    static PixelImage mask(Random random, int height, int width, int classes) {
        byte[] ids = new byte[height * width];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (byte) (random.nextInt(8) == 0 ? 255 : random.nextInt(classes));
        }
        return new PixelImage(1, height, width, ids);
    }

    static List<LabelledImage> labelled(long seed, int count, int channels, int height, int width, int classes) {
        Random random = new Random(seed);
        List<LabelledImage> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(new LabelledImage(image(random, channels, height, width), null, random.nextInt(classes)));
        }
        return images;
    }

    static List<LabelledImage> segmented(long seed, int count, int channels, int height, int width, int classes) {
        Random random = new Random(seed);
        List<LabelledImage> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(new LabelledImage(image(random, channels, height, width),
                    mask(random, height, width, classes), -1));
        }
        return images;
    }

    static void assertSameImage(PixelImage expected, PixelImage actual, String what) {
        assertEquals(expected.toString(), actual.toString(), what + " shape");
        assertArrayEquals(expected.samples(), actual.samples(), what + " samples");
    }

    static void assertSameExample(LabelledImage expected, LabelledImage actual, String what) {
        assertEquals(expected.label(), actual.label(), what + " label");
        assertSameImage(expected.image(), actual.image(), what + " image");
        if (expected.mask() == null) {
            assertNull(actual.mask(), what + " mask");
        } else {
            assertSameImage(expected.mask(), actual.mask(), what + " mask");
        }
    }

    static void assertProblem(String expectedMessage, Executable action) {
        InputException e = assertThrows(InputException.class, action);
        assertEquals(expectedMessage, e.getMessage());
    }
}
