package io.averon.driver.checkpoint;

import io.averon.worker.MissedBatches;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;

/**
 * The run position of a checkpoint as a Java properties file (UTF-8), one key per line in a fixed order so that an
 * operator can read or diff it. The vector lengths are recorded too, as a cross-check against the binary files; the job
 * config lives in its own file because it is multi-line text.
 */
final class StateFile {
    static final int FORMAT = 1;

    private StateFile() {
    }

    static byte[] render(CheckpointState state, int parameterCount, int updaterStateCount, Instant writtenAt) {
        StringBuilder text = new StringBuilder("# Averon checkpoint state\n");
        line(text, "format", Integer.toString(FORMAT));
        line(text, "epoch", Long.toString(state.epoch()));
        line(text, "step", Long.toString(state.step()));
        line(text, "stepInEpoch", Long.toString(state.stepInEpoch()));
        line(text, "seed", Long.toString(state.seed()));
        line(text, "workers", Integer.toString(state.workers()));
        line(text, "modelFingerprint", state.modelFingerprint());
        line(text, "bestScore", Double.toString(state.bestScore()));
        line(text, "epochsSinceBest", Integer.toString(state.epochsSinceBest()));
        line(text, "missedBatches", state.missed().render());
        line(text, "parameters", Integer.toString(parameterCount));
        line(text, "updaterState", Integer.toString(updaterStateCount));
        // Informational only: readers ignore it, so clocks never decide which checkpoint wins.
        line(text, "writtenAt", writtenAt.toString());
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The parsed state plus the vector lengths the writer recorded. */
    record Parsed(CheckpointState state, int parameterCount, int updaterStateCount) {
    }

    static Parsed parse(byte[] utf8, String jobConfig) throws CorruptCheckpointException {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(utf8, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " is not a properties file: " + e.getMessage(), e);
        }
        long format = number(p, "format");
        if (format != FORMAT) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " has format " + format
                    + ", this build reads format " + FORMAT);
        }
        String fingerprint = p.getProperty("modelFingerprint");
        if (fingerprint == null) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " has no modelFingerprint");
        }
        try {
            // Both early-stopping keys came later: a checkpoint without them predates any memory of a best score.
            double best = p.getProperty("bestScore") == null ? Double.NEGATIVE_INFINITY : score(p, "bestScore");
            int sinceBest = p.getProperty("epochsSinceBest") == null ? 0
                    : Math.toIntExact(number(p, "epochsSinceBest"));
            // Came later too: a checkpoint without it was written before batches were accounted for.
            MissedBatches missed = MissedBatches.parse(p.getProperty("missedBatches"));
            CheckpointState state = new CheckpointState(number(p, "epoch"), number(p, "step"), number(p, "stepInEpoch"),
                    number(p, "seed"), Math.toIntExact(number(p, "workers")), fingerprint, jobConfig, best, sinceBest,
                    missed);
            return new Parsed(state, Math.toIntExact(number(p, "parameters")),
                    Math.toIntExact(number(p, "updaterState")));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " holds an impossible state: " + e.getMessage(), e);
        }
    }

    private static double score(Properties p, String key) throws CorruptCheckpointException {
        String value = p.getProperty(key).trim();
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " has a non-numeric " + key + ": '" + value + "'");
        }
    }

    private static long number(Properties p, String key) throws CorruptCheckpointException {
        String value = p.getProperty(key);
        if (value == null) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " has no " + key);
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new CorruptCheckpointException(CheckpointLayout.STATE + " has a non-numeric " + key + ": '" + value + "'");
        }
    }

    private static void line(StringBuilder text, String key, String value) {
        text.append(key).append('=');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> text.append("\\\\");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\t' -> text.append("\\t");
                case '\f' -> text.append("\\f");
                // Properties.load drops leading blanks of a value unless they are escaped.
                case ' ' -> text.append(i == 0 ? "\\ " : " ");
                default -> {
                    if (c < 0x20) {
                        text.append(String.format("\\u%04x", (int) c));
                    } else {
                        text.append(c);
                    }
                }
            }
        }
        text.append('\n');
    }
}
