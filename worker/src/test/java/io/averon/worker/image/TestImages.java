package io.averon.worker.image;

import com.twelvemonkeys.imageio.color.ColorSpaces;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Test images built in memory and encoded for real with javax.imageio writers. */
final class TestImages {
    static final int WIDTH = 40;
    static final int HEIGHT = 30;

    private TestImages() {
    }

    /** Distinct, non-smooth values per pixel and channel: lossless round trips must match exactly. */
    static int red(int x, int y) {
        return (x * 7 + y * 3) & 0xFF;
    }

    static int green(int x, int y) {
        return (x * y + 11) & 0xFF;
    }

    static int blue(int x, int y) {
        return (250 - x * 5 + y) & 0xFF;
    }

    static BufferedImage rgbPattern() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                image.setRGB(x, y, red(x, y) << 16 | green(x, y) << 8 | blue(x, y));
            }
        }
        return image;
    }

    static BufferedImage greyPattern() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setSample(x, y, 0, red(x, y));
            }
        }
        return image;
    }

    /** Low-frequency colours that JPEG keeps within a few levels. */
    static int smoothRed(int x, int y) {
        return 20 + x * 5;
    }

    static int smoothGreen(int x, int y) {
        return 30 + y * 6;
    }

    static int smoothBlue(int x, int y) {
        return 200 - x * 2 - y * 2;
    }

    static BufferedImage smoothRgb() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                image.setRGB(x, y, smoothRed(x, y) << 16 | smoothGreen(x, y) << 8 | smoothBlue(x, y));
            }
        }
        return image;
    }

    static BufferedImage smoothGrey() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setSample(x, y, 0, smoothRed(x, y));
            }
        }
        return image;
    }

    /** Random bytes: compress badly, so a cut at 60% lands inside the pixel data. */
    static BufferedImage noise(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random random = new java.util.Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    /** A VOC-like palette: 0 black, 1 dark red, 2 dark green, 3 olive, 255 cream (the "ignore" colour). */
    static IndexColorModel vocPalette() {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        r[1] = (byte) 128;
        g[2] = (byte) 128;
        r[3] = (byte) 128;
        g[3] = (byte) 128;
        r[255] = (byte) 224;
        g[255] = (byte) 224;
        b[255] = (byte) 192;
        return new IndexColorModel(8, 256, r, g, b);
    }

    /** Class id of a mask pixel: stripes of 0-3, with a border of 255 (ignore). */
    static int classId(int x, int y) {
        return x == 0 || y == 0 || x == WIDTH - 1 || y == HEIGHT - 1 ? 255 : (x / 10 + y / 10) % 4;
    }

    static BufferedImage paletteMask() {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_INDEXED, vocPalette());
        WritableRaster raster = image.getRaster();
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setSample(x, y, 0, classId(x, y));
            }
        }
        return image;
    }

    /** Colours of a CMYK test image: white, cyan, magenta+yellow (red), black, one vertical band each. */
    static final int[][] CMYK_BANDS = {{0, 0, 0, 0}, {255, 0, 0, 0}, {0, 255, 255, 0}, {0, 0, 0, 255}};

    static int cmykBand(int x) {
        return x * CMYK_BANDS.length / WIDTH;
    }

    static BufferedImage cmykBands() {
        ColorSpace cmyk = ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK);
        ColorModel model = new ComponentColorModel(cmyk, false, false, ColorModel.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(WIDTH, HEIGHT);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                raster.setPixel(x, y, CMYK_BANDS[cmykBand(x)]);
            }
        }
        return new BufferedImage(model, raster, false, null);
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no " + format + " writer for " + image);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] png(BufferedImage image) {
        return encode(image, "png");
    }

    static byte[] jpeg(BufferedImage image, float quality, boolean progressive) {
        return write(ImageIO.getImageWritersByFormatName("jpeg").next(), image, quality, progressive);
    }

    /** JPEG through TwelveMonkeys' writer, which writes a CMYK image as Adobe CMYK (APP14 transform 0). */
    static byte[] twelveMonkeysJpeg(BufferedImage image) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        while (writers.hasNext()) {
            ImageWriter writer = writers.next();
            if (writer.getClass().getName().startsWith("com.twelvemonkeys.")) {
                return write(writer, image, 0.95f, false);
            }
        }
        throw new IllegalStateException("TwelveMonkeys' JPEG writer is not registered");
    }

    private static byte[] write(ImageWriter writer, BufferedImage image, float quality, boolean progressive) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    static byte[] cut(byte[] bytes, double fraction) {
        return Arrays.copyOf(bytes, (int) (bytes.length * fraction));
    }
}
