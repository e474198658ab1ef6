package io.averon.driver.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Binary layout of a float vector on disk: the 4 bytes {@code AVF1}, the element count as a little-endian int64,
 * then the elements as little-endian IEEE-754 floats. Data moves through one fixed 64 KiB buffer so that a 25M-element
 * (100 MB) vector costs no second copy of itself on the heap.
 */
final class FloatArrayFile {
    static final int HEADER_BYTES = 12;
    private static final byte[] MAGIC = {'A', 'V', 'F', '1'};
    private static final int CHUNK_FLOATS = 16 * 1024;

    private FloatArrayFile() {
    }

    static long byteLength(int count) {
        return HEADER_BYTES + 4L * count;
    }

    static void write(OutputStream out, float[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).putLong(values.length);
        out.write(buffer.array(), 0, HEADER_BYTES);
        for (int offset = 0; offset < values.length; offset += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - offset);
            buffer.clear();
            buffer.asFloatBuffer().put(values, offset, n);
            out.write(buffer.array(), 0, 4 * n);
        }
    }

    /**
     * Reads a vector whose file is {@code fileLength} bytes long. The header is checked against that length before the
     * array is allocated, so a corrupt count cannot make the reader allocate gigabytes.
     */
    static float[] read(InputStream in, long fileLength, String name) throws IOException, CorruptCheckpointException {
        ByteBuffer buffer = ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
        byte[] bytes = buffer.array();
        if (in.readNBytes(bytes, 0, HEADER_BYTES) != HEADER_BYTES) {
            throw new CorruptCheckpointException(name + " is shorter than its " + HEADER_BYTES + "-byte header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new CorruptCheckpointException(name + " does not start with the AVF1 magic");
            }
        }
        long count = buffer.getLong(4);
        if (count < 0 || count > Integer.MAX_VALUE - 8 || byteLength((int) count) != fileLength) {
            throw new CorruptCheckpointException(name + " header says " + count + " floats but the file has "
                    + fileLength + " bytes");
        }
        float[] values = new float[(int) count];
        for (int offset = 0; offset < values.length; offset += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, values.length - offset);
            if (in.readNBytes(bytes, 0, 4 * n) != 4 * n) {
                throw new CorruptCheckpointException(name + " ends after " + offset + " of " + count + " floats");
            }
            buffer.clear();
            buffer.asFloatBuffer().get(values, offset, n);
        }
        if (in.read() != -1) {
            throw new CorruptCheckpointException(name + " has bytes after its " + count + " floats");
        }
        return values;
    }
}
