package io.averon.driver.progress;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressBarTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    /** A hand-driven clock: throttling is tested by moving it, never by sleeping. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private void advanceSeconds(long seconds) {
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private ProgressBar bar(long total, boolean interactive) {
        return new ProgressBar(out, "epoch 1/5", total, interactive, nanos::get);
    }

    @Test
    void rendersTheDocumentedLine() {
        ProgressBar bar = bar(60000, true);
        bar.update(27000, 812, 0.41234);
        assertEquals("\repoch 1/5 [#########...........]  45%  27000/60000 img  812 img/s  loss 0.4123  ETA 0:41",
                printed());
    }

    @Test
    void percentRoundsDownSoOnlyCompletionShowsHundred() {
        ProgressBar bar = bar(1000, false);
        bar.update(999, 100, 0.5);
        assertTrue(bar.render(false).contains("[###################.]  99%  999/1000 img"), bar.render(false));
        bar.update(1000, 100, 0.5);
        assertTrue(bar.render(false).contains("[####################] 100%  1000/1000 img"), bar.render(false));
        bar.update(1500, 100, 0.5);
        assertTrue(bar.render(false).contains("[####################] 100%  1500/1000 img"), bar.render(false));
    }

    @Test
    void etaIsFormattedAsMinutesOrHours() {
        assertEquals("0:00", ProgressBar.duration(0));
        assertEquals("0:05", ProgressBar.duration(5));
        assertEquals("1:00", ProgressBar.duration(60));
        assertEquals("59:59", ProgressBar.duration(3599));
        assertEquals("1:00:00", ProgressBar.duration(3600));
        assertEquals("1:01:01", ProgressBar.duration(3661));
        assertEquals("27:46:40", ProgressBar.duration(100_000));

        ProgressBar bar = bar(10_000, false);
        bar.update(1000, 3, 0.1);
        assertTrue(bar.render(false).endsWith("ETA 50:00"), bar.render(false));
        bar.update(1000, 0.1, 0.1);
        assertTrue(bar.render(false).endsWith("ETA 25:00:00"), bar.render(false));
        bar.update(1000, 0.01, 0.1);
        assertTrue(bar.render(false).endsWith("ETA >99h"), bar.render(false));
    }

    @Test
    void unknownRateAndLossShowAsDashes() {
        ProgressBar bar = bar(100, false);
        bar.update(0, Double.NaN, Double.NaN);
        assertEquals("epoch 1/5 [....................]   0%  0/100 img  - img/s  loss -  ETA --:--", bar.render(false));
        bar.update(10, 0, Double.POSITIVE_INFINITY);
        assertTrue(bar.render(false).endsWith("0 img/s  loss inf  ETA --:--"), bar.render(false));
    }

    @Test
    void interactiveRedrawsOneLineAndThrottles() {
        ProgressBar bar = bar(1000, true);
        bar.update(100, 50, 1.0);
        bar.update(200, 50, 1.0); // within 100 ms of the first draw: skipped
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(150));
        bar.update(300, 50, 1.0);
        String text = printed();
        assertEquals(2, text.chars().filter(c -> c == '\r').count(), text);
        assertFalse(text.contains("\n"), text);
        assertFalse(text.contains("200/1000"), text);
        assertTrue(text.contains("300/1000"), text);
    }

    @Test
    void interactiveBlanksTheTailOfALongerPreviousLine() {
        ProgressBar bar = bar(1000, true);
        bar.update(500, 12345, 1.0);
        int longer = printed().length() - 1;
        advanceSeconds(1);
        bar.update(600, 5, 1.0);
        String second = printed().substring(longer + 1);
        assertEquals('\r', second.charAt(0));
        assertEquals(longer, second.length() - 1, "the redraw must cover the previous line: '" + second + "'");
        assertTrue(second.endsWith(" "), second);
    }

    @Test
    void finishPrintsTheFinalStateWithElapsedTimeAndANewline() {
        ProgressBar bar = bar(1000, true);
        bar.update(400, 100, 0.9);
        advanceSeconds(74);
        bar.update(1000, 120, 0.3);
        bar.finish();
        String text = printed();
        assertTrue(text.endsWith("\repoch 1/5 [####################] 100%  1000/1000 img  120 img/s  loss 0.3000"
                + "  took 1:14" + System.lineSeparator()), text);

        bar.finish();
        bar.update(10, 1, 1);
        assertEquals(text, printed(), "finish is final");
    }

    @Test
    void plainModePrintsOneLinePerTenPercent() {
        ProgressBar bar = bar(1000, false);
        for (int done = 1; done <= 1000; done++) {
            bar.update(done, 500, 0.5);
        }
        bar.finish();
        String[] lines = printed().split(System.lineSeparator());
        assertFalse(printed().contains("\r"));
        assertEquals(10, lines.length, printed());
        for (int i = 0; i < 9; i++) {
            assertTrue(lines[i].contains(" " + (i + 1) * 10 + "%  " + (i + 1) * 100 + "/1000"), lines[i]);
        }
        assertTrue(lines[9].contains("100%") && lines[9].contains("took 0:00"), lines[9]);
    }

    @Test
    void plainModeAlsoPrintsAfterThirtyQuietSecondsButOnlyOnProgress() {
        ProgressBar bar = bar(100_000, false);
        bar.update(10, 1, 2.0);
        assertEquals("", printed(), "neither 10% nor 30 s yet");
        advanceSeconds(31);
        bar.update(40, 1, 2.0);
        assertTrue(printed().contains(" 40/100000 img"), printed());
        advanceSeconds(10);
        bar.update(45, 1, 2.0);
        advanceSeconds(15);
        bar.update(45, 1, 2.0);
        assertEquals(1, printed().lines().count(), "30 s since the last line are needed: " + printed());
        advanceSeconds(40);
        bar.update(40, 1, 2.0);
        assertEquals(1, printed().lines().count(), "no new line without progress since the last one: " + printed());
        bar.update(41, 1, 2.0);
        assertEquals(2, printed().lines().count(), printed());
    }

    @Test
    void rejectsAnEmptyTotal() {
        assertThrows(IllegalArgumentException.class, () -> bar(0, false));
    }

    @Test
    void aForkedTestJvmIsNotInteractive() {
        // Surefire and Failsafe run tests in forked JVMs whose output is a pipe, as in CI and redirected runs.
        assertFalse(ProgressBar.isInteractive(), "a JVM without a console must not redraw progress lines");
    }
}
