package io.averon.worker.image;

/**
 * An image or mask file that cannot become a {@link PixelImage}: it says which file, why (a {@link Reason} a caller
 * can count or filter on) and, in its one-line message, what exactly was wrong, e.g.
 * {@code train/n01440764/x.JPEG: truncated JPEG (Premature end of JPEG file)}. Input pipelines typically log the
 * message and skip the sample, so the message never carries a stack trace; the underlying exception, if any, is kept
 * as the cause for debugging.
 */
public final class BadImageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a file was refused. */
    public enum Reason {
        /** The file has no bytes. */
        EMPTY,
        /** No image decoder recognises the bytes (a text file, an HTML error page, zeros, ...). */
        NOT_AN_IMAGE,
        /** A recognised image whose data ends early; decoding it would give grey or black rows. */
        TRUNCATED,
        /** A recognised image format or variant no decoder on the classpath handles (WebP, HEIF, 12-bit JPEG, an
         * RGB mask, ...). */
        UNSUPPORTED,
        /** The header's width x height is above the decoder's pixel limit; refused before decoding. */
        TOO_LARGE,
        /** The bytes could not be read: an I/O failure (reported by callers) or corrupt data inside a recognised
         * format (bad CRC, bad Huffman code, a decoder crash). */
        UNREADABLE,
        /** A mask whose width and height differ from its image's. */
        SIZE_MISMATCH
    }

    private final Reason reason;
    private final String name;

    /**
     * @param reason why the file was refused
     * @param name   the file's path or name, as the message should show it
     * @param detail what was wrong, without the name; line breaks are flattened
     */
    public BadImageException(Reason reason, String name, String detail) {
        this(reason, name, detail, null);
    }

    /** As {@link #BadImageException(Reason, String, String)}, keeping the exception that revealed the problem. */
    public BadImageException(Reason reason, String name, String detail, Throwable cause) {
        super(name + ": " + oneLine(detail), cause);
        if (reason == null) {
            throw new IllegalArgumentException("a BadImageException needs a reason");
        }
        this.reason = reason;
        this.name = name;
    }

    public Reason reason() {
        return reason;
    }

    /** The file's path or name as given by the caller. */
    public String name() {
        return name;
    }

    private static String oneLine(String detail) {
        return detail == null ? "" : detail.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }
}
