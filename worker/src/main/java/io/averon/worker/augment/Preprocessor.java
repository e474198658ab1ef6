package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Carries out an {@link AugmentSpec} on decoded images, writing each example as channels x height x width floats
 * straight into a minibatch buffer. All geometric operations (resize, crop, flips, rotation, scale, translation) are
 * composed into one inverse affine map from output pixel to source coordinates, and the source is sampled once:
 * bilinearly for the image, nearest-neighbour for a segmentation mask, so image and mask move together and a mask
 * never blends class ids. Output pixels whose centre maps outside the source are black (sample 0, before
 * normalisation) in the image and 255 (ignore) in the mask. Large downscales are not low-pass filtered first, so they
 * alias like an un-antialiased bilinear resize.
 *
 * <p>Channel counts: an image with the target's channel count is used as is; a 1-channel image is replicated to every
 * target channel; a 4-channel image feeds a 3-channel target with alpha dropped; a 3-channel image feeds a 1-channel
 * target through the luma weights 0.299/0.587/0.114. Other combinations are rejected.
 *
 * <p>Not thread-safe: keep one per prefetch thread. It owns target-sized scratch arrays, so once constructed it
 * allocates nothing per image. The output depends only on the image, the spec and the generator's state; use
 * {@link #exampleRng(long, int, int)} for a per-example stream that does not depend on thread scheduling.
 */
public final class Preprocessor {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final AugmentSpec spec;
    private final int channels;
    private final int height;
    private final int width;
    private final int plane;
    private final float[] mean;
    private final float[] invStd;
    private final boolean random;

    // Per output pixel: source index of the top-left bilinear neighbour (-1 = outside the source) and the weights of
    // the right and lower neighbours; nearest[] is the nearest source index for masks.
    private final int[] base;
    private final float[] fx;
    private final float[] fy;
    private final int[] nearest;
    private final int[] jitterOrder = new int[4];

    // The current example's inverse map: source sample coordinates (sample i centred at i) of output pixel (ox, oy)
    // are (mxx*ox + mxy*oy + mx0, myx*ox + myy*oy + my0).
    private double mxx;
    private double mxy;
    private double mx0;
    private double myx;
    private double myy;
    private double my0;

    public Preprocessor(AugmentSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.channels = spec.channels();
        this.height = spec.height();
        this.width = spec.width();
        this.plane = height * width;
        this.random = spec.isRandom();
        double[] m = spec.mean();
        double[] s = spec.std();
        this.mean = new float[channels];
        this.invStd = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = (float) m[c];
            invStd[c] = (float) (1.0 / s[c]);
        }
        this.base = new int[plane];
        this.fx = new float[plane];
        this.fy = new float[plane];
        this.nearest = new int[plane];
    }

    public AugmentSpec spec() {
        return spec;
    }

    /**
     * Preprocesses one example into {@code dst[dstOffset, dstOffset + spec.exampleLength())}, planar CHW.
     *
     * @param rng the example's random stream; not read when the spec is not training or has no random operation, and
     *            may then be null
     */
    public void apply(PixelImage image, RandomGenerator rng, float[] dst, int dstOffset) {
        run(image, null, rng, dst, dstOffset, null, 0);
    }

    /**
     * Preprocesses one segmentation example: the same geometric transform is applied to image and mask, colour
     * jitter, noise and erasing to the image only. The mask (one channel of class ids, 255 = ignore, same height and
     * width as the image) is written as height x width floats holding class ids, 255 where the output falls outside
     * the source.
     */
    public void apply(PixelImage image, PixelImage mask, RandomGenerator rng, float[] dst, int dstOffset,
                      float[] maskDst, int maskOffset) {
        Objects.requireNonNull(mask, "mask");
        if (mask.channels() != 1 || mask.height() != image.height() || mask.width() != image.width()) {
            throw new IllegalArgumentException("mask must be 1x" + image.height() + "x" + image.width()
                    + " to match the image, was " + mask);
        }
        Objects.requireNonNull(maskDst, "maskDst");
        Objects.checkFromIndexSize(maskOffset, plane, maskDst.length);
        run(image, mask, rng, dst, dstOffset, maskDst, maskOffset);
    }

    /**
     * A random stream for one example of one epoch, derived only from the three numbers, so any worker thread that
     * handles the example (including a retried task) draws the same augmentation.
     */
    public static RandomGenerator exampleRng(long seed, int epoch, int exampleIndex) {
        long h = mix64(seed + GOLDEN);
        h = mix64(h + 0xBF58476D1CE4E5B9L * (epoch + 1L));
        h = mix64(h + 0x94D049BB133111EBL * (exampleIndex + 1L));
        return new SplittableRandom(h);
    }

    private void run(PixelImage image, PixelImage mask, RandomGenerator rng, float[] dst, int off, float[] maskDst,
                     int maskOff) {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(dst, "dst");
        Objects.checkFromIndexSize(off, channels * plane, dst.length);
        RandomGenerator r = random ? rng : null;
        if (random && rng == null) {
            throw new IllegalArgumentException("rng must not be null: the spec has random operations in training");
        }
        planGeometry(image.height(), image.width(), r);
        fillSamplingTables(image.height(), image.width(), mask != null);
        sampleImage(image, dst, off);
        if (mask != null) {
            sampleMask(mask.samples(), maskDst, maskOff);
        }
        if (r != null) {
            jitterColour(r, dst, off);
            addNoise(r, dst, off);
        }
        normalise(dst, off);
        if (r != null) {
            erase(r, dst, off);
        }
    }

    // ---- geometry -------------------------------------------------------------------------------------------------

    /** Draws the geometric parameters and composes them into the inverse map (mxx .. my0). */
    private void planGeometry(int srcH, int srcW, RandomGenerator rng) {
        int rh;
        int rw;
        switch (spec.resizeMode()) {
            case EXACT:
                rh = height;
                rw = width;
                break;
            case SHORTER_SIDE: {
                // torchvision Resize(int): shorter side = size, longer side truncated.
                int s = spec.shorterSide();
                if (srcW <= srcH) {
                    rw = s;
                    rh = (int) Math.max(1, (long) s * srcH / srcW);
                } else {
                    rh = s;
                    rw = (int) Math.max(1, (long) s * srcW / srcH);
                }
                break;
            }
            default:
                rh = srcH;
                rw = srcW;
        }
        double sx = (double) rw / srcW;
        double sy = (double) rh / srcH;

        int top;
        int left;
        if (rng != null && spec.cropMode() == AugmentSpec.CropMode.RANDOM) {
            top = randomOffset(rh - height, rng);
            left = randomOffset(rw - width, rng);
        } else {
            // Integer division truncates toward zero: a larger image loses floor((r-t)/2) at the top/left, a smaller
            // one is padded by floor((t-r)/2) there.
            top = (rh - height) / 2;
            left = (rw - width) / 2;
        }
        boolean hflip = rng != null && spec.hflipProbability() > 0 && rng.nextDouble() < spec.hflipProbability();
        boolean vflip = rng != null && spec.vflipProbability() > 0 && rng.nextDouble() < spec.vflipProbability();
        double angle = 0;
        double scale = 1;
        double tx = 0;
        double ty = 0;
        if (rng != null) {
            if (spec.rotationDegrees() > 0) {
                angle = symmetric(rng, spec.rotationDegrees());
            }
            if (spec.scaleMin() != spec.scaleMax()) {
                scale = spec.scaleMin() + (spec.scaleMax() - spec.scaleMin()) * rng.nextDouble();
            } else {
                scale = spec.scaleMin();
            }
            if (spec.translateFraction() > 0) {
                tx = symmetric(rng, spec.translateFraction() * width);
                ty = symmetric(rng, spec.translateFraction() * height);
            }
        }

        // Continuous coordinates: output pixel (ox, oy) covers [ox, ox+1) x [oy, oy+1); its centre q is mapped back
        // stage by stage. a = (ax*ox + bx*oy + cx, ay*ox + by*oy + cy) is the point in the flipped crop.
        double ax = 1;
        double bx = 0;
        double cx = 0.5;
        double ay = 0;
        double by = 1;
        double cy = 0.5;
        if (angle != 0 || scale != 1 || tx != 0 || ty != 0) {
            // Forward: q = h + t + scale * R(angle) (a - h), R counter-clockwise as displayed (y down).
            // Inverse: a = h + R(-angle) (q - h - t) / scale.
            double rad = Math.toRadians(angle);
            double c = Math.cos(rad) / scale;
            double s = Math.sin(rad) / scale;
            double hx = width / 2.0;
            double hy = height / 2.0;
            double dx = 0.5 - hx - tx;
            double dy = 0.5 - hy - ty;
            ax = c;
            bx = -s;
            cx = hx + c * dx - s * dy;
            ay = s;
            by = c;
            cy = hy + s * dx + c * dy;
        }
        if (hflip) {
            ax = -ax;
            bx = -bx;
            cx = width - cx;
        }
        if (vflip) {
            ay = -ay;
            by = -by;
            cy = height - cy;
        }
        // Undo the crop (shift into the resized image) and the resize, then move to sample coordinates, where
        // sample i is centred at i (half-pixel convention, align_corners=false).
        mxx = ax / sx;
        mxy = bx / sx;
        mx0 = (cx + left) / sx - 0.5;
        myx = ay / sy;
        myy = by / sy;
        my0 = (cy + top) / sy - 0.5;
    }

    private static int randomOffset(int slack, RandomGenerator rng) {
        if (slack == 0) {
            return 0;
        }
        // A smaller image is placed at a random position inside the padded target: offset in [slack, 0].
        return slack > 0 ? rng.nextInt(slack + 1) : -rng.nextInt(-slack + 1);
    }

    private static double symmetric(RandomGenerator rng, double max) {
        return (2 * rng.nextDouble() - 1) * max;
    }

    /**
     * Evaluates the inverse map once per output pixel. An output pixel is inside when its centre maps into the source
     * area [-0.5, size - 0.5); inside, neighbours are clamped to the edge so the border is not darkened.
     */
    private void fillSamplingTables(int srcH, int srcW, boolean withNearest) {
        int stepX = srcW > 1 ? 1 : 0;
        int stepY = srcH > 1 ? 1 : 0;
        double limX = srcW - 0.5;
        double limY = srcH - 0.5;
        int i = 0;
        for (int oy = 0; oy < height; oy++) {
            double rowX = mxy * oy + mx0;
            double rowY = myy * oy + my0;
            for (int ox = 0; ox < width; ox++, i++) {
                double x = mxx * ox + rowX;
                double y = myx * ox + rowY;
                if (!(x >= -0.5 && x < limX && y >= -0.5 && y < limY)) {
                    base[i] = -1;
                    continue;
                }
                int x0 = (int) Math.floor(x);
                int y0 = (int) Math.floor(y);
                float wx = (float) (x - x0);
                float wy = (float) (y - y0);
                if (withNearest) {
                    int nx = Math.min(srcW - 1, Math.max(0, (int) Math.floor(x + 0.5)));
                    int ny = Math.min(srcH - 1, Math.max(0, (int) Math.floor(y + 0.5)));
                    nearest[i] = ny * srcW + nx;
                }
                if (x0 < 0) {
                    x0 = 0;
                    wx = 0;
                } else if (x0 >= srcW - 1) {
                    // Keep x0 + stepX in range by taking the last sample as the right neighbour with full weight.
                    x0 = srcW - 1 - stepX;
                    wx = stepX;
                }
                if (y0 < 0) {
                    y0 = 0;
                    wy = 0;
                } else if (y0 >= srcH - 1) {
                    y0 = srcH - 1 - stepY;
                    wy = stepY;
                }
                base[i] = y0 * srcW + x0;
                fx[i] = wx;
                fy[i] = wy;
            }
        }
    }

    private void sampleImage(PixelImage image, float[] dst, int off) {
        int srcC = image.channels();
        int srcPlane = image.height() * image.width();
        int stepX = image.width() > 1 ? 1 : 0;
        int stepY = image.height() > 1 ? image.width() : 0;
        byte[] src = image.samples();
        if (srcC == channels || srcC == 1 || srcC == 4 && channels == 3) {
            for (int c = 0; c < channels; c++) {
                int from = srcC == 1 ? 0 : c * srcPlane;
                samplePlane(src, from, stepX, stepY, dst, off + c * plane, 1f, false);
            }
        } else if (srcC == 3 && channels == 1) {
            samplePlane(src, 0, stepX, stepY, dst, off, 0.299f, false);
            samplePlane(src, srcPlane, stepX, stepY, dst, off, 0.587f, true);
            samplePlane(src, 2 * srcPlane, stepX, stepY, dst, off, 0.114f, true);
        } else {
            throw new IllegalArgumentException("image has " + srcC + " channels but augment.channels is " + channels
                    + " (supported: equal counts, 1 -> any, 4 -> 3 dropping alpha, 3 -> 1 as luma)");
        }
    }

    /** Bilinear sampling of one source channel; writes (or adds) weight * value / 255. */
    private void samplePlane(byte[] src, int from, int stepX, int stepY, float[] dst, int off, float weight,
                             boolean add) {
        int[] b = base;
        float[] wxs = fx;
        float[] wys = fy;
        int down = stepY;
        int diag = stepY + stepX;
        for (int i = 0; i < plane; i++) {
            int p = b[i];
            float v;
            if (p < 0) {
                v = 0f;
            } else {
                p += from;
                float s00 = src[p] & 0xFF;
                float s01 = src[p + stepX] & 0xFF;
                float s10 = src[p + down] & 0xFF;
                float s11 = src[p + diag] & 0xFF;
                float wx = wxs[i];
                float upper = s00 + wx * (s01 - s00);
                float lower = s10 + wx * (s11 - s10);
                // Division rather than a reciprocal multiply keeps an unresampled image exactly sample / 255.
                v = (upper + wys[i] * (lower - upper)) * weight / 255f;
            }
            dst[off + i] = add ? dst[off + i] + v : v;
        }
    }

    private void sampleMask(byte[] src, float[] dst, int off) {
        for (int i = 0; i < plane; i++) {
            dst[off + i] = base[i] < 0 ? 255f : (float) (src[nearest[i]] & 0xFF);
        }
    }

    // ---- photometric ----------------------------------------------------------------------------------------------

    /** torchvision ColorJitter: the four adjustments in a random order, each factor drawn up front. */
    private void jitterColour(RandomGenerator rng, float[] dst, int off) {
        double b = spec.brightness();
        double c = spec.contrast();
        double s = channels == 3 ? spec.saturation() : 0;
        double h = channels == 3 ? spec.hue() : 0;
        if (b == 0 && c == 0 && s == 0 && h == 0) {
            return;
        }
        int[] order = jitterOrder;
        for (int i = 0; i < 4; i++) {
            order[i] = i;
        }
        for (int i = 3; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        float bf = b > 0 ? (float) factor(rng, b) : 1f;
        float cf = c > 0 ? (float) factor(rng, c) : 1f;
        float sf = s > 0 ? (float) factor(rng, s) : 1f;
        float hs = h > 0 ? (float) symmetric(rng, h) : 0f;
        for (int op : order) {
            switch (op) {
                case 0:
                    if (b > 0) {
                        brightness(dst, off, bf);
                    }
                    break;
                case 1:
                    if (c > 0) {
                        contrast(dst, off, cf);
                    }
                    break;
                case 2:
                    if (s > 0) {
                        saturation(dst, off, sf);
                    }
                    break;
                default:
                    if (h > 0) {
                        hue(dst, off, hs);
                    }
            }
        }
    }

    private static double factor(RandomGenerator rng, double amount) {
        double lo = Math.max(0, 1 - amount);
        double hi = 1 + amount;
        return lo + (hi - lo) * rng.nextDouble();
    }

    private void brightness(float[] dst, int off, float f) {
        int end = off + channels * plane;
        for (int i = off; i < end; i++) {
            dst[i] = clamp01(dst[i] * f);
        }
    }

    /** Blends towards the mean grey level of the whole image (luma for 3 channels, plain mean otherwise). */
    private void contrast(float[] dst, int off, float f) {
        double sum = 0;
        if (channels == 3) {
            for (int i = 0; i < plane; i++) {
                sum += luma(dst[off + i], dst[off + plane + i], dst[off + 2 * plane + i]);
            }
            sum /= plane;
        } else {
            int end = off + channels * plane;
            for (int i = off; i < end; i++) {
                sum += dst[i];
            }
            sum /= (double) channels * plane;
        }
        float shift = (float) ((1 - f) * sum);
        int end = off + channels * plane;
        for (int i = off; i < end; i++) {
            dst[i] = clamp01(f * dst[i] + shift);
        }
    }

    /** Blends each pixel towards its own grey level (3 channels). */
    private void saturation(float[] dst, int off, float f) {
        float g = 1 - f;
        for (int i = 0; i < plane; i++) {
            int r = off + i;
            int gr = r + plane;
            int bl = gr + plane;
            float grey = g * luma(dst[r], dst[gr], dst[bl]);
            dst[r] = clamp01(f * dst[r] + grey);
            dst[gr] = clamp01(f * dst[gr] + grey);
            dst[bl] = clamp01(f * dst[bl] + grey);
        }
    }

    /** Rotates the hue of each pixel by {@code shift} of a full turn through HSV (3 channels). */
    private void hue(float[] dst, int off, float shift) {
        for (int i = 0; i < plane; i++) {
            int ri = off + i;
            int gi = ri + plane;
            int bi = gi + plane;
            float r = dst[ri];
            float g = dst[gi];
            float b = dst[bi];
            float max = Math.max(r, Math.max(g, b));
            float min = Math.min(r, Math.min(g, b));
            float chroma = max - min;
            if (chroma == 0) {
                continue; // grey: hue undefined, unchanged
            }
            float h;
            if (max == r) {
                h = (g - b) / chroma;
            } else if (max == g) {
                h = 2 + (b - r) / chroma;
            } else {
                h = 4 + (r - g) / chroma;
            }
            h = h / 6 + shift;
            h -= (float) Math.floor(h);
            float h6 = h * 6;
            int sector = (int) h6;
            if (sector > 5) {
                // h just below 1 rounded up to a full turn
                sector = 0;
                h6 = 0;
            }
            float frac = h6 - sector;
            float p = min;
            float q = max - chroma * frac;
            float t = min + chroma * frac;
            switch (sector) {
                case 0:
                    r = max;
                    g = t;
                    b = p;
                    break;
                case 1:
                    r = q;
                    g = max;
                    b = p;
                    break;
                case 2:
                    r = p;
                    g = max;
                    b = t;
                    break;
                case 3:
                    r = p;
                    g = q;
                    b = max;
                    break;
                case 4:
                    r = t;
                    g = p;
                    b = max;
                    break;
                default:
                    r = max;
                    g = p;
                    b = q;
            }
            dst[ri] = r;
            dst[gi] = g;
            dst[bi] = b;
        }
    }

    private void addNoise(RandomGenerator rng, float[] dst, int off) {
        double sigma = spec.noiseSigma();
        if (sigma == 0) {
            return;
        }
        int end = off + channels * plane;
        for (int i = off; i < end; i++) {
            dst[i] = clamp01(dst[i] + (float) (sigma * rng.nextGaussian()));
        }
    }

    private void normalise(float[] dst, int off) {
        for (int c = 0; c < channels; c++) {
            float m = mean[c];
            float k = invStd[c];
            if (m == 0f && k == 1f) {
                continue;
            }
            int from = off + c * plane;
            int end = from + plane;
            for (int i = from; i < end; i++) {
                dst[i] = (dst[i] - m) * k;
            }
        }
    }

    /** torchvision RandomErasing: up to 10 tries for a rectangle that fits; filled with 0 after normalisation. */
    private void erase(RandomGenerator rng, float[] dst, int off) {
        double p = spec.erasingProbability();
        if (p == 0 || rng.nextDouble() >= p) {
            return;
        }
        double area = (double) plane;
        double logLo = Math.log(spec.erasingAspectMin());
        double logHi = Math.log(spec.erasingAspectMax());
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (spec.erasingAreaMin()
                    + (spec.erasingAreaMax() - spec.erasingAreaMin()) * rng.nextDouble());
            double aspect = Math.exp(logLo + (logHi - logLo) * rng.nextDouble());
            int h = (int) Math.round(Math.sqrt(target * aspect));
            int w = (int) Math.round(Math.sqrt(target / aspect));
            if (h < 1 || w < 1 || h >= height || w >= width) {
                continue;
            }
            int top = rng.nextInt(height - h + 1);
            int left = rng.nextInt(width - w + 1);
            for (int c = 0; c < channels; c++) {
                for (int y = top; y < top + h; y++) {
                    int from = off + c * plane + y * width + left;
                    Arrays.fill(dst, from, from + w, 0f);
                }
            }
            return;
        }
    }

    private static float luma(float r, float g, float b) {
        return 0.299f * r + 0.587f * g + 0.114f * b;
    }

    private static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
