package io.averon.jobs.data;

/**
 * The two IDX layouts a labelled image dataset uses: unsigned-byte images (three dimensions: count, rows, columns)
 * and unsigned-byte labels (one dimension: count). The magic number encodes both the element type and the
 * dimension count, so comparing it alone rejects every other IDX variant.
 */
enum IdxKind {
    IMAGES(0x00000803, 3, "images"),
    LABELS(0x00000801, 1, "labels");

    private final int magic;
    private final int dimensions;
    private final String noun;

    IdxKind(int magic, int dimensions, String noun) {
        this.magic = magic;
        this.dimensions = dimensions;
        this.noun = noun;
    }

    int magic() {
        return magic;
    }

    int dimensions() {
        return dimensions;
    }

    /** Plural noun for messages: "images", "labels". */
    String noun() {
        return noun;
    }

    String magicHex() {
        return hex(magic);
    }

    static String hex(int value) {
        return String.format("0x%08X", value);
    }

    /** The kind whose magic number this is, or null, so a swapped images/labels argument can be named as such. */
    static IdxKind ofMagic(int magic) {
        for (IdxKind kind : values()) {
            if (kind.magic == magic) {
                return kind;
            }
        }
        return null;
    }
}
