package io.averon.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.fs.FSDataOutputStream;

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

    /** The fields of an event from alternating names and values, kept in that order. */
    public static Map<String, Object> fields(Object... keyValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
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
