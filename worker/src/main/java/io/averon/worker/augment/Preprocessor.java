package io.averon.worker.augment;

import io.averon.worker.image.PixelImage;
import java.util.random.RandomGenerator;

/** STUB replaced by the augment branch. */
public final class Preprocessor {
    private final AugmentSpec spec;
    public Preprocessor(AugmentSpec spec) { this.spec = spec; }
    public void apply(PixelImage image, RandomGenerator rng, float[] dst, int off) {
        byte[] s = image.samples();
        for (int i = 0; i < s.length; i++) dst[off + i] = (s[i] & 0xFF) / 255f;
    }
    public void apply(PixelImage image, PixelImage mask, RandomGenerator rng, float[] dst, int off, float[] maskDst, int maskOff) {
        apply(image, rng, dst, off);
        byte[] m = mask.samples();
        for (int i = 0; i < m.length; i++) maskDst[maskOff + i] = m[i] & 0xFF;
    }
    public static RandomGenerator exampleRng(long seed, int epoch, int example) {
        return new java.util.SplittableRandom(seed * 31 + epoch * 1_000_003L + example);
    }
}
