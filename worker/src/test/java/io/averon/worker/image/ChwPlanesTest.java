package io.averon.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The raster layouts decoders hand over, read directly, against Java 2D's own per-pixel answer. */
class ChwPlanesTest {
    private static final int W = 23;
    private static final int H = 17;

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR,
            BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_USHORT_565_RGB,
            BufferedImage.TYPE_USHORT_555_RGB})
    void colourLayoutsMatchJava2dCompositedOverBlack(int type) {
        BufferedImage image = random(type, W, H, 1);

        assertMatchesArgb(ChwPlanes.colours(image, 3), image, 0, 0);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_3BYTE_BGR,
            BufferedImage.TYPE_4BYTE_ABGR})
    void subimagesReadOnlyTheirWindow(int type) {
        BufferedImage parent = random(type, W, H, 2);
        BufferedImage window = parent.getSubimage(5, 3, 11, 9);

        PixelImage image = ChwPlanes.colours(window, 3);

        assertEquals(9, image.height());
        assertEquals(11, image.width());
        assertMatchesArgb(image, parent, 5, 3);
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {BufferedImage.TYPE_INT_ARGB_PRE, BufferedImage.TYPE_4BYTE_ABGR_PRE})
    void premultipliedSamplesAreAlreadyOverBlack(int type) {
        BufferedImage image = random(type, W, H, 3);
        Raster raster = image.getRaster();

        PixelImage planes = ChwPlanes.colours(image, 3);

        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    assertEquals(raster.getSample(x, y, c), planes.sample(c, y, x), "at " + c + "," + y + "," + x);
                }
            }
        }
    }

    @ParameterizedTest(name = "window {0}")
    @ValueSource(booleans = {false, true})
    void greyBytesAreTakenRawNotThroughLinearGreyConversion(boolean window) {
        BufferedImage parent = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(4);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                parent.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        int x0 = window ? 4 : 0;
        int y0 = window ? 2 : 0;
        BufferedImage image = window ? parent.getSubimage(x0, y0, 10, 8) : parent;

        PixelImage planes = ChwPlanes.colours(image, 1);

        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                assertEquals(parent.getRaster().getSample(x0 + x, y0 + y, 0), planes.sample(0, y, x));
            }
        }
    }

    private static BufferedImage random(int type, int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, type);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        return image;
    }

    private static void assertMatchesArgb(PixelImage planes, BufferedImage source, int x0, int y0) {
        for (int y = 0; y < planes.height(); y++) {
            for (int x = 0; x < planes.width(); x++) {
                int argb = source.getRGB(x0 + x, y0 + y);
                int alpha = argb >>> 24;
                for (int c = 0; c < 3; c++) {
                    int value = (argb >>> (16 - 8 * c)) & 0xFF;
                    assertEquals(Math.round(value * alpha / 255.0), planes.sample(c, y, x),
                            "at " + c + "," + y + "," + x);
                }
            }
        }
    }
}
