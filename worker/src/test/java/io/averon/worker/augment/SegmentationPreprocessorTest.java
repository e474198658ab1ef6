package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image and mask go through the same geometry; the mask keeps its class ids; photometric ops spare the mask. */
class SegmentationPreprocessorTest {
    private static final int SIZE = 40;
    private static final int DARK = 20;
    private static final int BRIGHT = 230;

    @Test
    void randomGeometryKeepsClassIdsAndMovesImageAndMaskTogether() {
        PixelImage image = scene(3);
        PixelImage mask = sceneMask();
        AugmentSpec spec = AugmentSpec.builder(3, 32, 32).resize(AugmentSpec.ResizeMode.NONE)
                .crop(AugmentSpec.CropMode.RANDOM).hflip(0.5).vflip(0.5).rotation(45).scale(0.7, 1.4)
                .translate(0.15).build();
        Preprocessor pre = new Preprocessor(spec);
        float[] dst = new float[spec.exampleLength()];
        float[] maskDst = new float[32 * 32];
        Set<Float> allowed = Set.of(0f, 1f, 2f, 255f);
        // Bilinear at the square's border: when the nearest sample is inside, the inside samples weigh >= 1/4.
        float minInside = (DARK + 0.25f * (BRIGHT - DARK)) / 255f - 1e-5f;
        float maxOutside = (BRIGHT - 0.25f * (BRIGHT - DARK)) / 255f + 1e-5f;
        int squarePixels = 0;
        int clearlyBright = 0;
        int ignored = 0;
        for (int example = 0; example < 40; example++) {
            pre.apply(image, mask, Preprocessor.exampleRng(5, 0, example), dst, 0, maskDst, 0);
            for (int i = 0; i < maskDst.length; i++) {
                float m = maskDst[i];
                assertTrue(allowed.contains(m), "mask value " + m + " is not an original class id or 255");
                for (int c = 0; c < 3; c++) {
                    float v = dst[c * 1024 + i];
                    if (m == 255f) {
                        assertEquals(0f, v, "outside the source: image black exactly where mask is 255");
                    } else if (m == 1f) {
                        assertTrue(v >= minInside, "mask says square but image is dark: " + v);
                    } else {
                        assertTrue(v > 0f && v <= maxOutside, "mask says background but image is " + v);
                    }
                }
                if (m == 1f) {
                    squarePixels++;
                    if (dst[i] > 0.5f) {
                        clearlyBright++;
                    }
                }
                if (m == 255f) {
                    ignored++;
                }
            }
        }
        assertTrue(squarePixels > 40 * 50, "the square should usually stay in view, saw " + squarePixels);
        assertTrue(clearlyBright > 0.85 * squarePixels, clearlyBright + " of " + squarePixels + " bright");
        assertTrue(ignored > 0, "rotation and scale should expose some area outside the source");
    }

    @Test
    void shorterSideResizeOfImageAndMaskAgrees() {
        // Downscale by 2.5 with a centre crop: nearest-neighbour mask and bilinear image still line up.
        PixelImage image = scene(1);
        PixelImage mask = sceneMask();
        AugmentSpec spec = AugmentSpec.builder(1, 16, 12).resizeShorterSide(16).rotation(20).hflip(0.5).build();
        float[] dst = new float[16 * 12];
        float[] maskDst = new float[16 * 12];
        Preprocessor pre = new Preprocessor(spec);
        for (int example = 0; example < 10; example++) {
            pre.apply(image, mask, new SplittableRandom(example), dst, 0, maskDst, 0);
            for (int i = 0; i < dst.length; i++) {
                if (maskDst[i] == 1f) {
                    assertTrue(dst[i] > 0.2f, "square pixel dark: " + dst[i]);
                } else if (maskDst[i] == 255f) {
                    assertEquals(0f, dst[i]);
                }
            }
        }
    }

    @Test
    void erasingAndColourChangeOnlyTheImage() {
        PixelImage image = scene(3);
        PixelImage mask = sceneMask();
        AugmentSpec spec = AugmentSpec.builder(3, SIZE, SIZE).erasing(1).erasingArea(0.1, 0.3)
                .colorJitter(0.5, 0.5, 0.5, 0.1).noise(0.05).build();
        Preprocessor pre = new Preprocessor(spec);
        float[] expectedMask = new float[SIZE * SIZE];
        for (int i = 0; i < expectedMask.length; i++) {
            expectedMask[i] = mask.samples()[i] & 0xFF;
        }
        float[] dst = new float[spec.exampleLength()];
        float[] maskDst = new float[SIZE * SIZE];
        for (int example = 0; example < 20; example++) {
            pre.apply(image, mask, Preprocessor.exampleRng(1, 1, example), dst, 0, maskDst, 0);
            assertArrayEquals(expectedMask, maskDst, 0f);
            int zeroInAllChannels = 0;
            for (int i = 0; i < SIZE * SIZE; i++) {
                if (dst[i] == 0f && dst[SIZE * SIZE + i] == 0f && dst[2 * SIZE * SIZE + i] == 0f) {
                    zeroInAllChannels++;
                }
            }
            assertTrue(zeroInAllChannels >= 0.1 * SIZE * SIZE - 2 * SIZE, "erased " + zeroInAllChannels);
        }
    }

    @Test
    void rejectsAMaskOfAnotherShape() {
        Preprocessor pre = new Preprocessor(AugmentSpec.builder(3, SIZE, SIZE).build());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> pre.apply(scene(3), scene(3), null, new float[3 * SIZE * SIZE], 0, new float[SIZE * SIZE], 0));
        assertEquals("mask must be 1x40x40 to match the image, was 3x40x40", e.getMessage());
    }

    /** Dark background with a bright square at rows 10..21, columns 12..25; channels slightly different. */
    private static PixelImage scene(int channels) {
        byte[] s = new byte[channels * SIZE * SIZE];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    s[(c * SIZE + y) * SIZE + x] = (byte) (inSquare(y, x) ? BRIGHT : DARK);
                }
            }
        }
        return new PixelImage(channels, SIZE, SIZE, s);
    }

    /** Class 1 on the square, class 2 on the right quarter of the background, class 0 elsewhere. */
    private static PixelImage sceneMask() {
        byte[] s = new byte[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                s[y * SIZE + x] = (byte) (inSquare(y, x) ? 1 : x >= 30 ? 2 : 0);
            }
        }
        return new PixelImage(1, SIZE, SIZE, s);
    }

    private static boolean inSquare(int y, int x) {
        return y >= 10 && y < 22 && x >= 12 && x < 26;
    }
}
