package io.averon.jobs.data;

import io.averon.worker.InputException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The header of an unsigned-byte IDX file (big-endian magic number, then one 32-bit size per dimension) and the
 * payload it promises. It checks the promise against the data before and after reading, so a wrong, damaged or
 * mismatched file fails with a message saying which bytes are missing or extra instead of decoding garbage.
 */
final class IdxHeader {
    /** Deflate cannot compress better than about 1032:1; a header promising more than that is lying. */
    private static final long MAX_DEFLATE_RATIO = 1032;
    /** The largest byte[] a JVM reliably allocates. */
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final String uri;
    private final IdxKind kind;
    private final int count;
    private final int rows;
    private final int columns;

    private IdxHeader(String uri, IdxKind kind, int count, int rows, int columns) {
        this.uri = uri;
        this.kind = kind;
        this.count = count;
        this.rows = rows;
        this.columns = columns;
    }

    static IdxHeader read(IdxStream in, IdxKind kind) throws IOException {
        String uri = in.uri();
        byte[] magicBytes = new byte[4];
        int got = in.readFully(magicBytes);
        if (got == 0) {
            throw new InputException(uri + ": file is empty once gunzipped, expected an IDX " + kind.noun()
                    + " file (magic " + kind.magicHex() + ")");
        }
        if (got < 4) {
            throw new InputException(uri + ": not an IDX " + kind.noun() + " file: only " + got
                    + " byte(s), too short for the magic number " + kind.magicHex());
        }
        int magic = ByteBuffer.wrap(magicBytes).getInt();
        if (magic != kind.magic()) {
            IdxKind other = IdxKind.ofMagic(magic);
            String hint = other != null ? " (this is an IDX " + other.noun() + " file)" : "";
            throw new InputException(uri + ": not an IDX " + kind.noun() + " file: magic number is "
                    + IdxKind.hex(magic) + ", expected " + kind.magicHex() + hint);
        }
        byte[] sizeBytes = new byte[4 * kind.dimensions()];
        got = in.readFully(sizeBytes);
        if (got < sizeBytes.length) {
            throw new InputException(uri + ": truncated IDX header: " + sizeBytes.length
                    + " bytes of dimension sizes should follow the magic number, found " + got);
        }
        ByteBuffer sizes = ByteBuffer.wrap(sizeBytes);
        int count = sizes.getInt();
        int rows = kind == IdxKind.IMAGES ? sizes.getInt() : 1;
        int columns = kind == IdxKind.IMAGES ? sizes.getInt() : 1;
        IdxHeader header = new IdxHeader(uri, kind, count, rows, columns);
        header.checkPlausible(in);
        return header;
    }

    int count() {
        return count;
    }

    int rows() {
        return rows;
    }

    int columns() {
        return columns;
    }

    private int headerLength() {
        return 4 + 4 * kind.dimensions();
    }

    private long payloadLength() {
        return (long) count * rows * columns;
    }

    private String promise() {
        String items = kind == IdxKind.IMAGES
                ? count + " images of " + rows + " x " + columns
                : count + " labels";
        return items + " (" + payloadLength() + " bytes)";
    }

    /** Rejects sizes no real file can have before anything is allocated from them. */
    private void checkPlausible(IdxStream in) {
        if (count < 0 || rows < 0 || columns < 0) {
            throw new InputException(uri + ": corrupt IDX header: negative size in " + count + " x " + rows + " x "
                    + columns);
        }
        if (count == 0) {
            throw new InputException(uri + ": IDX header declares 0 " + kind.noun() + "; the file holds no examples");
        }
        if (rows == 0 || columns == 0) {
            throw new InputException(uri + ": IDX header declares images of " + rows + " x " + columns + " pixels");
        }
        long payload = payloadLength();
        if (payload > MAX_ARRAY) {
            throw new InputException(uri + ": header promises " + promise()
                    + ", more than one worker can hold in memory (2 GiB); split the dataset into smaller files");
        }
        if (!in.gzipped()) {
            long follows = in.fileLength() - headerLength();
            if (follows < payload) {
                throw truncated(follows, "");
            }
        } else if (payload > in.fileLength() * MAX_DEFLATE_RATIO) {
            throw new InputException(uri + ": truncated or corrupt: header promises " + promise()
                    + " but a gzip file of " + in.fileLength() + " bytes cannot hold that much");
        }
    }

    /** Reads the payload and checks that the file ends exactly where the header says it does. */
    byte[] readPayload(IdxStream in) throws IOException {
        byte[] payload = new byte[(int) payloadLength()];
        int got = in.readFully(payload);
        if (got < payload.length) {
            throw truncated(got, in.cutShort() ? " before the gzip stream breaks off" : "");
        }
        long extra = in.drain();
        if (in.cutShort()) {
            throw new InputException(uri + ": truncated gzip stream: the data ends before its gzip trailer");
        }
        if (extra > 0) {
            throw new InputException(uri + ": " + extra + " unexpected byte(s) after the " + promise()
                    + " the header promises; is this the right file?");
        }
        return payload;
    }

    private InputException truncated(long follows, String detail) {
        return new InputException(uri + ": truncated: header promises " + promise() + " but only " + follows
                + " bytes follow" + detail);
    }
}
