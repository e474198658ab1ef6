package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessorTest {

    @Test
    void defaultSpecAtTargetSizeReproducesSamplesOver255Exactly() {
        PixelImage image = randomImage(3, 7, 10, 1);
        float[] dst = new float[5 + 3 * 7 * 10];
        new Preprocessor(AugmentSpec.builder(3, 7, 10).build()).apply(image, null, dst, 5);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 10; x++) {
                    assertEquals(image.sample(c, y, x) / 255f, dst[5 + (c * 7 + y) * 10 + x], 0f);
                }
            }
        }
    }

    @Test
    void shorterSideResizeThenCenterCropTakesTheMiddle() {
        // 8x16 image of 2x2 blocks; shorter side 4 halves it to 4x8, so every output pixel averages one block.
        // A 4x4 centre crop then starts at column (8 - 4) / 2 = 2 of the resized image.
        byte[] s = new byte[8 * 16];
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                s[y * 16 + x] = (byte) block(y / 2, x / 2);
            }
        }
        AugmentSpec spec = AugmentSpec.builder(1, 4, 4).resizeShorterSide(4).build();
        float[] dst = new float[16];
        new Preprocessor(spec).apply(new PixelImage(1, 8, 16, s), null, dst, 0);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(block(y, x + 2) / 255f, dst[y * 4 + x], 1e-6f, "pixel " + y + "," + x);
            }
        }
    }

    @Test
    void tallImageIsCroppedVerticallyAfterShorterSideResize() {
        // 12x6 -> shorter side 3 -> 6x3; centre 3x3 crop starts at row (6 - 3) / 2 = 1.
        byte[] s = new byte[12 * 6];
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 6; x++) {
                s[y * 6 + x] = (byte) block(y / 2, x / 2);
            }
        }
        float[] dst = new float[9];
        new Preprocessor(AugmentSpec.builder(1, 3, 3).resizeShorterSide(3).build())
                .apply(new PixelImage(1, 12, 6, s), null, dst, 0);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(block(y + 1, x) / 255f, dst[y * 3 + x], 1e-6f);
            }
        }
    }

    @Test
    void smallerImageIsPaddedWithBlackAndIgnoreMask() {
        PixelImage image = new PixelImage(1, 2, 2, new byte[] {10, 20, 30, 40});
        PixelImage mask = new PixelImage(1, 2, 2, new byte[] {0, 1, 2, 3});
        AugmentSpec spec = AugmentSpec.builder(1, 4, 5).resize(AugmentSpec.ResizeMode.NONE).build();
        float[] dst = new float[20];
        float[] maskDst = new float[20];
        new Preprocessor(spec).apply(image, mask, null, dst, 0, maskDst, 0);
        // Padding (4-2)/2 = 1 row on top, (5-2)/2 = 1 column on the left.
        float[] expected = {
            0, 0, 0, 0, 0,
            0, 10 / 255f, 20 / 255f, 0, 0,
            0, 30 / 255f, 40 / 255f, 0, 0,
            0, 0, 0, 0, 0};
        float[] expectedMask = {
            255, 255, 255, 255, 255,
            255, 0, 1, 255, 255,
            255, 2, 3, 255, 255,
            255, 255, 255, 255, 255};
        assertArrayEquals(expected, dst, 0f);
        assertArrayEquals(expectedMask, maskDst, 0f);
    }

    @Test
    void flipWithProbabilityOneMirrorsExactly() {
        PixelImage image = randomImage(3, 6, 9, 2);
        float[] h = new float[3 * 6 * 9];
        float[] v = new float[3 * 6 * 9];
        new Preprocessor(AugmentSpec.builder(3, 6, 9).hflip(1).build()).apply(image, new SplittableRandom(1), h, 0);
        new Preprocessor(AugmentSpec.builder(3, 6, 9).vflip(1).build()).apply(image, new SplittableRandom(1), v, 0);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 6; y++) {
                for (int x = 0; x < 9; x++) {
                    assertEquals(image.sample(c, y, 8 - x) / 255f, h[(c * 6 + y) * 9 + x], 0f);
                    assertEquals(image.sample(c, 5 - y, x) / 255f, v[(c * 6 + y) * 9 + x], 0f);
                }
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalOutputAndOtherSeedsDiffer() {
        AugmentSpec spec = everything(3, 20, 20).build();
        Preprocessor pre = new Preprocessor(spec);
        PixelImage image = randomImage(3, 30, 40, 3);
        float[] a = new float[spec.exampleLength()];
        float[] b = new float[spec.exampleLength()];
        float[] otherExample = new float[spec.exampleLength()];
        float[] otherEpoch = new float[spec.exampleLength()];
        pre.apply(image, Preprocessor.exampleRng(7, 1, 42), a, 0);
        // Another image in between: scratch state must not leak into the next example.
        pre.apply(randomImage(3, 11, 13, 4), Preprocessor.exampleRng(9, 9, 9), b, 0);
        new Preprocessor(spec).apply(image, Preprocessor.exampleRng(7, 1, 42), b, 0);
        pre.apply(image, Preprocessor.exampleRng(7, 1, 43), otherExample, 0);
        pre.apply(image, Preprocessor.exampleRng(7, 2, 42), otherEpoch, 0);
        assertArrayEquals(a, b, 0f);
        assertFalse(Arrays.equals(a, otherExample));
        assertFalse(Arrays.equals(a, otherEpoch));
    }

    @Test
    void normalisesWithPerChannelMeanAndStd() {
        double[] mean = {0.5, 0.4, 0.3};
        double[] std = {0.2, 0.25, 0.5};
        PixelImage image = randomImage(3, 5, 6, 5);
        float[] dst = new float[90];
        new Preprocessor(AugmentSpec.builder(3, 5, 6).normalize(mean, std).build()).apply(image, null, dst, 0);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 5; y++) {
                for (int x = 0; x < 6; x++) {
                    double expected = (image.sample(c, y, x) / 255.0 - mean[c]) / std[c];
                    assertEquals(expected, dst[(c * 5 + y) * 6 + x], 1e-5);
                }
            }
        }
    }

    @Test
    void evaluationModeIgnoresTheGeneratorAndCentreCrops() {
        AugmentSpec eval = everything(3, 16, 16).resizeShorterSide(20).training(false).build();
        AugmentSpec plain = AugmentSpec.builder(3, 16, 16).resizeShorterSide(20)
                .normalize(eval.mean(), eval.std()).build();
        PixelImage image = randomImage(3, 25, 30, 6);
        float[] none = new float[eval.exampleLength()];
        float[] seeded = new float[eval.exampleLength()];
        float[] other = new float[eval.exampleLength()];
        float[] reference = new float[eval.exampleLength()];
        Preprocessor pre = new Preprocessor(eval);
        pre.apply(image, null, none, 0);
        pre.apply(image, new SplittableRandom(1), seeded, 0);
        pre.apply(image, new SplittableRandom(2), other, 0);
        new Preprocessor(plain).apply(image, null, reference, 0);
        assertArrayEquals(reference, none, 0f);
        assertArrayEquals(reference, seeded, 0f);
        assertArrayEquals(reference, other, 0f);
    }

    @Test
    void trainingSpecWithRandomOpsNeedsAGenerator() {
        Preprocessor pre = new Preprocessor(AugmentSpec.builder(1, 4, 4).hflip(0.5).build());
        assertThrows(IllegalArgumentException.class, () -> pre.apply(randomImage(1, 4, 4, 1), null, new float[16], 0));
    }

    @Test
    void randomOpsStayInRangeAndChangeTheImage() {
        AugmentSpec spec = everything(3, 24, 24).build();
        Preprocessor pre = new Preprocessor(spec);
        PixelImage image = randomImage(3, 32, 32, 7);
        float[] plain = new float[spec.exampleLength()];
        new Preprocessor(spec.forEvaluation()).apply(image, null, plain, 0);
        for (int i = 0; i < 20; i++) {
            float[] dst = new float[spec.exampleLength()];
            pre.apply(image, Preprocessor.exampleRng(3, 0, i), dst, 0);
            for (float v : dst) {
                assertTrue(v >= 0f && v <= 1f, "value " + v + " outside [0,1] with default normalisation");
            }
            assertFalse(Arrays.equals(plain, dst));
        }
    }

    @Test
    void saturationAndHueLeaveGreyAndSingleChannelImagesAlone() {
        byte[] grey = new byte[3 * 4 * 4];
        for (int i = 0; i < 16; i++) {
            grey[i] = grey[16 + i] = grey[32 + i] = (byte) (i * 15);
        }
        AugmentSpec rgb = AugmentSpec.builder(3, 4, 4).saturation(0.9).hue(0.5).build();
        float[] dst = new float[48];
        new Preprocessor(rgb).apply(new PixelImage(3, 4, 4, grey), new SplittableRandom(3), dst, 0);
        for (int i = 0; i < 48; i++) {
            assertEquals((grey[i] & 0xFF) / 255f, dst[i], 1e-6f);
        }
        PixelImage single = randomImage(1, 4, 4, 8);
        float[] one = new float[16];
        new Preprocessor(AugmentSpec.builder(1, 4, 4).saturation(0.9).hue(0.5).build())
                .apply(single, new SplittableRandom(3), one, 0);
        for (int i = 0; i < 16; i++) {
            assertEquals((single.samples()[i] & 0xFF) / 255f, one[i], 0f);
        }
    }

    @Test
    void hueShiftKeepsEachPixelsMaxAndMin() {
        // A hue rotation through HSV changes which channel is which but keeps value (max) and saturation (via min).
        byte[] s = {(byte) 200, 0, 0, 0, (byte) 200, 0, 0, 0, (byte) 200};
        float[] dst = new float[9];
        new Preprocessor(AugmentSpec.builder(3, 1, 3).hue(0.5).build())
                .apply(new PixelImage(3, 1, 3, s), new SplittableRandom(11), dst, 0);
        for (int x = 0; x < 3; x++) {
            float r = dst[x];
            float g = dst[3 + x];
            float b = dst[6 + x];
            assertEquals(200 / 255f, Math.max(r, Math.max(g, b)), 1e-6f);
            assertEquals(0f, Math.min(r, Math.min(g, b)), 1e-6f);
        }
    }

    @Test
    void convertsChannelCounts() {
        PixelImage grey = randomImage(1, 3, 3, 9);
        float[] rgb = new float[27];
        new Preprocessor(AugmentSpec.builder(3, 3, 3).build()).apply(grey, null, rgb, 0);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 9; i++) {
                assertEquals((grey.samples()[i] & 0xFF) / 255f, rgb[c * 9 + i], 0f);
            }
        }
        PixelImage colour = randomImage(3, 3, 3, 10);
        float[] luma = new float[9];
        new Preprocessor(AugmentSpec.builder(1, 3, 3).build()).apply(colour, null, luma, 0);
        for (int i = 0; i < 9; i++) {
            double expected = (0.299 * colour.sample(0, i / 3, i % 3) + 0.587 * colour.sample(1, i / 3, i % 3)
                    + 0.114 * colour.sample(2, i / 3, i % 3)) / 255;
            assertEquals(expected, luma[i], 1e-5);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Preprocessor(AugmentSpec.builder(2, 3, 3).build()).apply(colour, null, new float[18], 0));
        assertTrue(e.getMessage().startsWith("image has 3 channels but augment.channels is 2"), e.getMessage());
    }

    @Test
    void rejectsATooSmallDestination() {
        Preprocessor pre = new Preprocessor(AugmentSpec.builder(1, 4, 4).build());
        assertThrows(IndexOutOfBoundsException.class, () -> pre.apply(randomImage(1, 4, 4, 1), null, new float[20], 5));
    }

    @Test
    void exampleRngDependsOnlyOnItsInputs() {
        RandomGenerator a = Preprocessor.exampleRng(1, 2, 3);
        RandomGenerator b = Preprocessor.exampleRng(1, 2, 3);
        for (int i = 0; i < 10; i++) {
            assertEquals(a.nextLong(), b.nextLong());
        }
        assertTrue(Preprocessor.exampleRng(1, 2, 3).nextLong() != Preprocessor.exampleRng(1, 3, 2).nextLong());
        assertTrue(Preprocessor.exampleRng(0, 0, 0).nextLong() != Preprocessor.exampleRng(0, 0, 1).nextLong());
    }

    static AugmentSpec.Builder everything(int channels, int height, int width) {
        return AugmentSpec.builder(channels, height, width).resize(AugmentSpec.ResizeMode.NONE)
                .crop(AugmentSpec.CropMode.RANDOM).hflip(0.5).vflip(0.5).rotation(30).scale(0.8, 1.25)
                .translate(0.1).colorJitter(0.4, 0.4, 0.4, 0.1).noise(0.02).erasing(0.5);
    }

    static PixelImage randomImage(int channels, int height, int width, long seed) {
        byte[] s = new byte[channels * height * width];
        new SplittableRandom(seed).nextBytes(s);
        return new PixelImage(channels, height, width, s);
    }

    private static int block(int by, int bx) {
        return 30 * by + 10 * bx + 5;
    }
}
