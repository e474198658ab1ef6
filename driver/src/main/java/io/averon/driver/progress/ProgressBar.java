package io.averon.driver.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Console progress of one epoch: a bar, percent, images done, throughput, loss and time left, e.g.
 * {@code epoch 1/5 [#########...........]  45%  27000/60000 img  812 img/s  loss 0.4123  ETA 0:41}. On a terminal
 * the line is redrawn in place (at most ten times a second, so a fast training loop does not spend its time printing);
 * in logs and pipes, where carriage returns turn into garbage, a plain line is printed at each further 10% or after
 * 30 s, whichever comes first. {@link #finish()} prints the final state with the elapsed time and ends the line.
 */
public final class ProgressBar {
    private static final int BAR_WIDTH = 20;
    private static final long REDRAW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long PLAIN_LINE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long MAX_SHOWN_SECONDS = 100L * 3600 - 1;

    private final PrintStream out;
    private final String label;
    private final long totalUnits;
    private final boolean interactive;
    private final LongSupplier nanoClock;
    private final long startNanos;

    private long unitsDone;
    private double imagesPerSecond = Double.NaN;
    private double loss = Double.NaN;
    private boolean finished;
    private long lastDrawNanos;
    private boolean drawn;
    private int lastLineLength;
    private long lastPlainDecile;
    private long lastPlainUnits;

    public ProgressBar(PrintStream out, String label, long totalUnits, boolean interactive) {
        this(out, label, totalUnits, interactive, System::nanoTime);
    }

    /** With an injected clock, so tests can drive throttling without sleeping. */
    ProgressBar(PrintStream out, String label, long totalUnits, boolean interactive, LongSupplier nanoClock) {
        this.out = Objects.requireNonNull(out, "out");
        this.label = Objects.requireNonNull(label, "label");
        if (totalUnits <= 0) {
            throw new IllegalArgumentException("totalUnits must be > 0, got " + totalUnits);
        }
        this.totalUnits = totalUnits;
        this.interactive = interactive;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.lastDrawNanos = startNanos;
    }

    /** True when stdout is a terminal that understands carriage returns. */
    public static boolean isInteractive() {
        return System.console() != null && !"dumb".equals(System.getenv("TERM"));
    }

    /**
     * Records progress and prints if the throttle allows. {@code imagesPerSecond} or {@code loss} may be NaN while not
     * yet known; they are then shown as "-".
     */
    public synchronized void update(long unitsDone, double imagesPerSecond, double loss) {
        if (finished) {
            return;
        }
        this.unitsDone = Math.max(0, unitsDone);
        this.imagesPerSecond = imagesPerSecond;
        this.loss = loss;
        long now = nanoClock.getAsLong();
        if (interactive) {
            if (!drawn || now - lastDrawNanos >= REDRAW_NANOS) {
                redraw(render(false));
                lastDrawNanos = now;
            }
            return;
        }
        long decile = percent() / 10;
        // 100% is left to finish(), which prints it with the elapsed time; printing it here would repeat it.
        boolean nextDecile = decile > lastPlainDecile && decile < 10;
        boolean quietTooLong = now - lastDrawNanos >= PLAIN_LINE_NANOS && this.unitsDone != lastPlainUnits;
        if (nextDecile || quietTooLong) {
            out.println(render(false));
            out.flush();
            lastDrawNanos = now;
            lastPlainDecile = decile;
            lastPlainUnits = this.unitsDone;
        }
    }

    /** Prints the final state with the elapsed time and ends the line. Later calls and updates do nothing. */
    public synchronized void finish() {
        if (finished) {
            return;
        }
        finished = true;
        String line = render(true);
        if (interactive) {
            redraw(line);
            out.println();
        } else {
            out.println(line);
        }
        out.flush();
    }

    private void redraw(String line) {
        // Blank the tail of a longer previous line, which '\r' alone would leave on screen.
        String padding = " ".repeat(Math.max(0, lastLineLength - line.length()));
        out.print('\r' + line + padding);
        out.flush();
        lastLineLength = line.length();
        drawn = true;
    }

    private long percent() {
        return Math.min(100, unitsDone * 100 / totalUnits);
    }

    String render(boolean finalState) {
        long percent = percent();
        int filled = (int) Math.min(BAR_WIDTH, unitsDone * BAR_WIDTH / totalUnits);
        StringBuilder line = new StringBuilder(label).append(" [")
                .append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append(']')
                .append(String.format(Locale.ROOT, " %3d%%", percent))
                .append("  ").append(unitsDone).append('/').append(totalUnits).append(" img")
                .append("  ").append(Double.isFinite(imagesPerSecond) && imagesPerSecond >= 0
                        ? String.format(Locale.ROOT, "%.0f", imagesPerSecond) : "-").append(" img/s")
                .append("  loss ").append(Double.isFinite(loss) ? String.format(Locale.ROOT, "%.4f", loss)
                        : Double.isNaN(loss) ? "-" : "inf");
        if (finalState) {
            long elapsed = TimeUnit.NANOSECONDS.toSeconds(nanoClock.getAsLong() - startNanos);
            line.append("  took ").append(duration(elapsed));
        } else {
            line.append("  ETA ").append(eta());
        }
        return line.toString();
    }

    private String eta() {
        long remaining = Math.max(0, totalUnits - unitsDone);
        if (remaining == 0) {
            return duration(0);
        }
        if (!(imagesPerSecond > 0) || Double.isInfinite(imagesPerSecond)) {
            return "--:--";
        }
        double seconds = Math.ceil(remaining / imagesPerSecond);
        return seconds > MAX_SHOWN_SECONDS ? ">99h" : duration((long) seconds);
    }

    /** {@code m:ss} below an hour, {@code h:mm:ss} above. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = (seconds % 3600) / 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
