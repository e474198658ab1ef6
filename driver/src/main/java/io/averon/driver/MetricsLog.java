package io.averon.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Appends one JSON object per line to a run's {@code metrics.jsonl}, flushed after every line so that a crash or a
 * reader tailing the file sees every completed event.
 */
public final class MetricsLog implements Closeable {
    private final FSDataOutputStream out;
    private final ObjectMapper json = new ObjectMapper();

    public MetricsLog(FSDataOutputStream out) {
        this.out = out;
    }

    /** Writes {@code fields} (in order) as one line, with the event name and wall-clock time first. */
    public void write(String event, Map<String, Object> fields) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", event);
        line.put("time", java.time.Instant.now().toString());
        line.putAll(fields);
        out.write(json.writeValueAsString(line).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
        out.hflush();
    }

    /**
     * The filesystem metrics.jsonl is written and read through. On a local filesystem the checksum layer holds
     * written bytes back until close, so hflush would not make an epoch's line visible to a reader (a user tailing
     * the file, the report written after each epoch): the raw filesystem underneath is used.
     */
    static FileSystem fileSystem(FileSystem fs) {
        return fs instanceof org.apache.hadoop.fs.ChecksumFileSystem checksummed ? checksummed.getRawFileSystem() : fs;
    }

    /** The fields of an event from alternating names and values, kept in that order. */
    public static Map<String, Object> fields(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
