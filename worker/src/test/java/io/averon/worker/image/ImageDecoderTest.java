package io.averon.worker.image;

import static io.averon.worker.image.TestImages.HEIGHT;
import static io.averon.worker.image.TestImages.WIDTH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoding valid files of every supported kind: shapes, exact values for lossless formats, conversions. */
class ImageDecoderTest {
    private static final long MAX_PIXELS = 50_000_000L;

    @TempDir
    Path dir;

    private final ImageDecoder rgb = new ImageDecoder(3, MAX_PIXELS);
    private final ImageDecoder grey = new ImageDecoder(1, MAX_PIXELS);

    private byte[] stored(String file, byte[] bytes) throws IOException {
        Path path = dir.resolve(file);
        Files.write(path, bytes);
        return Files.readAllBytes(path);
    }

    @Test
    void rgbPngDecodesExactly() throws Exception {
        PixelImage image = rgb.decode(stored("a.png", TestImages.png(TestImages.rgbPattern())), "a.png");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.red(x, y), image.sample(0, y, x));
                assertEquals(TestImages.green(x, y), image.sample(1, y, x));
                assertEquals(TestImages.blue(x, y), image.sample(2, y, x));
            }
        }
    }

    @Test
    void greyPngDecodesExactly() throws Exception {
        PixelImage image = grey.decode(stored("g.png", TestImages.png(TestImages.greyPattern())), "g.png");

        assertShape(image, 1);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.red(x, y), image.sample(0, y, x));
            }
        }
    }

    @Test
    void rgbJpegDecodesWithinTolerance() throws Exception {
        byte[] bytes = stored("a.jpg", TestImages.jpeg(TestImages.smoothRgb(), 0.95f, false));

        assertSmoothRgb(rgb.decode(bytes, "a.jpg"));
    }

    @Test
    void progressiveJpegDecodes() throws Exception {
        byte[] bytes = TestImages.jpeg(TestImages.smoothRgb(), 0.95f, true);

        assertSmoothRgb(rgb.decode(bytes, "progressive.jpg"));
    }

    @Test
    void greyJpegDecodesWithinTolerance() throws Exception {
        PixelImage image = grey.decode(stored("g.jpg", TestImages.jpeg(TestImages.smoothGrey(), 0.95f, false)), "g");

        assertShape(image, 1);
        assertClose(image, 0, TestImages::smoothRed);
    }

    @Test
    void greyImageIntoRgbDatasetIsReplicated() throws Exception {
        PixelImage image = rgb.decode(TestImages.png(TestImages.greyPattern()), "g.png");

        assertShape(image, 3);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < WIDTH; x++) {
                    assertEquals(TestImages.red(x, y), image.sample(c, y, x));
                }
            }
        }
    }

    @Test
    void rgbImageIntoGreyDatasetBecomesLuma() throws Exception {
        PixelImage image = grey.decode(TestImages.png(TestImages.rgbPattern()), "a.png");

        assertShape(image, 1);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                double luma = 0.299 * TestImages.red(x, y) + 0.587 * TestImages.green(x, y)
                        + 0.114 * TestImages.blue(x, y);
                assertEquals(Math.round(luma), image.sample(0, y, x), 0, "luma at " + x + "," + y);
            }
        }
    }

    @Test
    void cmykJpegDecodesToRgb() throws Exception {
        byte[] bytes = TestImages.twelveMonkeysJpeg(TestImages.cmykBands());
        assertTrue(new String(bytes, StandardCharsets.ISO_8859_1).contains("Adobe"), "an Adobe APP14 marker");
        assertTwelveMonkeysReadsJpeg();

        PixelImage image = rgb.decode(bytes, "cmyk.jpg");

        assertShape(image, 3);
        int[] white = mean(image, 0);
        int[] cyan = mean(image, 1);
        int[] red = mean(image, 2);
        int[] black = mean(image, 3);
        assertTrue(white[0] > 235 && white[1] > 235 && white[2] > 235, "white " + Arrays.toString(white));
        assertTrue(cyan[0] < 90 && cyan[1] > 120 && cyan[2] > 180, "cyan " + Arrays.toString(cyan));
        assertTrue(red[0] > 180 && red[1] < 90 && red[2] < 90, "red " + Arrays.toString(red));
        assertTrue(black[0] < 90 && black[1] < 90 && black[2] < 90, "black " + Arrays.toString(black));
    }

    @Test
    void sixteenBitGreyPngIsScaledToEightBits() throws Exception {
        BufferedImage wide = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = wide.getRaster();
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setSample(x, y, 0, sixteenBit(x, y, 0));
            }
        }

        PixelImage image = grey.decode(TestImages.png(wide), "deep.png");

        assertShape(image, 1);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(Math.round(sixteenBit(x, y, 0) * 255.0 / 65535), image.sample(0, y, x));
            }
        }
    }

    @Test
    void sixteenBitRgbPngIsScaledToEightBits() throws Exception {
        ColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
                ColorModel.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(WIDTH, HEIGHT);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setPixel(x, y, new int[] {sixteenBit(x, y, 0), sixteenBit(x, y, 1), sixteenBit(x, y, 2)});
            }
        }
        byte[] bytes = TestImages.png(new BufferedImage(model, raster, false, null));
        assertEquals(16, bytes[24], "PNG bit depth");

        PixelImage image = rgb.decode(bytes, "deep-rgb.png");

        assertShape(image, 3);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < HEIGHT; y++) {
                for (int x = 0; x < WIDTH; x++) {
                    assertEquals(Math.round(sixteenBit(x, y, c) * 255.0 / 65535), image.sample(c, y, x));
                }
            }
        }
    }

    private static int sixteenBit(int x, int y, int c) {
        return (x * 1601 + y * 2111 + c * 12345) % 65536;
    }

    @Test
    void rgbaPngIsCompositedOverBlack() throws Exception {
        BufferedImage translucent = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                translucent.setRGB(x, y, alpha(x, y) << 24 | TestImages.red(x, y) << 16 | TestImages.green(x, y) << 8
                        | TestImages.blue(x, y));
            }
        }

        PixelImage image = rgb.decode(TestImages.png(translucent), "rgba.png");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(Math.round(TestImages.red(x, y) * alpha(x, y) / 255.0), image.sample(0, y, x));
                assertEquals(Math.round(TestImages.green(x, y) * alpha(x, y) / 255.0), image.sample(1, y, x));
                assertEquals(Math.round(TestImages.blue(x, y) * alpha(x, y) / 255.0), image.sample(2, y, x));
            }
        }
    }

    private static int alpha(int x, int y) {
        return x == 0 ? 255 : (x * 13 + y * 29) & 0xFF;
    }

    @Test
    void palettePngDecodesToItsColours() throws Exception {
        IndexColorModel palette = TestImages.vocPalette();

        PixelImage image = rgb.decode(TestImages.png(TestImages.paletteMask()), "palette.png");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int id = TestImages.classId(x, y);
                assertEquals(palette.getRed(id), image.sample(0, y, x));
                assertEquals(palette.getGreen(id), image.sample(1, y, x));
                assertEquals(palette.getBlue(id), image.sample(2, y, x));
            }
        }
    }

    @Test
    void paletteMaskDecodesToIndicesIncludingIgnore() throws Exception {
        PixelImage mask = rgb.decodeMask(stored("m.png", TestImages.png(TestImages.paletteMask())), "m.png");

        assertShape(mask, 1);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.classId(x, y), mask.sample(0, y, x));
            }
        }
        assertEquals(255, mask.sample(0, 0, 0));
    }

    @Test
    void greyMaskKeepsRawValues() throws Exception {
        BufferedImage ids = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                ids.getRaster().setSample(x, y, 0, TestImages.classId(x, y));
            }
        }

        PixelImage mask = grey.decodeMask(TestImages.png(ids), "ids.png");

        assertShape(mask, 1);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.classId(x, y), mask.sample(0, y, x));
            }
        }
    }

    @Test
    void bmpDecodesExactly() throws Exception {
        PixelImage image = rgb.decode(stored("a.bmp", TestImages.encode(TestImages.rgbPattern(), "bmp")), "a.bmp");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.red(x, y), image.sample(0, y, x));
                assertEquals(TestImages.green(x, y), image.sample(1, y, x));
                assertEquals(TestImages.blue(x, y), image.sample(2, y, x));
            }
        }
    }

    @Test
    void tiffDecodesExactly() throws Exception {
        PixelImage image = rgb.decode(TestImages.encode(TestImages.rgbPattern(), "tiff"), "a.tif");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                assertEquals(TestImages.red(x, y), image.sample(0, y, x));
                assertEquals(TestImages.green(x, y), image.sample(1, y, x));
                assertEquals(TestImages.blue(x, y), image.sample(2, y, x));
            }
        }
    }

    @Test
    void gifDecodesItsPaletteColours() throws Exception {
        IndexColorModel palette = TestImages.vocPalette();
        byte[] bytes = stored("a.gif", TestImages.encode(TestImages.paletteMask(), "gif"));

        PixelImage image = rgb.decode(bytes, "a.gif");
        PixelImage mask = rgb.decodeMask(bytes, "a.gif");

        assertShape(image, 3);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int id = TestImages.classId(x, y);
                assertEquals(palette.getRed(id), image.sample(0, y, x));
                assertEquals(palette.getGreen(id), image.sample(1, y, x));
                assertEquals(palette.getBlue(id), image.sample(2, y, x));
                assertEquals(id, mask.sample(0, y, x));
            }
        }
    }

    @Test
    void oneDecoderDecodesManyFilesInTurn() throws Exception {
        byte[] png = TestImages.png(TestImages.rgbPattern());
        byte[] jpeg = TestImages.jpeg(TestImages.smoothRgb(), 0.95f, false);
        byte[] truncated = TestImages.cut(TestImages.jpeg(TestImages.noise(64, 64, 1), 0.9f, false), 0.6);

        for (int i = 0; i < 3; i++) {
            assertEquals(TestImages.red(5, 7), rgb.decode(png, "a.png").sample(0, 7, 5));
            assertSmoothRgb(rgb.decode(jpeg, "a.jpg"));
            assertThrows(BadImageException.class, () -> rgb.decode(truncated, "cut.jpg"));
        }
    }

    // JDK 17's reader also reads plain Adobe CMYK, but not YCCK or broken Adobe/ICC markers: TwelveMonkeys' must win.
    private static void assertTwelveMonkeysReadsJpeg() {
        ImageReader first = ImageIO.getImageReadersByFormatName("jpeg").next();
        assertTrue(first.getClass().getName().startsWith("com.twelvemonkeys."), "preferred JPEG reader: " + first);
    }

    private static void assertSmoothRgb(PixelImage image) {
        assertShape(image, 3);
        assertClose(image, 0, TestImages::smoothRed);
        assertClose(image, 1, TestImages::smoothGreen);
        assertClose(image, 2, TestImages::smoothBlue);
    }

    private interface Pattern {
        int value(int x, int y);
    }

    /** JPEG at quality 0.95 on smooth ramps: every sample within 8 levels, the mean error within 2. */
    private static void assertClose(PixelImage image, int channel, Pattern expected) {
        long total = 0;
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int error = Math.abs(expected.value(x, y) - image.sample(channel, y, x));
                assertTrue(error <= 8, "channel " + channel + " at " + x + "," + y + " is off by " + error);
                total += error;
            }
        }
        double mean = total / (double) (WIDTH * HEIGHT);
        assertTrue(mean <= 2, "mean error of channel " + channel + " is " + mean);
    }

    /** Mean colour of one CMYK band's inner columns (away from JPEG ringing at the edges). */
    private static int[] mean(PixelImage image, int band) {
        int[] sum = new int[3];
        int n = 0;
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                boolean inner = x >= 2 && x < WIDTH - 2
                        && TestImages.cmykBand(x - 2) == band && TestImages.cmykBand(x + 2) == band;
                if (inner) {
                    for (int c = 0; c < 3; c++) {
                        sum[c] += image.sample(c, y, x);
                    }
                    n++;
                }
            }
        }
        return new int[] {sum[0] / n, sum[1] / n, sum[2] / n};
    }

    private static void assertShape(PixelImage image, int channels) {
        assertEquals(channels, image.channels(), "channels");
        assertEquals(HEIGHT, image.height(), "height");
        assertEquals(WIDTH, image.width(), "width");
    }
}
