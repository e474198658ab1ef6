package io.averon.jobs.data;

import io.averon.worker.InputException;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * One IDX file opened through the Hadoop FileSystem API, decompressed on the fly when its first two bytes are the
 * gzip magic number. It turns what the JDK reports as I/O trouble inside a gzip stream (an early end, a bad CRC)
 * into facts about the file, because to the user those are a damaged input, not a failing disk.
 */
final class IdxStream implements Closeable {
    private static final int GZIP_MAGIC_1 = 0x1f;
    private static final int GZIP_MAGIC_2 = 0x8b;
    private static final int BUFFER = 1 << 16;

    private final String uri;
    private final long fileLength;
    private final boolean gzipped;
    private final InputStream in;
    private boolean cutShort;

    private IdxStream(String uri, long fileLength, boolean gzipped, InputStream in) {
        this.uri = uri;
        this.fileLength = fileLength;
        this.gzipped = gzipped;
        this.in = in;
    }

    static IdxStream open(String uri, Configuration conf) throws IOException {
        Path path;
        try {
            path = new Path(uri);
        } catch (IllegalArgumentException e) {
            throw new InputException("'" + uri + "': not a valid path or URI: " + e.getMessage(), e);
        }
        FileSystem fs;
        try {
            fs = path.getFileSystem(conf);
        } catch (UnsupportedFileSystemException e) {
            throw new InputException(uri + ": " + e.getMessage(), e);
        }
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new InputException(uri + ": file not found", e);
        }
        if (status.isDirectory()) {
            throw new InputException(uri + ": is a directory, expected an IDX file");
        }
        if (status.getLen() == 0) {
            throw new InputException(uri + ": file is empty (0 bytes), expected an IDX file");
        }
        InputStream raw;
        try {
            raw = fs.open(path, BUFFER);
        } catch (FileNotFoundException e) {
            // Reached only when the file vanished or is unreadable between the status call and the open.
            throw new InputException(uri + ": cannot open: " + e.getMessage(), e);
        }
        BufferedInputStream buffered = new BufferedInputStream(raw, BUFFER);
        try {
            buffered.mark(2);
            int first = buffered.read();
            int second = buffered.read();
            buffered.reset();
            boolean gzipped = first == GZIP_MAGIC_1 && second == GZIP_MAGIC_2;
            InputStream in = gzipped ? new GZIPInputStream(buffered, BUFFER) : buffered;
            return new IdxStream(uri, status.getLen(), gzipped, in);
        } catch (EOFException | ZipException e) {
            buffered.close();
            throw new InputException(uri + ": starts like gzip but its gzip header is damaged: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            buffered.close();
            throw e;
        }
    }

    String uri() {
        return uri;
    }

    boolean gzipped() {
        return gzipped;
    }

    /** Length of the file as stored, i.e. before decompression. */
    long fileLength() {
        return fileLength;
    }

    /** True once a read met the end of a gzip stream that stopped before its own trailer. */
    boolean cutShort() {
        return cutShort;
    }

    /** Fills {@code buffer} as far as the data goes and returns how many bytes arrived. */
    int readFully(byte[] buffer) throws IOException {
        int filled = 0;
        while (filled < buffer.length) {
            int n = read(buffer, filled, buffer.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled;
    }

    /** Reads to the end and returns how many bytes were left; this also makes gzip check its CRC trailer. */
    long drain() throws IOException {
        byte[] scratch = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = read(scratch, 0, scratch.length)) >= 0) {
            total += n;
        }
        return total;
    }

    private int read(byte[] buffer, int offset, int length) throws IOException {
        if (cutShort) {
            return -1;
        }
        try {
            return in.read(buffer, offset, length);
        } catch (EOFException e) {
            cutShort = true;
            return -1;
        } catch (ZipException e) {
            throw new InputException(uri + ": corrupt gzip data: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
