package io.averon.worker.augment;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What the preprocessing stage does to every example of a job: the target tensor shape, how a decoded image is
 * resized and cropped to it, which random augmentations run in training, and the per-channel normalisation. Built
 * once by the driver from the job configuration and shipped to the executors, where a {@link Preprocessor} carries it
 * out. Immutable; every builder default is "no augmentation": EXACT resize to the target, CENTER crop, all
 * probabilities and magnitudes zero, scale 1, mean 0 and std 1 (so outputs are samples / 255 in [0, 1]).
 *
 * <p>Forward order of the operations: resize, crop (padding with black, or 255 for masks, where the resized image is
 * smaller than the target), horizontal/vertical flip, random affine (rotation, scale, translation about the centre),
 * colour jitter in torchvision's random order, Gaussian noise (clamped back to [0, 1]), normalisation, random erasing.
 * Random erasing fills its rectangle with 0 after normalisation, which is the dataset mean colour when mean/std are the
 * dataset's (torchvision's default {@code value=0}). With {@code training == false} every random operation is off and
 * the crop is CENTER, so evaluation output depends on the image alone.
 */
public final class AugmentSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** How the source image is scaled before cropping. */
    public enum ResizeMode {
        /** Stretch to exactly the target height and width (aspect ratio not kept); the crop is then a no-op. */
        EXACT,
        /** Scale so the shorter side equals {@link #shorterSide()}, keeping the aspect ratio; then crop. */
        SHORTER_SIDE,
        /** Keep the source size and crop (or pad) it to the target. */
        NONE
    }

    /** Where the target-sized window is taken from the resized image. */
    public enum CropMode {
        /** The centred window; always used in evaluation. */
        CENTER,
        /** A uniformly random pixel-aligned window in training. */
        RANDOM
    }

    private final int channels;
    private final int height;
    private final int width;
    private final ResizeMode resizeMode;
    private final int shorterSide;
    private final CropMode cropMode;
    private final double hflip;
    private final double vflip;
    private final double rotationDegrees;
    private final double scaleMin;
    private final double scaleMax;
    private final double translate;
    private final double brightness;
    private final double contrast;
    private final double saturation;
    private final double hue;
    private final double noiseSigma;
    private final double erasing;
    private final double erasingAreaMin;
    private final double erasingAreaMax;
    private final double erasingAspectMin;
    private final double erasingAspectMax;
    private final double[] mean;
    private final double[] std;
    private final boolean training;

    private AugmentSpec(Builder b) {
        channels = b.channels;
        height = b.height;
        width = b.width;
        resizeMode = b.resizeMode;
        shorterSide = b.shorterSide == 0 ? Math.min(b.height, b.width) : b.shorterSide;
        cropMode = b.cropMode;
        hflip = b.hflip;
        vflip = b.vflip;
        rotationDegrees = b.rotationDegrees;
        scaleMin = b.scaleMin;
        scaleMax = b.scaleMax;
        translate = b.translate;
        brightness = b.brightness;
        contrast = b.contrast;
        saturation = b.saturation;
        hue = b.hue;
        noiseSigma = b.noiseSigma;
        erasing = b.erasing;
        erasingAreaMin = b.erasingAreaMin;
        erasingAreaMax = b.erasingAreaMax;
        erasingAspectMin = b.erasingAspectMin;
        erasingAspectMax = b.erasingAspectMax;
        mean = b.mean == null ? new double[b.channels] : b.mean.clone();
        std = b.std == null ? filled(b.channels, 1.0) : b.std.clone();
        training = b.training;
    }

    /**
     * A builder for tensors of {@code channels x height x width}; every other setting starts at its no-augmentation
     * default.
     */
    public static Builder builder(int channels, int height, int width) {
        return new Builder(channels, height, width);
    }

    /** A builder holding every setting of this spec, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder(channels, height, width);
        b.resizeMode = resizeMode;
        b.shorterSide = shorterSide;
        b.cropMode = cropMode;
        b.hflip = hflip;
        b.vflip = vflip;
        b.rotationDegrees = rotationDegrees;
        b.scaleMin = scaleMin;
        b.scaleMax = scaleMax;
        b.translate = translate;
        b.brightness = brightness;
        b.contrast = contrast;
        b.saturation = saturation;
        b.hue = hue;
        b.noiseSigma = noiseSigma;
        b.erasing = erasing;
        b.erasingAreaMin = erasingAreaMin;
        b.erasingAreaMax = erasingAreaMax;
        b.erasingAspectMin = erasingAspectMin;
        b.erasingAspectMax = erasingAspectMax;
        b.mean = mean.clone();
        b.std = std.clone();
        b.training = training;
        return b;
    }

    /** This spec with {@code training == false}: the same resize, crop size and normalisation, no randomness. */
    public AugmentSpec forEvaluation() {
        return training ? toBuilder().training(false).build() : this;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Floats one example occupies in a minibatch buffer: channels * height * width. */
    public int exampleLength() {
        return channels * height * width;
    }

    public ResizeMode resizeMode() {
        return resizeMode;
    }

    /** The shorter-side length of SHORTER_SIDE resizing; defaults to min(height, width). */
    public int shorterSide() {
        return shorterSide;
    }

    /** The crop mode as configured; evaluation uses CENTER regardless (see {@link #effectiveCropMode()}). */
    public CropMode cropMode() {
        return cropMode;
    }

    /** The crop mode actually applied: the configured one in training, CENTER otherwise. */
    public CropMode effectiveCropMode() {
        return training ? cropMode : CropMode.CENTER;
    }

    public double hflipProbability() {
        return hflip;
    }

    public double vflipProbability() {
        return vflip;
    }

    /** Rotation angle drawn uniformly in [-d, d] degrees, positive = counter-clockwise as displayed. */
    public double rotationDegrees() {
        return rotationDegrees;
    }

    public double scaleMin() {
        return scaleMin;
    }

    public double scaleMax() {
        return scaleMax;
    }

    /** Maximum translation as a fraction of the target width (x) and height (y), each drawn uniformly in [-t, t]. */
    public double translateFraction() {
        return translate;
    }

    public double brightness() {
        return brightness;
    }

    public double contrast() {
        return contrast;
    }

    public double saturation() {
        return saturation;
    }

    public double hue() {
        return hue;
    }

    /** Standard deviation of additive Gaussian noise, in [0, 1] pixel units. */
    public double noiseSigma() {
        return noiseSigma;
    }

    public double erasingProbability() {
        return erasing;
    }

    public double erasingAreaMin() {
        return erasingAreaMin;
    }

    public double erasingAreaMax() {
        return erasingAreaMax;
    }

    public double erasingAspectMin() {
        return erasingAspectMin;
    }

    public double erasingAspectMax() {
        return erasingAspectMax;
    }

    /** Per-channel mean subtracted from the [0, 1] value; a copy. */
    public double[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviation the centred value is divided by; a copy. */
    public double[] std() {
        return std.clone();
    }

    public boolean training() {
        return training;
    }

    /** Whether any random operation can fire, i.e. whether {@link Preprocessor} will read the generator at all. */
    public boolean isRandom() {
        return training && (cropMode == CropMode.RANDOM && resizeMode != ResizeMode.EXACT
                || hflip > 0 || vflip > 0 || rotationDegrees > 0 || scaleMin != 1 || scaleMax != 1 || translate > 0
                || brightness > 0 || contrast > 0 || saturation > 0 || hue > 0 || noiseSigma > 0 || erasing > 0);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AugmentSpec)) {
            return false;
        }
        AugmentSpec s = (AugmentSpec) o;
        return channels == s.channels && height == s.height && width == s.width && resizeMode == s.resizeMode
                && shorterSide == s.shorterSide && cropMode == s.cropMode && hflip == s.hflip && vflip == s.vflip
                && rotationDegrees == s.rotationDegrees && scaleMin == s.scaleMin && scaleMax == s.scaleMax
                && translate == s.translate && brightness == s.brightness && contrast == s.contrast
                && saturation == s.saturation && hue == s.hue && noiseSigma == s.noiseSigma && erasing == s.erasing
                && erasingAreaMin == s.erasingAreaMin && erasingAreaMax == s.erasingAreaMax
                && erasingAspectMin == s.erasingAspectMin && erasingAspectMax == s.erasingAspectMax
                && Arrays.equals(mean, s.mean) && Arrays.equals(std, s.std) && training == s.training;
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "AugmentSpec{" + channels + "x" + height + "x" + width + ", resize=" + resizeMode
                + (resizeMode == ResizeMode.SHORTER_SIDE ? "(" + shorterSide + ")" : "") + ", crop=" + cropMode
                + ", hflip=" + hflip + ", vflip=" + vflip + ", rotation=" + rotationDegrees + ", scale=[" + scaleMin
                + "," + scaleMax + "], translate=" + translate + ", brightness=" + brightness + ", contrast="
                + contrast + ", saturation=" + saturation + ", hue=" + hue + ", noise=" + noiseSigma + ", erasing="
                + erasing + " area=[" + erasingAreaMin + "," + erasingAreaMax + "] aspect=[" + erasingAspectMin + ","
                + erasingAspectMax + "], mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
                + ", training=" + training + "}";
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    /**
     * Collects the settings of an {@link AugmentSpec}. Each setter checks its own range and throws
     * IllegalArgumentException naming the parameter ({@code augment.*}) and the bad value; {@link #build()} checks the
     * settings that depend on each other.
     */
    public static final class Builder {
        private final int channels;
        private final int height;
        private final int width;
        private ResizeMode resizeMode = ResizeMode.EXACT;
        private int shorterSide;
        private CropMode cropMode = CropMode.CENTER;
        private double hflip;
        private double vflip;
        private double rotationDegrees;
        private double scaleMin = 1;
        private double scaleMax = 1;
        private double translate;
        private double brightness;
        private double contrast;
        private double saturation;
        private double hue;
        private double noiseSigma;
        private double erasing;
        private double erasingAreaMin = 0.02;
        private double erasingAreaMax = 0.33;
        private double erasingAspectMin = 0.3;
        private double erasingAspectMax = 3.3;
        private double[] mean;
        private double[] std;
        private boolean training = true;

        private Builder(int channels, int height, int width) {
            positive("augment.channels", channels);
            positive("augment.height", height);
            positive("augment.width", width);
            if ((long) channels * height * width > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("augment target " + channels + "x" + height + "x" + width
                        + " has more than " + Integer.MAX_VALUE + " values");
            }
            this.channels = channels;
            this.height = height;
            this.width = width;
        }

        /** Resize mode; default EXACT. SHORTER_SIDE uses {@link #shorterSide(int)}, default min(height, width). */
        public Builder resize(ResizeMode mode) {
            if (mode == null) {
                throw new IllegalArgumentException("augment.resize must be one of "
                        + Arrays.toString(ResizeMode.values()) + ", was null");
            }
            this.resizeMode = mode;
            return this;
        }

        /** Selects SHORTER_SIDE resizing so the shorter side becomes {@code size} pixels. */
        public Builder resizeShorterSide(int size) {
            resize(ResizeMode.SHORTER_SIDE);
            return shorterSide(size);
        }

        /** Shorter-side length for SHORTER_SIDE resizing; must be positive. */
        public Builder shorterSide(int size) {
            positive("augment.shorterSide", size);
            this.shorterSide = size;
            return this;
        }

        /** Crop mode; default CENTER. */
        public Builder crop(CropMode mode) {
            if (mode == null) {
                throw new IllegalArgumentException("augment.crop must be one of "
                        + Arrays.toString(CropMode.values()) + ", was null");
            }
            this.cropMode = mode;
            return this;
        }

        /** Probability of a horizontal flip, in [0, 1]; default 0. */
        public Builder hflip(double probability) {
            this.hflip = inRange("augment.hflip", probability, 0, 1);
            return this;
        }

        /** Probability of a vertical flip, in [0, 1]; default 0. */
        public Builder vflip(double probability) {
            this.vflip = inRange("augment.vflip", probability, 0, 1);
            return this;
        }

        /** Maximum rotation in degrees, in [0, 180]; the angle is uniform in [-d, d]. Default 0. */
        public Builder rotation(double degrees) {
            this.rotationDegrees = inRange("augment.rotation", degrees, 0, 180);
            return this;
        }

        /** Zoom factor range of the random affine, 0 < min <= max <= 10 (above 1 enlarges). Default [1, 1]. */
        public Builder scale(double min, double max) {
            if (!(min > 0 && min <= 10)) {
                throw new IllegalArgumentException("augment.scale minimum must be in (0,10], was " + min);
            }
            if (!(max >= min && max <= 10)) {
                throw new IllegalArgumentException("augment.scale maximum must be in [" + min + ",10], was " + max);
            }
            this.scaleMin = min;
            this.scaleMax = max;
            return this;
        }

        /** Maximum translation as a fraction of the target size, in [0, 1]. Default 0. */
        public Builder translate(double fraction) {
            this.translate = inRange("augment.translate", fraction, 0, 1);
            return this;
        }

        /** Brightness jitter b >= 0: factor uniform in [max(0, 1 - b), 1 + b]. Default 0. */
        public Builder brightness(double b) {
            this.brightness = nonNegative("augment.brightness", b);
            return this;
        }

        /** Contrast jitter c >= 0: factor uniform in [max(0, 1 - c), 1 + c]. Default 0. */
        public Builder contrast(double c) {
            this.contrast = nonNegative("augment.contrast", c);
            return this;
        }

        /** Saturation jitter s >= 0 (3 channels only; a no-op on 1). Default 0. */
        public Builder saturation(double s) {
            this.saturation = nonNegative("augment.saturation", s);
            return this;
        }

        /** Hue jitter h in [0, 0.5]: shift uniform in [-h, h] of a full turn (3 channels only). Default 0. */
        public Builder hue(double h) {
            this.hue = inRange("augment.hue", h, 0, 0.5);
            return this;
        }

        /** Sets brightness, contrast, saturation and hue at once. */
        public Builder colorJitter(double brightness, double contrast, double saturation, double hue) {
            return brightness(brightness).contrast(contrast).saturation(saturation).hue(hue);
        }

        /** Standard deviation of additive Gaussian noise in [0, 1] pixel units, in [0, 1]. Default 0. */
        public Builder noise(double sigma) {
            this.noiseSigma = inRange("augment.noise", sigma, 0, 1);
            return this;
        }

        /** Probability of random erasing, in [0, 1]. Default 0. */
        public Builder erasing(double probability) {
            this.erasing = inRange("augment.erasing", probability, 0, 1);
            return this;
        }

        /** Erased fraction of the image area, 0 < min <= max <= 1. Default [0.02, 0.33]. */
        public Builder erasingArea(double min, double max) {
            if (!(min > 0 && min <= 1)) {
                throw new IllegalArgumentException("augment.erasingArea minimum must be in (0,1], was " + min);
            }
            if (!(max >= min && max <= 1)) {
                throw new IllegalArgumentException("augment.erasingArea maximum must be in [" + min + ",1], was "
                        + max);
            }
            this.erasingAreaMin = min;
            this.erasingAreaMax = max;
            return this;
        }

        /** Aspect ratio (height / width) range of the erased rectangle, 0 < min <= max. Default [0.3, 3.3]. */
        public Builder erasingAspect(double min, double max) {
            if (!(min > 0 && min < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("augment.erasingAspect minimum must be positive and finite, was "
                        + min);
            }
            if (!(max >= min && max < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("augment.erasingAspect maximum must be finite and >= " + min
                        + ", was " + max);
            }
            this.erasingAspectMin = min;
            this.erasingAspectMax = max;
            return this;
        }

        /**
         * Per-channel normalisation: output = (value / 255 - mean[c]) / std[c]. Both arrays need one entry per target
         * channel; std entries must be positive. Default mean 0, std 1.
         */
        public Builder normalize(double[] mean, double[] std) {
            checkPerChannel("augment.mean", mean);
            checkPerChannel("augment.std", std);
            for (int c = 0; c < channels; c++) {
                if (!Double.isFinite(mean[c])) {
                    throw new IllegalArgumentException("augment.mean[" + c + "] must be finite, was " + mean[c]);
                }
                if (!(std[c] > 0 && std[c] < Double.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException("augment.std[" + c + "] must be positive and finite, was "
                            + std[c]);
                }
            }
            this.mean = mean.clone();
            this.std = std.clone();
            return this;
        }

        /** Training (random operations on, as configured) or evaluation (all off, CENTER crop). Default true. */
        public Builder training(boolean training) {
            this.training = training;
            return this;
        }

        public AugmentSpec build() {
            if ((saturation > 0 || hue > 0) && channels != 1 && channels != 3) {
                throw new IllegalArgumentException("augment.saturation and augment.hue need 1 or 3 channels, "
                        + "augment.channels was " + channels);
            }
            return new AugmentSpec(this);
        }

        private void checkPerChannel(String name, double[] values) {
            if (values == null) {
                throw new IllegalArgumentException(name + " must have " + channels + " values, was null");
            }
            if (values.length != channels) {
                throw new IllegalArgumentException(name + " must have one value per channel (" + channels
                        + "), was " + Arrays.toString(values));
            }
        }

        private static void positive(String name, int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
        }

        private static double inRange(String name, double value, double min, double max) {
            // Written so NaN fails too.
            if (!(value >= min && value <= max)) {
                throw new IllegalArgumentException(name + " must be in [" + fmt(min) + "," + fmt(max) + "], was "
                        + value);
            }
            return value;
        }

        private static double nonNegative(String name, double value) {
            if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(name + " must be >= 0 and finite, was " + value);
            }
            return value;
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }
}
