package io.averon.worker.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * Turns a decoded {@link BufferedImage} into planar 8-bit CHW samples: colours for images, raw sample values for
 * masks. The common layouts (interleaved or banded bytes, 16-bit components, packed 8-bit RGB ints, palettes) are read
 * straight from the raster; anything else goes through {@link BufferedImage#getRGB}, which is per pixel and slow but
 * handles every colour model.
 *
 * <p>Samples are taken as stored, ignoring any ICC profile or gamma tag, like PIL and OpenCV do by default, so a
 * network sees the same values whichever library prepared its data. Alpha is removed by compositing over black
 * (value x alpha / 255), which is also what premultiplied samples already hold.
 */
final class ChwPlanes {
    private ChwPlanes() {
    }

    /** The image's colours as {@code channels} (1 or 3) planes: grey is replicated, RGB reduced to luma. */
    static PixelImage colours(BufferedImage image, int channels) {
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        int type = raster.getDataBuffer().getDataType();
        byte[] natural;
        int colours;
        if (model instanceof IndexColorModel palette) {
            byte[][] lut = paletteColours(palette, raster.getSampleModel().getSampleSize(0));
            colours = lut.length;
            natural = fromPalette(raster, lut, width, height);
        } else if (model instanceof ComponentColorModel && isGreyOrRgb(model)
                && raster.getSampleModel() instanceof ComponentSampleModel
                && raster.getDataBuffer() instanceof DataBufferByte) {
            colours = model.getNumColorComponents();
            natural = fromBytes(raster, model, colours, true, width, height);
        } else if (model instanceof ComponentColorModel && isGreyOrRgb(model)
                && (type == DataBuffer.TYPE_USHORT || type == DataBuffer.TYPE_INT)) {
            colours = model.getNumColorComponents();
            natural = fromWideSamples(raster, model, colours, width, height);
        } else if (model instanceof DirectColorModel direct && isPackedBytes(direct, raster)) {
            colours = 3;
            natural = fromPackedInts(raster, direct, width, height);
        } else {
            colours = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY ? 1 : 3;
            natural = fromArgb(image, colours, width, height);
        }
        return new PixelImage(channels, height, width, toChannels(natural, colours, channels, width * height));
    }

    /**
     * The raw values of a palette image's indices or a grey image's samples (alpha ignored): class ids. Refuses colour
     * images and values above 255, which a one-byte class id cannot hold.
     */
    static PixelImage classIds(BufferedImage image, String name) throws BadImageException {
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        boolean grey = model instanceof ComponentColorModel && model.getNumColorComponents() == 1;
        if (!(model instanceof IndexColorModel) && !grey) {
            throw new BadImageException(BadImageException.Reason.UNSUPPORTED, name, "mask is " + describe(model)
                    + "; a mask must be a palette or grey image whose sample values are class ids");
        }
        byte[] ids;
        if (grey && raster.getSampleModel() instanceof ComponentSampleModel
                && raster.getDataBuffer() instanceof DataBufferByte) {
            ids = fromBytes(raster, model, 1, false, width, height);
        } else {
            ids = new byte[width * height];
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
                for (int x = 0; x < width; x++) {
                    int id = row[x];
                    if (id < 0 || id > 255) {
                        throw new BadImageException(BadImageException.Reason.UNSUPPORTED, name, "mask value " + id
                                + " at x=" + x + ", y=" + y + " does not fit a class id byte (0-255)");
                    }
                    ids[y * width + x] = (byte) id;
                }
            }
        }
        return new PixelImage(1, height, width, ids);
    }

    private static boolean isGreyOrRgb(ColorModel model) {
        int space = model.getColorSpace().getType();
        int components = model.getNumColorComponents();
        return space == ColorSpace.TYPE_GRAY && components == 1 || space == ColorSpace.TYPE_RGB && components == 3;
    }

    /** Bytes per band, interleaved (TYPE_3BYTE_BGR, PNG's RGB/RGBA) or one band (TYPE_BYTE_GRAY) or banded. */
    private static byte[] fromBytes(Raster raster, ColorModel model, int colours, boolean composite, int width,
            int height) {
        ComponentSampleModel layout = (ComponentSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        int pixelStride = layout.getPixelStride();
        int scanline = layout.getScanlineStride();
        int origin = (raster.getMinY() - raster.getSampleModelTranslateY()) * scanline
                + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
        int[] banks = layout.getBankIndices();
        int[] offsets = layout.getBandOffsets();
        boolean alpha = composite && model.hasAlpha() && !model.isAlphaPremultiplied();
        int alphaBand = model.getNumColorComponents();
        byte[] alphas = alpha ? buffer.getData(banks[alphaBand]) : null;
        int alphaStart = alpha ? buffer.getOffsets()[banks[alphaBand]] + offsets[alphaBand] + origin : 0;
        int plane = width * height;
        byte[] out = new byte[colours * plane];
        for (int c = 0; c < colours; c++) {
            byte[] source = buffer.getData(banks[c]);
            int start = buffer.getOffsets()[banks[c]] + offsets[c] + origin;
            int o = c * plane;
            for (int y = 0; y < height; y++) {
                int p = start + y * scanline;
                if (alpha) {
                    int q = alphaStart + y * scanline;
                    for (int x = 0; x < width; x++, p += pixelStride, q += pixelStride) {
                        out[o++] = (byte) overBlack(source[p] & 0xFF, alphas[q] & 0xFF);
                    }
                } else if (pixelStride == 1) {
                    System.arraycopy(source, p, out, o, width);
                    o += width;
                } else {
                    for (int x = 0; x < width; x++, p += pixelStride) {
                        out[o++] = source[p];
                    }
                }
            }
        }
        return out;
    }

    /** 16- or 32-bit components (16-bit PNG), scaled to 8 bits with rounding: v * 255 / (2^bits - 1). */
    private static byte[] fromWideSamples(Raster raster, ColorModel model, int colours, int width, int height) {
        int bands = raster.getNumBands();
        boolean alpha = model.hasAlpha() && !model.isAlphaPremultiplied();
        int alphaBand = model.getNumColorComponents();
        int[] bits = new int[bands];
        for (int b = 0; b < bands; b++) {
            bits[b] = model.getComponentSize(b);
        }
        int plane = width * height;
        byte[] out = new byte[colours * plane];
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int at = x * bands;
                int a = alpha ? toByte(row[at + alphaBand], bits[alphaBand]) : 255;
                for (int c = 0; c < colours; c++) {
                    int v = toByte(row[at + c], bits[c]);
                    out[c * plane + y * width + x] = (byte) (alpha ? overBlack(v, a) : v);
                }
            }
        }
        return out;
    }

    private static int toByte(int sample, int bits) {
        if (bits == 8) {
            return sample & 0xFF;
        }
        long max = (1L << bits) - 1;
        long value = sample & 0xFFFFFFFFL;
        return (int) ((Math.min(value, max) * 255 + max / 2) / max);
    }

    private static boolean isPackedBytes(DirectColorModel model, Raster raster) {
        return model.getColorSpace().getType() == ColorSpace.TYPE_RGB
                && raster.getDataBuffer() instanceof DataBufferInt
                && raster.getSampleModel() instanceof SinglePixelPackedSampleModel
                && isByteMask(model.getRedMask()) && isByteMask(model.getGreenMask())
                && isByteMask(model.getBlueMask()) && (!model.hasAlpha() || isByteMask(model.getAlphaMask()));
    }

    private static boolean isByteMask(int mask) {
        return (mask >>> Integer.numberOfTrailingZeros(mask)) == 0xFF;
    }

    /** One int per pixel with 8-bit fields (TYPE_INT_RGB, TYPE_INT_ARGB, TYPE_INT_BGR, ...). */
    private static byte[] fromPackedInts(Raster raster, DirectColorModel model, int width, int height) {
        SinglePixelPackedSampleModel layout = (SinglePixelPackedSampleModel) raster.getSampleModel();
        DataBufferInt buffer = (DataBufferInt) raster.getDataBuffer();
        int[] data = buffer.getData();
        int scanline = layout.getScanlineStride();
        int origin = buffer.getOffset() + (raster.getMinY() - raster.getSampleModelTranslateY()) * scanline
                + raster.getMinX() - raster.getSampleModelTranslateX();
        int redShift = Integer.numberOfTrailingZeros(model.getRedMask());
        int greenShift = Integer.numberOfTrailingZeros(model.getGreenMask());
        int blueShift = Integer.numberOfTrailingZeros(model.getBlueMask());
        boolean alpha = model.hasAlpha() && !model.isAlphaPremultiplied();
        int alphaShift = alpha ? Integer.numberOfTrailingZeros(model.getAlphaMask()) : 0;
        int plane = width * height;
        byte[] out = new byte[3 * plane];
        int o = 0;
        for (int y = 0; y < height; y++) {
            int p = origin + y * scanline;
            for (int x = 0; x < width; x++, o++) {
                int pixel = data[p + x];
                int r = (pixel >>> redShift) & 0xFF;
                int g = (pixel >>> greenShift) & 0xFF;
                int b = (pixel >>> blueShift) & 0xFF;
                if (alpha) {
                    int a = (pixel >>> alphaShift) & 0xFF;
                    r = overBlack(r, a);
                    g = overBlack(g, a);
                    b = overBlack(b, a);
                }
                out[o] = (byte) r;
                out[plane + o] = (byte) g;
                out[2 * plane + o] = (byte) b;
            }
        }
        return out;
    }

    /**
     * The palette's colours composited over black, one table per colour: a single table when every entry is grey
     * (1-bit PNGs, grey GIFs), so grey palettes are not pushed through luma. Sized for every index the raster's bits
     * can hold; indices past the palette read as black.
     */
    private static byte[][] paletteColours(IndexColorModel palette, int indexBits) {
        int size = palette.getMapSize();
        int[] argb = new int[size];
        palette.getRGBs(argb);
        byte[][] lut = new byte[3][Math.max(size, 1 << indexBits)];
        boolean grey = true;
        for (int i = 0; i < size; i++) {
            int a = argb[i] >>> 24;
            int r = overBlack((argb[i] >>> 16) & 0xFF, a);
            int g = overBlack((argb[i] >>> 8) & 0xFF, a);
            int b = overBlack(argb[i] & 0xFF, a);
            lut[0][i] = (byte) r;
            lut[1][i] = (byte) g;
            lut[2][i] = (byte) b;
            grey &= r == g && g == b;
        }
        return grey ? new byte[][] {lut[0]} : lut;
    }

    private static byte[] fromPalette(Raster raster, byte[][] lut, int width, int height) {
        int plane = width * height;
        byte[] out = new byte[lut.length * plane];
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            raster.getSamples(raster.getMinX(), raster.getMinY() + y, width, 1, 0, row);
            for (int c = 0; c < lut.length; c++) {
                byte[] table = lut[c];
                int o = c * plane + y * width;
                for (int x = 0; x < width; x++) {
                    out[o + x] = table[row[x]];
                }
            }
        }
        return out;
    }

    /** Any other colour model (CMYK left unconverted, float rasters, 565, ...): sRGB through Java 2D. */
    private static byte[] fromArgb(BufferedImage image, int colours, int width, int height) {
        int plane = width * height;
        byte[] out = new byte[colours * plane];
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            image.getRGB(0, y, width, 1, row, 0, width);
            for (int x = 0; x < width; x++) {
                int pixel = row[x];
                int a = pixel >>> 24;
                int o = y * width + x;
                out[o] = (byte) overBlack((pixel >>> 16) & 0xFF, a);
                if (colours == 3) {
                    out[plane + o] = (byte) overBlack((pixel >>> 8) & 0xFF, a);
                    out[2 * plane + o] = (byte) overBlack(pixel & 0xFF, a);
                }
            }
        }
        return out;
    }

    private static byte[] toChannels(byte[] natural, int colours, int channels, int plane) {
        if (colours == channels) {
            return natural;
        }
        byte[] out = new byte[channels * plane];
        if (colours == 1) {
            for (int c = 0; c < channels; c++) {
                System.arraycopy(natural, 0, out, c * plane, plane);
            }
        } else {
            // ITU-R BT.601 luma, the weights PIL's convert("L") uses.
            for (int i = 0; i < plane; i++) {
                int r = natural[i] & 0xFF;
                int g = natural[plane + i] & 0xFF;
                int b = natural[2 * plane + i] & 0xFF;
                out[i] = (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000);
            }
        }
        return out;
    }

    private static int overBlack(int value, int alpha) {
        return (value * alpha + 127) / 255;
    }

    private static String describe(ColorModel model) {
        String space = switch (model.getColorSpace().getType()) {
            case ColorSpace.TYPE_RGB -> "RGB";
            case ColorSpace.TYPE_GRAY -> "grey";
            case ColorSpace.TYPE_CMYK -> "CMYK";
            default -> "colour space type " + model.getColorSpace().getType();
        };
        return "a " + model.getNumColorComponents() + "-component " + space + (model.hasAlpha() ? "+alpha" : "")
                + " image";
    }
}
