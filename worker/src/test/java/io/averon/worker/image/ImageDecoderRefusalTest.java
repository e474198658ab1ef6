package io.averon.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.averon.worker.image.BadImageException.Reason;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.WritableRaster;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files the decoder must refuse, each with its reason and a one-line message naming the file. */
class ImageDecoderRefusalTest {
    private static final int HUGE = 10_000;
    private static final int HUGE_LEFT = 40;
    private static final int HUGE_RIGHT = 200;
    private static byte[] hugePng;

    @TempDir
    Path dir;

    private final ImageDecoder decoder = new ImageDecoder(3, 50_000_000L);

    /** A 10000x10000 grey PNG, left half 40, right half 200: 100 MB of pixels in ~100 KB of file. */
    @BeforeAll
    static void writeHugePng() {
        BufferedImage image = new BufferedImage(HUGE, HUGE, BufferedImage.TYPE_BYTE_GRAY);
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < HUGE; y++) {
            Arrays.fill(pixels, y * HUGE, y * HUGE + HUGE / 2, (byte) HUGE_LEFT);
            Arrays.fill(pixels, y * HUGE + HUGE / 2, (y + 1) * HUGE, (byte) HUGE_RIGHT);
        }
        hugePng = TestImages.png(image);
    }

    @Test
    void zeroByteFileIsEmpty() throws Exception {
        Path file = Files.createFile(dir.resolve("empty.jpg"));

        BadImageException refused = refused(decoder, Files.readAllBytes(file), "empty.jpg", Reason.EMPTY);

        assertEquals("empty.jpg: empty file (0 bytes)", refused.getMessage());
        assertEquals("empty.jpg", refused.name());
    }

    @Test
    void textFileNamedJpgIsNotAnImage() throws Exception {
        Path file = Files.writeString(dir.resolve("photo.jpg"), "<html><body>404 Not Found</body></html>\n");

        BadImageException refused = refused(decoder, Files.readAllBytes(file), "photo.jpg", Reason.NOT_AN_IMAGE);

        assertTrue(refused.getMessage().startsWith("photo.jpg: not an image"), refused.getMessage());
        assertTrue(refused.getMessage().contains("\"<html><b\""), refused.getMessage());
    }

    @Test
    void jpegCutAtSixtyPercentIsTruncated() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.noise(64, 64, 1), 0.9f, false);
        Path file = Files.write(dir.resolve("cut.jpg"), TestImages.cut(jpeg, 0.6));

        BadImageException refused = refused(decoder, Files.readAllBytes(file), "cut.jpg", Reason.TRUNCATED);

        assertTrue(refused.getMessage().startsWith("cut.jpg: truncated JPEG ("), refused.getMessage());
    }

    @Test
    void progressiveJpegCutAtSixtyPercentIsTruncated() {
        // Cut progressive JPEGs still fill every row, only blurrier: nothing but the warning tells.
        byte[] jpeg = TestImages.jpeg(TestImages.noise(64, 64, 2), 0.9f, true);

        refused(decoder, TestImages.cut(jpeg, 0.6), "cut-progressive.jpg", Reason.TRUNCATED);
    }

    @Test
    void jpegCutInsideItsHeaderIsTruncated() {
        byte[] jpeg = TestImages.jpeg(TestImages.smoothRgb(), 0.9f, false);

        refused(decoder, Arrays.copyOf(jpeg, 40), "stub.jpg", Reason.TRUNCATED);
    }

    @Test
    void cmykJpegCutAtSixtyPercentIsTruncated() {
        byte[] jpeg = TestImages.twelveMonkeysJpeg(TestImages.cmykBands());

        refused(decoder, TestImages.cut(jpeg, 0.6), "cut-cmyk.jpg", Reason.TRUNCATED);
    }

    @Test
    void pngCutAtSixtyPercentIsTruncated() throws Exception {
        byte[] png = TestImages.png(TestImages.noise(64, 64, 3));
        Path file = Files.write(dir.resolve("cut.png"), TestImages.cut(png, 0.6));

        BadImageException refused = refused(decoder, Files.readAllBytes(file), "cut.png", Reason.TRUNCATED);

        assertTrue(refused.getMessage().startsWith("cut.png: truncated PNG ("), refused.getMessage());
    }

    @Test
    void pngWithGarbledPixelDataIsUnreadable() {
        byte[] png = TestImages.png(TestImages.noise(64, 64, 4));
        byte[] garbled = png.clone();
        Arrays.fill(garbled, png.length / 3, png.length / 3 + 64, (byte) 0xFF);

        BadImageException refused = refused(decoder, garbled, "garbled.png", Reason.UNREADABLE);

        assertTrue(refused.getMessage().startsWith("garbled.png: corrupt PNG ("), refused.getMessage());
    }

    @Test
    void webpIsUnsupportedRatherThanNotAnImage() {
        byte[] header = "RIFF\u0024\0\0\0WEBPVP8 \u0018\0\0\0".getBytes(StandardCharsets.ISO_8859_1);

        BadImageException refused = refused(decoder, header, "a.webp", Reason.UNSUPPORTED);

        assertTrue(refused.getMessage().contains("WebP"), refused.getMessage());
    }

    @Test
    void rgbMaskIsUnsupported() {
        byte[] png = TestImages.png(TestImages.rgbPattern());

        BadImageException refused = refusedMask(png, "colour-mask.png", Reason.UNSUPPORTED);

        assertTrue(refused.getMessage().contains("RGB"), refused.getMessage());
    }

    @Test
    void jpegMaskIsUnsupported() {
        byte[] jpeg = TestImages.jpeg(TestImages.smoothGrey(), 0.95f, false);

        refusedMask(jpeg, "mask.jpg", Reason.UNSUPPORTED);
    }

    @Test
    void sixteenBitMaskValueAbove255IsUnsupported() {
        BufferedImage ids = new BufferedImage(8, 4, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster raster = ids.getRaster();
        raster.setSample(3, 2, 0, 300);

        BadImageException refused = refusedMask(TestImages.png(ids), "ids16.png", Reason.UNSUPPORTED);

        assertTrue(refused.getMessage().contains("300 at x=3, y=2"), refused.getMessage());
    }

    @Test
    void sixteenBitMaskWithSmallValuesDecodes() throws Exception {
        BufferedImage ids = new BufferedImage(8, 4, BufferedImage.TYPE_USHORT_GRAY);
        ids.getRaster().setSample(3, 2, 0, 255);
        ids.getRaster().setSample(4, 2, 0, 7);

        PixelImage mask = decoder.decodeMask(TestImages.png(ids), "ids16.png");

        assertEquals(255, mask.sample(0, 2, 3));
        assertEquals(7, mask.sample(0, 2, 4));
        assertEquals(0, mask.sample(0, 0, 0));
    }

    @Test
    void hugeImageIsRefusedFromItsHeader() {
        long allocated = allocatedBytes(() -> refused(decoder, hugePng, "huge.png", Reason.TOO_LARGE));

        BadImageException refused = refused(decoder, hugePng, "huge.png", Reason.TOO_LARGE);
        assertEquals("huge.png: PNG is 10000x10000 = 100000000 pixels, above the limit of 50000000",
                refused.getMessage());
        assertTrue(allocated < 8 << 20, "refusing allocated " + allocated + " bytes");
    }

    @Test
    void hugeImageWithinLimitDecodesSubsampledInBoundedMemory() {
        ImageDecoder subsampling = new ImageDecoder(3, 200_000_000L, 256);
        PixelImage[] decoded = new PixelImage[1];

        long allocated = allocatedBytes(() -> decoded[0] = subsampling.decode(hugePng, "huge.png"));

        // Every 39th row and column (10000 / 256): 257 of each, so the shorter side stays >= 256.
        PixelImage image = decoded[0];
        assertEquals(3, image.channels());
        assertEquals(257, image.height());
        assertEquals(257, image.width());
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 257; y += 64) {
                for (int x = 0; x < 257; x++) {
                    int expected = x * 39 < HUGE / 2 ? HUGE_LEFT : HUGE_RIGHT;
                    assertEquals(expected, image.sample(c, y, x), "at " + c + "," + y + "," + x);
                }
            }
        }
        // A full decode would need 100 MB for the grey image plus 300 MB for three planes.
        assertTrue(allocated < 32 << 20, "decoding allocated " + allocated + " bytes");
    }

    @Test
    void smallImagesAreNotSubsampled() throws Exception {
        ImageDecoder subsampling = new ImageDecoder(3, 1_000_000L, 15);

        PixelImage image = subsampling.decode(TestImages.png(TestImages.rgbPattern()), "a.png");

        // Shorter side 30 is not more than twice 15.
        assertEquals(TestImages.HEIGHT, image.height());
        assertEquals(TestImages.WIDTH, image.width());
    }

    @Test
    void maskOfAnotherSizeIsASizeMismatch() throws Exception {
        PixelImage image = decoder.decode(TestImages.png(TestImages.rgbPattern()), "a.png");
        PixelImage mask = decoder.decodeMask(TestImages.png(TestImages.paletteMask()), "a-mask.png");
        BufferedImage rotated = new BufferedImage(TestImages.HEIGHT, TestImages.WIDTH, BufferedImage.TYPE_BYTE_GRAY);
        PixelImage wrong = decoder.decodeMask(TestImages.png(rotated), "b-mask.png");

        ImageDecoder.requireSameSize(image, mask, "a-mask.png");
        BadImageException refused = assertThrows(BadImageException.class,
                () -> ImageDecoder.requireSameSize(image, wrong, "b-mask.png"));

        assertEquals(Reason.SIZE_MISMATCH, refused.reason());
        assertEquals("b-mask.png: mask is 30x40 (width x height) but its image is 40x30", refused.getMessage());
    }

    private static BadImageException refused(ImageDecoder decoder, byte[] bytes, String name, Reason reason) {
        BadImageException refused = assertThrows(BadImageException.class, () -> decoder.decode(bytes, name));
        assertRefusal(refused, name, reason);
        return refused;
    }

    private BadImageException refusedMask(byte[] bytes, String name, Reason reason) {
        BadImageException refused = assertThrows(BadImageException.class, () -> decoder.decodeMask(bytes, name));
        assertRefusal(refused, name, reason);
        return refused;
    }

    private static void assertRefusal(BadImageException refused, String name, Reason reason) {
        String message = refused.getMessage();
        assertEquals(reason, refused.reason(), message);
        assertEquals(name, refused.name());
        assertTrue(message.startsWith(name + ": "), message);
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertFalse(message.contains("\tat "), message);
    }

    private interface Action {
        void run() throws Exception;
    }

    private static long allocatedBytes(Action action) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try {
            action.run();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
