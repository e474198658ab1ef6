package io.averon.driver.checkpoint;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The last file written into a checkpoint: the length and SHA-256 of every other file. Its presence marks the
 * checkpoint complete and its entries let a reader prove that nothing was truncated or altered since. The text format
 * ({@code <sha256> <length> <name>} per line) is readable and easy to check by hand.
 */
final class Manifest {
    static final String HEADER = "averon-checkpoint-manifest 1";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /** One listed file. */
    record Entry(String name, long length, String sha256) {
    }

    private final Map<String, Entry> entries;

    Manifest(Collection<Entry> entries) {
        this.entries = new LinkedHashMap<>();
        for (Entry e : entries) {
            this.entries.put(e.name(), e);
        }
    }

    static Entry entry(String name, long length, byte[] digest) {
        return new Entry(name, length, Sha256.hex(digest));
    }

    String render() {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        for (Entry e : entries.values()) {
            text.append(e.sha256()).append(' ').append(e.length()).append(' ').append(e.name()).append('\n');
        }
        return text.toString();
    }

    static Manifest parse(String text) throws CorruptCheckpointException {
        String[] lines = text.split("\n", -1);
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            throw new CorruptCheckpointException("MANIFEST does not start with '" + HEADER + "'");
        }
        Map<String, Entry> parsed = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ", 3);
            if (fields.length != 3 || !SHA256_HEX.matcher(fields[0]).matches()) {
                throw new CorruptCheckpointException("MANIFEST line " + (i + 1) + " is malformed: '" + line + "'");
            }
            long length;
            try {
                length = Long.parseLong(fields[1]);
            } catch (NumberFormatException e) {
                throw new CorruptCheckpointException("MANIFEST line " + (i + 1) + " has a bad length: '" + line + "'");
            }
            if (length < 0 || parsed.put(fields[2], new Entry(fields[2], length, fields[0])) != null) {
                throw new CorruptCheckpointException("MANIFEST line " + (i + 1) + " is invalid: '" + line + "'");
            }
        }
        if (!parsed.keySet().equals(Set.copyOf(CheckpointLayout.DATA_FILES))) {
            throw new CorruptCheckpointException("MANIFEST lists " + parsed.keySet() + ", expected "
                    + CheckpointLayout.DATA_FILES);
        }
        return new Manifest(parsed.values());
    }

    Entry get(String name) {
        return entries.get(name);
    }
}
