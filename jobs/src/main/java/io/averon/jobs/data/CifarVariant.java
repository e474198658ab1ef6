package io.averon.jobs.data;

/**
 * Which CIFAR binary layout a file holds and which of its labels to train on. A CIFAR-10 record is one label byte
 * and 3072 pixel bytes (32 x 32 red, then green, then blue, rows top to bottom); a CIFAR-100 record is a coarse
 * (superclass) label byte, a fine label byte, and the same 3072 pixel bytes. The two CIFAR-100 variants read the
 * same files and differ only in the label byte they take.
 */
public enum CifarVariant {
    /** CIFAR-10: 10 classes. */
    CIFAR10("CIFAR-10", "", 1, 0, 10),
    /** CIFAR-100 with its 100 fine labels (the second label byte). */
    CIFAR100_FINE("CIFAR-100", "fine ", 2, 1, 100),
    /** CIFAR-100 with its 20 coarse (superclass) labels (the first label byte). */
    CIFAR100_COARSE("CIFAR-100", "coarse ", 2, 0, 20);

    /** Side of a CIFAR image in pixels. */
    public static final int SIDE = 32;
    /** Pixel bytes of one record: three 32 x 32 planes. */
    public static final int IMAGE_BYTES = 3 * SIDE * SIDE;

    private final String format;
    private final String labelKind;
    private final int labelBytes;
    private final int labelOffset;
    private final int classes;

    CifarVariant(String format, String labelKind, int labelBytes, int labelOffset, int classes) {
        this.format = format;
        this.labelKind = labelKind;
        this.labelBytes = labelBytes;
        this.labelOffset = labelOffset;
        this.classes = classes;
    }

    /** "CIFAR-10" or "CIFAR-100", as messages name the file format. */
    public String format() {
        return format;
    }

    /** Bytes of one record: 3073 for CIFAR-10, 3074 for CIFAR-100. */
    public int recordBytes() {
        return labelBytes + IMAGE_BYTES;
    }

    /** Label bytes before the pixels of each record. */
    public int labelBytes() {
        return labelBytes;
    }

    /** Position within a record of the label this variant trains on. */
    public int labelOffset() {
        return labelOffset;
    }

    public int classes() {
        return classes;
    }

    /** "", "fine " or "coarse ", to say which label a message is about. */
    String labelKind() {
        return labelKind;
    }

    /** Classes of the label byte at {@code offset} of a record of this variant's format. */
    int classesAt(int offset) {
        if (labelBytes == 1) {
            return classes;
        }
        return offset == 0 ? CIFAR100_COARSE.classes : CIFAR100_FINE.classes;
    }

    /** The kind ("fine "/"coarse "/"") of the label byte at {@code offset}. */
    String labelKindAt(int offset) {
        if (labelBytes == 1) {
            return labelKind;
        }
        return offset == 0 ? CIFAR100_COARSE.labelKind : CIFAR100_FINE.labelKind;
    }
}
