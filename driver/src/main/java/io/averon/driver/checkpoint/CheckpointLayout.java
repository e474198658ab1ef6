package io.averon.driver.checkpoint;

import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names inside a checkpoint directory. A committed checkpoint is {@code ckpt-<step>}; everything that starts with an
 * underscore (work in progress, quarantined checkpoints) is hidden from readers, as Hadoop tools also treat it.
 */
final class CheckpointLayout {
    static final String TEMP_PREFIX = "_tmp-";
    static final String QUARANTINE_PREFIX = "_corrupt-";
    static final String MANIFEST = "MANIFEST";
    static final String STATE = "state.properties";
    static final String PARAMETERS = "parameters.bin";
    static final String UPDATER_STATE = "updater-state.bin";
    static final String JOB_CONFIG = "job.conf";
    /** Every file the manifest must list, in the order they are written and verified. */
    static final List<String> DATA_FILES = List.of(STATE, PARAMETERS, UPDATER_STATE, JOB_CONFIG);

    private static final Pattern COMMITTED = Pattern.compile("ckpt-(\\d{1,19})");

    private CheckpointLayout() {
    }

    static String committedName(long step) {
        // Zero-padded so that a plain `ls` also sorts by step; readers still sort numerically.
        return String.format(Locale.ROOT, "ckpt-%012d", step);
    }

    /** The step of a committed checkpoint directory name, or empty for anything else. */
    static OptionalLong stepOf(String name) {
        Matcher m = COMMITTED.matcher(name);
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException tooLarge) {
            return OptionalLong.empty();
        }
    }
}
