package io.averon.worker.augment;

/** STUB replaced by the augment branch. */
public final class AugmentSpec implements java.io.Serializable {
    final int channels, height, width; final boolean training;
    private AugmentSpec(Builder b) { channels = b.channels; height = b.height; width = b.width; training = b.training; }
    public static Builder builder() { return new Builder(); }
    public int channels() { return channels; }
    public int height() { return height; }
    public int width() { return width; }
    public boolean training() { return training; }
    public AugmentSpec forEvaluation() { return builder().channels(channels).height(height).width(width).training(false).build(); }
    public static final class Builder {
        int channels = 1, height = 28, width = 28; boolean training = true;
        public Builder channels(int c) { channels = c; return this; }
        public Builder height(int h) { height = h; return this; }
        public Builder width(int w) { width = w; return this; }
        public Builder training(boolean t) { training = t; return this; }
        public AugmentSpec build() { return new AugmentSpec(this); }
    }
}
