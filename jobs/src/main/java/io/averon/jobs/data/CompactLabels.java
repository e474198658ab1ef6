package io.averon.jobs.data;

import java.io.Serializable;

/**
 * The labels a planned dataset carries to every task: one byte per example when there are at most 256 classes (the
 * common case, a quarter of the closure an {@code int[]} would cost), an int otherwise, and nothing at all for
 * segmentation datasets, whose labels are all -1.
 */
final class CompactLabels implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int size;
    private final byte[] small;
    private final int[] large;

    private CompactLabels(int size, byte[] small, int[] large) {
        this.size = size;
        this.small = small;
        this.large = large;
    }

    /** Labels in {@code 0..classes-1}, already validated by the caller. */
    static CompactLabels of(int[] labels, int classes) {
        if (classes <= 256) {
            byte[] small = new byte[labels.length];
            for (int i = 0; i < labels.length; i++) {
                small[i] = (byte) labels[i];
            }
            return new CompactLabels(labels.length, small, null);
        }
        return new CompactLabels(labels.length, null, labels.clone());
    }

    /** Unsigned byte labels, taken over without copying. */
    static CompactLabels ofBytes(byte[] labels) {
        return new CompactLabels(labels.length, labels, null);
    }

    /** {@code size} examples labelled -1 (their labels are masks). */
    static CompactLabels masks(int size) {
        return new CompactLabels(size, null, null);
    }

    int size() {
        return size;
    }

    int get(int example) {
        if (example < 0 || example >= size) {
            throw new IndexOutOfBoundsException("example " + example + " of " + size);
        }
        if (small != null) {
            return small[example] & 0xFF;
        }
        return large != null ? large[example] : -1;
    }
}
