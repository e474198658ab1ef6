package io.averon.jobs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training report of a real short run, opened in a real browser: Debian's headless Chromium loads report.html
 * from the file (no network), and the test reads back the DOM it rendered (the charts with their data, the marks the
 * page's one script leaves), takes a screenshot that must not be blank, and checks the page logged no error.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ReportIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path tmp;

    @Test
    void theReportOfARealRunRendersItsChartsInChromium() throws Exception {
        assertTrue(Files.isExecutable(CHROMIUM), "this test needs Debian's chromium at " + CHROMIUM
                + " (apt-get install chromium; .ci/run installs it)");
        Path run = tmp.resolve("run");
        Invocation train = Invocation.of("train", "fashion-mnist-lenet", "--master", "local[2]", "--workers", "2",
                "--run-dir", run.toString(), "--set", "dataset.train-limit=640", "--set", "dataset.test-limit=200",
                "--set", "train.batch-size=32", "--set", "train.epochs=2");
        assertEquals(0, train.status(), train.err());
        assertTrue(train.out().contains("report written to "), train.out());
        Path report = run.resolve("report.html");
        assertTrue(Files.isRegularFile(report));
        String written = Files.readString(report);
        // The report the run itself wrote at its end already holds every epoch: metrics.jsonl was readable while
        // it was being written.
        assertEquals(100, count(written, "class=\"cell\""), "the run's own report has the heat map");
        assertEquals(2 * 2 + 2 * 2 + 2 + 3 * 2 + 2, count(written, "class=\"point\""), "and both epochs on every line");
        assertTrue(written.contains("Finished: model"), "and the end of the run");

        // The command regenerates it from the run directory alone.
        Files.delete(report);
        Invocation again = Invocation.of("report", run.toString());
        assertEquals(0, again.status(), again.err());
        assertTrue(Files.isRegularFile(report), again.out());
        Invocation missing = Invocation.of("report", tmp.resolve("no-such-run").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("averon: error:") && missing.err().contains("no-such-run"), missing.err());

        Path png = tmp.resolve("report.png");
        Chromium dom = chromium(report, "--dump-dom");
        Chromium shot = chromium(report, "--screenshot=" + png, "--window-size=1280,2000");

        String html = dom.out;
        Matcher body = Pattern.compile("<body data-charts=\"(\\d+)\" data-points=\"(\\d+)\"").matcher(html);
        assertTrue(body.find(), "the page's script ran and marked what it drew: " + head(html));
        assertEquals(8, Integer.parseInt(body.group(1)), "loss, accuracy, images/s, step time, input ready, "
                + "workers, step time distribution, confusion");
        assertEquals(count(html, "class=\"point\"") + count(html, "class=\"bar\"") + count(html, "class=\"cell\""),
                Integer.parseInt(body.group(2)));
        assertEquals(100, count(html, "class=\"cell\""), "a 10 x 10 confusion heat map");
        assertEquals(2 * 2 + 2 * 2 + 2 + 3 * 2 + 2, count(html, "class=\"point\""), "two epochs on every line");
        Matcher distribution = Pattern.compile("id=\"step-distribution\".*?</svg>", Pattern.DOTALL).matcher(html);
        assertTrue(distribution.find(), "the step time distribution");
        Matcher bars = Pattern.compile("class=\"bar\"[^>]*data-value=\"([0-9.]+)\"").matcher(distribution.group());
        double timedSteps = 0;
        while (bars.find()) {
            timedSteps += Double.parseDouble(bars.group(1));
        }
        // 10 steps an epoch; the first of each epoch has no predecessor in the epoch to be timed from.
        assertEquals(2 * 9, timedSteps, 0, distribution.group());
        assertEquals(4, count(html, "class=\"bar\"") - count(distribution.group(), "class=\"bar\""),
                "compute and wait of two workers");
        assertTrue(html.contains("T-shirt/top"), "class names on the heat map");

        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null && image.getWidth() >= 1000, "a screenshot: " + shot.err);
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colors.add(image.getRGB(x, y));
            }
        }
        assertTrue(colors.size() > 50, "the screenshot is not blank: " + colors.size() + " colours");
        for (Chromium c : List.of(dom, shot)) {
            for (String line : c.err.split("\n")) {
                assertFalse(line.contains("CONSOLE") && (line.contains("Uncaught") || line.contains("rror")),
                        "the page logged an error: " + line);
            }
        }
    }

    private record Chromium(String out, String err) {
    }

    private Chromium chromium(Path page, String... action) throws Exception {
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + profile));
        command.addAll(List.of(action));
        command.add(page.toUri().toString());
        Path out = tmp.resolve("chromium.out");
        Path err = tmp.resolve("chromium.err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "chromium did not finish");
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String stderr = Files.readString(err);
        assertEquals(0, p.exitValue(), stderr);
        return new Chromium(Files.readString(out), stderr);
    }

    private static int count(String html, String needle) {
        int n = 0;
        for (int i = html.indexOf(needle); i >= 0; i = html.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static String head(String html) {
        return html.substring(0, Math.min(600, html.length()));
    }
}
