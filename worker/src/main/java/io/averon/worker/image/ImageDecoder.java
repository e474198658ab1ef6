package io.averon.worker.image;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import java.awt.image.BufferedImage;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

import io.averon.worker.image.BadImageException.Reason;

/**
 * Decodes the bytes of one real-world image or segmentation-mask file (JPEG, PNG, GIF, BMP, TIFF) into a
 * {@link PixelImage}, refusing damaged or unsuitable files with a {@link BadImageException} that names the file and the
 * problem instead of handing grey rows or a stack trace to the training pipeline. Readers come from javax.imageio plus
 * the TwelveMonkeys JPEG plugin, which adds CMYK/YCCK and Adobe JPEGs.
 *
 * <p>Images become {@code channels} planes (grey replicated to RGB, RGB reduced to BT.601 luma, alpha composited over
 * black, palettes expanded, 16-bit scaled to 8-bit with rounding, embedded colour profiles ignored). Masks keep their
 * raw values: a palette PNG's indices, a grey PNG's samples. The header's size is checked against {@code maxPixels}
 * before any pixel is decoded; a {@code maxSide} above zero lets big images decode subsampled (see
 * {@link #ImageDecoder(int, long, int)}). EXIF orientation is not applied, as in PIL and torchvision by default.
 *
 * <p>Not thread-safe: it keeps one reader per format for reuse; give each decoding thread its own instance.
 */
public final class ImageDecoder {
    // Spark executors may load this class through a loader other than the thread's context loader, which is the one
    // ImageIO's own class-path scan uses: scan once with the loader that sees this class's jar, and with it the
    // TwelveMonkeys plugin, whose META-INF/services entries the shaded job jar merges.
    static {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ImageDecoder.class.getClassLoader());
        try {
            ImageIO.scanForPlugins();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static final Pattern TRUNCATION = Pattern.compile(
            "premature end|unexpected end|end of (file|stream|data)|\\beof\\b|truncat", Pattern.CASE_INSENSITIVE);
    private static final Pattern UNSUPPORTED = Pattern.compile("unsupported|not supported", Pattern.CASE_INSENSITIVE);
    // The largest Java array, which caps a decoded PixelImage.
    private static final long MAX_SAMPLES = Integer.MAX_VALUE - 8;

    private final int channels;
    private final long maxPixels;
    private final int maxSide;
    private final List<ImageReaderSpi> providers;
    private final Map<ImageReaderSpi, ImageReader> readers = new HashMap<>();
    private final List<String> warnings = new ArrayList<>();
    private final IIOReadWarningListener warningListener = (source, warning) -> warnings.add(warning);

    /**
     * @param channels  planes of every decoded image, the dataset's channel count: 1 (grey) or 3 (RGB)
     * @param maxPixels images whose header gives width x height above this are refused as
     *                  {@link Reason#TOO_LARGE} before their pixels are decoded
     * @param maxSide   0 to decode at full size; otherwise the side the pipeline will resize the shorter side to. An
     *                  image whose shorter side is more than twice that is decoded with every n-th row and column
     *                  only, n = shorter side / maxSide, so its shorter side stays at least {@code maxSide} while a
     *                  10000x10000 photo costs a few MB instead of 300. Masks are subsampled by the same rule, so an
     *                  image and its mask of equal size stay aligned (nearest neighbour keeps class ids intact).
     */
    public ImageDecoder(int channels, long maxPixels, int maxSide) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("an image decoder produces 1 or 3 channels, not " + channels);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, was " + maxPixels);
        }
        if (maxSide < 0) {
            throw new IllegalArgumentException("maxSide must be 0 (off) or positive, was " + maxSide);
        }
        this.channels = channels;
        this.maxPixels = maxPixels;
        this.maxSide = maxSide;
        this.providers = streamReaders();
    }

    /** A decoder that never subsamples. */
    public ImageDecoder(int channels, long maxPixels) {
        this(channels, maxPixels, 0);
    }

    public int channels() {
        return channels;
    }

    /**
     * The image in {@code bytes} as {@link #channels()} planes of 8-bit samples (fewer rows and columns than the file
     * when subsampled).
     *
     * @param name the file's path, for messages only
     * @throws BadImageException if the bytes are empty, no image, truncated, corrupt, unsupported or too large
     */
    public PixelImage decode(byte[] bytes, String name) throws BadImageException {
        return ChwPlanes.colours(read(bytes, name, false), channels);
    }

    /**
     * The segmentation mask in {@code bytes} as one plane of class ids: a palette image's indices (not its colours)
     * or a grey image's samples, unchanged (VOC's 255 = ignore stays 255).
     *
     * @param name the file's path, for messages only
     * @throws BadImageException as {@link #decode}, and {@link Reason#UNSUPPORTED} for a colour or JPEG mask or a
     *                           sample value above 255
     */
    public PixelImage decodeMask(byte[] bytes, String name) throws BadImageException {
        return ChwPlanes.classIds(read(bytes, name, true), name);
    }

    /** Refuses a mask whose width and height differ from its image's, as {@link Reason#SIZE_MISMATCH}. */
    public static void requireSameSize(PixelImage image, PixelImage mask, String maskName) throws BadImageException {
        if (image.width() != mask.width() || image.height() != mask.height()) {
            throw new BadImageException(Reason.SIZE_MISMATCH, maskName, "mask is " + mask.width() + "x"
                    + mask.height() + " (width x height) but its image is " + image.width() + "x" + image.height());
        }
    }

    private BufferedImage read(byte[] bytes, String name, boolean mask) throws BadImageException {
        if (bytes == null || bytes.length == 0) {
            throw new BadImageException(Reason.EMPTY, name, "empty file (0 bytes)");
        }
        ImageInputStream input = new ByteArrayImageInputStream(bytes);
        ImageReaderSpi provider = providerFor(input, bytes, name);
        String format = provider.getFormatNames()[0].toUpperCase(Locale.ROOT);
        if (mask && Arrays.stream(provider.getFormatNames()).anyMatch("jpeg"::equalsIgnoreCase)) {
            throw new BadImageException(Reason.UNSUPPORTED, name,
                    "JPEG mask: lossy compression blurs class ids at every edge; masks must be PNG, GIF or BMP");
        }
        ImageReader reader = readers.computeIfAbsent(provider, this::newReader);
        if (reader == null) {
            throw new BadImageException(Reason.UNSUPPORTED, name, format + " reader could not be created");
        }
        warnings.clear();
        boolean healthy = false;
        try {
            reader.setInput(input, true, true);
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width <= 0 || height <= 0) {
                throw new BadImageException(Reason.UNREADABLE, name, "corrupt " + format + " (header gives "
                        + width + "x" + height + ")");
            }
            long pixels = (long) width * height;
            int step = subsamplingStep(width, height);
            long decoded = (long) ceilDiv(width, step) * ceilDiv(height, step);
            if (pixels > maxPixels || decoded * channels > MAX_SAMPLES) {
                throw new BadImageException(Reason.TOO_LARGE, name, format + " is " + width + "x" + height + " = "
                        + pixels + " pixels, above the limit of " + Math.min(maxPixels, MAX_SAMPLES / channels));
            }
            ImageReadParam param = reader.getDefaultReadParam();
            if (step > 1) {
                param.setSourceSubsampling(step, step, 0, 0);
            }
            BufferedImage image = reader.read(0, param);
            String truncation = truncationWarning();
            if (truncation != null) {
                throw new BadImageException(Reason.TRUNCATED, name, "truncated " + format + " (" + truncation + ")");
            }
            healthy = true;
            return image;
        } catch (IOException | RuntimeException e) {
            throw classify(e, format, name, bytes);
        } catch (BadImageException e) {
            healthy = true;
            throw e;
        } finally {
            reader.setInput(null);
            if (!healthy) {
                // A reader that failed mid-image may hold broken state; the next file gets a fresh one.
                readers.remove(provider);
                reader.dispose();
            }
        }
    }

    private int subsamplingStep(int width, int height) {
        int shorter = Math.min(width, height);
        return maxSide > 0 && shorter > 2L * maxSide ? shorter / maxSide : 1;
    }

    private static int ceilDiv(int value, int divisor) {
        return (value + divisor - 1) / divisor;
    }

    private ImageReaderSpi providerFor(ImageInputStream input, byte[] bytes, String name) throws BadImageException {
        for (ImageReaderSpi provider : providers) {
            if (recognises(provider, input)) {
                return provider;
            }
        }
        String known = unsupportedFormat(bytes);
        if (known != null) {
            throw new BadImageException(Reason.UNSUPPORTED, name, "unsupported " + known
                    + " image: no decoder for it on the classpath");
        }
        throw new BadImageException(Reason.NOT_AN_IMAGE, name, "not an image: no decoder recognises its "
                + bytes.length + " bytes, which start with " + prefix(bytes));
    }

    private static boolean recognises(ImageReaderSpi provider, ImageInputStream input) {
        try {
            input.mark();
            try {
                return provider.canDecodeInput(input);
            } finally {
                input.reset();
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private ImageReader newReader(ImageReaderSpi provider) {
        try {
            ImageReader reader = provider.createReaderInstance();
            reader.addIIOReadWarningListener(warningListener);
            return reader;
        } catch (IOException e) {
            return null;
        }
    }

    /** The registered readers that take an ImageInputStream, in the registry's preference order. */
    private static List<ImageReaderSpi> streamReaders() {
        List<ImageReaderSpi> found = new ArrayList<>();
        Iterator<ImageReaderSpi> all = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, true);
        while (all.hasNext()) {
            ImageReaderSpi provider = all.next();
            if (Arrays.stream(provider.getInputTypes()).anyMatch(t -> t.isAssignableFrom(ImageInputStream.class))) {
                found.add(provider);
            }
        }
        return found;
    }

    // libjpeg reports a file that ends early as a warning and fills the missing rows with grey.
    private String truncationWarning() {
        for (String warning : warnings) {
            if (warning != null && TRUNCATION.matcher(warning).find()) {
                return warning;
            }
        }
        return null;
    }

    private BadImageException classify(Exception failure, String format, String name, byte[] bytes) {
        String warning = truncationWarning();
        if (warning != null) {
            return new BadImageException(Reason.TRUNCATED, name, "truncated " + format + " (" + warning + ")", failure);
        }
        String detail = describe(failure);
        boolean endsEarly = lacksEnd(format, bytes);
        for (Throwable t = failure; t != null && !endsEarly; t = t.getCause()) {
            endsEarly = t instanceof EOFException
                    || t.getMessage() != null && TRUNCATION.matcher(t.getMessage()).find();
        }
        if (endsEarly) {
            return new BadImageException(Reason.TRUNCATED, name, "truncated " + format + " (" + detail + ")", failure);
        }
        if (UNSUPPORTED.matcher(detail).find()) {
            return new BadImageException(Reason.UNSUPPORTED, name, "unsupported " + format + " (" + detail + ")",
                    failure);
        }
        return new BadImageException(Reason.UNREADABLE, name, "corrupt " + format + " (" + detail + ")", failure);
    }

    /**
     * Whether a file that failed to decode lacks its format's end marker, i.e. was cut: a reader that meets the end of
     * the bytes before its header is complete often complains about what it missed ("No SOF segment in stream")
     * rather than about the end. Only asked after a failure, so trailing junk behind an intact file costs nothing.
     */
    private static boolean lacksEnd(String format, byte[] bytes) {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--; // zero padding, as left by some copy tools and pre-allocated files
        }
        switch (format) {
            case "JPEG":
                return end < 2 || (bytes[end - 2] & 0xFF) != 0xFF || (bytes[end - 1] & 0xFF) != 0xD9;
            case "PNG":
                return new String(bytes, Math.max(0, end - 12), end - Math.max(0, end - 12),
                        StandardCharsets.ISO_8859_1).indexOf("IEND") < 0;
            case "GIF":
                return end == 0 || bytes[end - 1] != 0x3B;
            case "BMP":
                // The file header's bfSize, little-endian at offset 2 (0 when the writer did not fill it).
                return bytes.length < 6 || bytes.length < ((bytes[2] & 0xFFL) | (bytes[3] & 0xFFL) << 8
                        | (bytes[4] & 0xFFL) << 16 | (bytes[5] & 0xFFL) << 24);
            default:
                return false;
        }
    }

    /** The messages along the cause chain, e.g. "Error reading PNG image data: Unexpected end of ZLIB input stream". */
    private static String describe(Throwable failure) {
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 5; t = t.getCause(), depth++) {
            String message = t.getMessage();
            String part = t instanceof IOException && message != null ? message
                    : t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
            if (text.indexOf(part) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(part);
            }
        }
        return text.length() > 300 ? text.substring(0, 300) + "..." : text.toString();
    }

    /** Formats people store images in that no reader here decodes, told apart from "not an image" by magic bytes. */
    private static String unsupportedFormat(byte[] b) {
        if (startsWith(b, 0, "RIFF") && startsWith(b, 8, "WEBP")) {
            return "WebP";
        }
        if (startsWith(b, 4, "ftyp") && b.length >= 12) {
            String brand = new String(b, 8, 4, StandardCharsets.ISO_8859_1);
            if (brand.startsWith("avi")) {
                return "AVIF";
            }
            if (brand.startsWith("hei") || brand.startsWith("hev") || brand.equals("mif1") || brand.equals("msf1")) {
                return "HEIF";
            }
        }
        if (startsWith(b, 4, "jP  ") || b.length >= 4 && (b[0] & 0xFF) == 0xFF && b[1] == 0x4F
                && (b[2] & 0xFF) == 0xFF && b[3] == 0x51) {
            return "JPEG 2000";
        }
        if (startsWith(b, 4, "JXL ") || b.length >= 2 && (b[0] & 0xFF) == 0xFF && b[1] == 0x0A) {
            return "JPEG XL";
        }
        if (startsWith(b, 0, "8BPS")) {
            return "Photoshop PSD";
        }
        return null;
    }

    private static boolean startsWith(byte[] bytes, int at, String magic) {
        if (bytes.length < at + magic.length()) {
            return false;
        }
        for (int i = 0; i < magic.length(); i++) {
            if (bytes[at + i] != (byte) magic.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The first bytes in hex, plus as text when they are printable (an HTML error page saved as .jpg, say). */
    private static String prefix(byte[] bytes) {
        int n = Math.min(bytes.length, 8);
        StringBuilder hex = new StringBuilder();
        boolean printable = true;
        for (int i = 0; i < n; i++) {
            int v = bytes[i] & 0xFF;
            hex.append(i == 0 ? "" : " ").append(String.format("%02x", v));
            printable &= v >= 0x20 && v < 0x7F || v == '\t' || v == '\n' || v == '\r';
        }
        if (printable) {
            hex.append(" (\"").append(new String(bytes, 0, n, StandardCharsets.ISO_8859_1).replaceAll("\\s", " "))
                    .append("\")");
        }
        return hex.toString();
    }
}
