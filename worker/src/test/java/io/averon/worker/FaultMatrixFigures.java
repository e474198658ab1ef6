package io.averon.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where a fault test leaves what it measured (steps lost, time to recover, accuracy against the clean run) for
 * {@code deploy/faults/fault-matrix.sh}, which writes them into docs/faults.md: one file per row of the matrix under the
 * module's {@code target/fault-matrix}, holding one line of Markdown. Tests write it only after their assertions
 * passed, so the matrix never shows figures of a failed run.
 */
public final class FaultMatrixFigures {
    /** Relative to the module directory, where Surefire and Failsafe run tests. */
    public static final Path DIRECTORY = Path.of("target", "fault-matrix");

    private FaultMatrixFigures() {
    }

    /** Records a row's figures, replacing an earlier run's. Pipes are escaped: the line goes into a table cell. */
    public static void record(String row, String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args).replace("\n", " ").replace("|", "\\|");
        try {
            Files.createDirectories(DIRECTORY);
            Files.writeString(DIRECTORY.resolve(row + ".md"), line + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the fault matrix's figures of " + row, e);
        }
    }
}
