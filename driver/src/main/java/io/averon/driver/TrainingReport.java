package io.averon.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.ps.StepTimeHistogram;
import io.averon.worker.InputException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.apache.commons.text.StringEscapeUtils.escapeHtml4;

/**
 * A run's {@code report.html}: one self-contained page (inline CSS and SVG, no network) drawn from the run directory's
 * metrics.jsonl and job.conf. It shows loss and accuracy per epoch, images per second, each worker's compute and wait
 * time, the mean step time and input readiness per epoch, the parameter server's counters, catch-up rounds, the last
 * epoch's confusion matrix as a heat map and the effective configuration. The driver rewrites it after every epoch
 * and at the end; {@code averon report <run-dir>} rewrites it from the files alone.
 */
public final class TrainingReport {
    public static final String NAME = "report.html";

    private final List<JsonNode> events;
    private final String jobConf;
    private final String runDir;

    private TrainingReport(List<JsonNode> events, String jobConf, String runDir) {
        this.events = events;
        this.jobConf = jobConf;
        this.runDir = runDir;
    }

    /**
     * Read a run directory's metrics and configuration and write its report.
     *
     * @return the report's location
     * @throws InputException naming the file when the directory holds no metrics or a line is not JSON
     */
    public static String write(FileSystem fs, Path runDir) throws IOException {
        Path metrics = new Path(runDir, "metrics.jsonl");
        if (!fs.exists(metrics)) {
            throw new InputException("no training run in " + runDir + ": " + metrics + " does not exist");
        }
        List<JsonNode> events = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        String[] lines;
        try (InputStream in = MetricsLog.fileSystem(fs).open(metrics)) {
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
        }
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                events.add(json.readTree(lines[i]));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                // The last line of a driver killed mid-write may be cut short; any other bad line is damage.
                if (i == lines.length - 1) {
                    break;
                }
                throw new InputException(metrics + " line " + (i + 1) + " is not JSON: "
                        + e.getOriginalMessage());
            }
        }
        Path conf = new Path(runDir, "job.conf");
        String jobConf = "";
        if (fs.exists(conf)) {
            try (InputStream in = fs.open(conf)) {
                jobConf = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        String html = new TrainingReport(events, jobConf, runDir.toString()).render();
        Path target = new Path(runDir, NAME);
        Path temp = new Path(runDir, "." + NAME + ".tmp");
        try (FSDataOutputStream out = fs.create(temp, true)) {
            out.write(html.getBytes(StandardCharsets.UTF_8));
        }
        AtomicRename.over(fs, temp, target);
        return fs.makeQualified(target).toString();
    }

    private String render() {
        List<JsonNode> epochs = of("epoch");
        JsonNode start = last("start");
        JsonNode end = last("end");
        StringBuilder page = new StringBuilder(64 * 1024);
        page.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Averon run ").append(escapeHtml4(runDir)).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}")
                .append("h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:16px}")
                .append("figure.chart{margin:0;border:1px solid #ddd;padding:8px;background:#fff}")
                .append("figcaption{font-weight:600;font-size:13px;margin-bottom:4px}")
                .append("table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;")
                .append("text-align:right}th{background:#f4f4f4}pre{background:#f7f7f7;padding:8px;font-size:12px;")
                .append("overflow:auto;max-height:400px}</style></head><body>");
        page.append("<h1>Averon run <code>").append(escapeHtml4(runDir)).append("</code></h1>");
        page.append("<p id=\"summary\">").append(summary(start, epochs, end)).append("</p>");

        double[] x = column(epochs, "epoch");
        page.append("<h2>Learning</h2><div class=\"charts\">");
        page.append(SvgCharts.lineChart("loss", "Loss per epoch", "epoch", "loss", List.of(
                new SvgCharts.Series("train", x, column(epochs, "train_loss")),
                new SvgCharts.Series("test", x, column(epochs, "test_loss")))));
        List<SvgCharts.Series> accuracy = new ArrayList<>();
        accuracy.add(new SvgCharts.Series("test accuracy", x, column(epochs, "test_accuracy")));
        double[] train = column(epochs, "train_accuracy");
        boolean trainMeasured = java.util.Arrays.stream(train).anyMatch(Double::isFinite);
        if (trainMeasured) {
            accuracy.add(new SvgCharts.Series("train accuracy", x, train));
        }
        if (start != null && start.path("task").asText().equals("segmentation")) {
            accuracy.add(new SvgCharts.Series("test mean IoU", x, column(epochs, "mean_iou")));
        }
        page.append(SvgCharts.lineChart("accuracy", trainMeasured ? "Accuracy per epoch (train: the first "
                + "train.train-accuracy-examples training examples, after the epoch)"
                : "Test accuracy per epoch (train accuracy not measured: train.train-accuracy-examples = 0)", "epoch",
                "accuracy", accuracy));
        page.append("</div>");

        page.append("<h2>Speed</h2><div class=\"charts\">");
        page.append(SvgCharts.lineChart("throughput", "Training images per second", "epoch", "images/s",
                List.of(new SvgCharts.Series("images/s", x, column(epochs, "images_per_second")))));
        double[] stepMs = new double[epochs.size()];
        double[] ready = new double[epochs.size()];
        for (int i = 0; i < epochs.size(); i++) {
            JsonNode e = epochs.get(i);
            long steps = e.path("steps").asLong();
            stepMs[i] = steps == 0 ? Double.NaN : 1000 * e.path("seconds").asDouble() / steps;
            long workerSteps = 0;
            for (JsonNode w : e.path("workers")) {
                workerSteps += w.path("steps").asLong();
            }
            ready[i] = workerSteps == 0 || !e.has("batches_ready") ? Double.NaN
                    : 100.0 * e.path("batches_ready").asLong() / workerSteps;
        }
        page.append(SvgCharts.lineChart("step-time", "Step time per epoch: mean (wall time / steps) and the "
                + "server's median and 90th percentile", "epoch", "ms", List.of(new SvgCharts.Series("mean", x, stepMs),
                new SvgCharts.Series("p50", x, column(epochs, "step_ms_p50")),
                new SvgCharts.Series("p90", x, column(epochs, "step_ms_p90")))));
        page.append(SvgCharts.lineChart("input-ready", "Input ready: minibatches prefetched when asked", "epoch", "%",
                List.of(new SvgCharts.Series("ready", x, ready))));
        if (!epochs.isEmpty()) {
            JsonNode workers = epochs.get(epochs.size() - 1).path("workers");
            String[] names = new String[workers.size()];
            double[] compute = new double[workers.size()];
            double[] wait = new double[workers.size()];
            for (int i = 0; i < workers.size(); i++) {
                JsonNode w = workers.get(i);
                names[i] = "worker " + w.path("worker").asInt();
                compute[i] = w.path("compute_s").asDouble();
                wait[i] = w.path("wait_s").asDouble();
            }
            page.append(SvgCharts.barChart("workers", "Last epoch: each worker's compute and wait time", "s", names,
                    List.of(new SvgCharts.Bars("compute", compute), new SvgCharts.Bars("wait for server", wait))));
        }
        page.append(stepTimeDistribution(epochs));
        page.append("</div>");

        if (!epochs.isEmpty()) {
            JsonNode last = epochs.get(epochs.size() - 1);
            JsonNode confusion = last.path("confusion");
            if (confusion.isArray() && confusion.size() > 0) {
                long[][] counts = new long[confusion.size()][];
                for (int r = 0; r < counts.length; r++) {
                    counts[r] = new long[confusion.get(r).size()];
                    for (int c = 0; c < counts[r].length; c++) {
                        counts[r][c] = confusion.get(r).get(c).asLong();
                    }
                }
                page.append("<h2>Test set, epoch ").append(last.path("epoch").asInt()).append("</h2>");
                page.append("<div class=\"charts\">").append(SvgCharts.heatMap("confusion",
                        "Confusion matrix (rows: true class; shade: share of the row)", counts,
                        classNames(start, counts.length))).append("</div>");
            }
        }

        page.append("<h2>Epochs</h2>").append(epochTable(epochs));
        List<JsonNode> catchUps = of("catch_up");
        if (!catchUps.isEmpty()) {
            page.append("<h2>Catch-up rounds</h2><p>Minibatches no applied step trained (a worker lost, stalled or "
                    + "evicted), trained again so every example counts once per epoch.</p>");
            page.append(table(catchUps, "epoch", "round", "examples", "batches", "workers", "step"));
        }
        List<JsonNode> stops = of("early_stop");
        if (!stops.isEmpty()) {
            page.append("<p>Early stopping after epoch ").append(stops.get(stops.size() - 1).path("epoch").asInt())
                    .append(".</p>");
        }
        page.append("<h2>Effective configuration</h2><pre id=\"config\">")
                .append(escapeHtml4(jobConf.isEmpty() ? "(job.conf not found)" : jobConf)).append("</pre>");
        // The only script: it marks the page as rendered with what it drew, for a browser test and a curious reader.
        page.append("<script>document.body.dataset.charts=document.querySelectorAll('figure.chart').length;")
                .append("document.body.dataset.points=document.querySelectorAll('.point,.bar,.cell').length;")
                .append("</script></body></html>");
        return page.toString();
    }

    private String summary(JsonNode start, List<JsonNode> epochs, JsonNode end) {
        StringBuilder s = new StringBuilder();
        if (start != null) {
            s.append(escapeHtml4(String.format(Locale.ROOT, "%d workers x batch %d, %d training / %d test examples, "
                            + "%d epoch(s) planned, model %s, master %s.", start.path("workers").asInt(),
                    start.path("batch_size").asInt(), start.path("train_examples").asInt(),
                    start.path("test_examples").asInt(), start.path("epochs").asInt(),
                    start.path("model").asText(), start.path("master").asText())));
        }
        if (!epochs.isEmpty()) {
            JsonNode last = epochs.get(epochs.size() - 1);
            s.append(String.format(Locale.ROOT, " Epoch %d: test accuracy %.4f, %.0f images/s.",
                    last.path("epoch").asInt(), last.path("test_accuracy").asDouble(),
                    last.path("images_per_second").asDouble()));
        }
        s.append(end != null ? " Finished: model " + escapeHtml4(end.path("model").asText()) + "."
                : " In progress (or stopped before the end).");
        return s.toString();
    }

    private String epochTable(List<JsonNode> epochs) {
        return table(epochs, "epoch", "steps", "examples", "seconds", "images_per_second", "train_loss", "test_loss",
                "test_accuracy", "gradients_accepted", "dropped_from_step", "late_gradients", "rejected_messages",
                "bad_images", "checkpoint");
    }

    private static String table(List<JsonNode> rows, String... keys) {
        StringBuilder t = new StringBuilder("<table><tr>");
        for (String k : keys) {
            t.append("<th>").append(escapeHtml4(k.replace('_', ' '))).append("</th>");
        }
        t.append("</tr>");
        for (JsonNode row : rows) {
            t.append("<tr>");
            for (String k : keys) {
                JsonNode v = row.path(k);
                String text = v.isFloatingPointNumber() ? String.format(Locale.ROOT, "%.4g", v.asDouble())
                        : v.isMissingNode() || v.isNull() ? "" : v.asText();
                t.append("<td>").append(escapeHtml4(text)).append("</td>");
            }
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    private static String[] classNames(JsonNode start, int classes) {
        JsonNode names = start == null ? null : start.path("class_names");
        if (names == null || !names.isArray() || names.size() != classes) {
            return null;
        }
        String[] out = new String[classes];
        for (int i = 0; i < classes; i++) {
            out[i] = names.get(i).asText();
        }
        return out;
    }

    /**
     * The server's step times of every epoch in the report as one histogram, from its first to its last non-empty
     * bucket, each bar labelled with its bucket's upper bound.
     */
    private static String stepTimeDistribution(List<JsonNode> epochs) {
        long[] counts = new long[StepTimeHistogram.BUCKETS];
        for (JsonNode e : epochs) {
            JsonNode c = e.path("step_time_counts");
            for (int k = 0; k < Math.min(c.size(), counts.length); k++) {
                counts[k] += c.get(k).asLong();
            }
        }
        int first = 0;
        while (first < counts.length && counts[first] == 0) {
            first++;
        }
        int last = counts.length - 1;
        while (last > first && counts[last] == 0) {
            last--;
        }
        int n = first < counts.length ? last - first + 1 : 0;
        String[] labels = new String[n];
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            int k = first + i;
            double bound = StepTimeHistogram.upperBoundMillis(k);
            labels[i] = Double.isInfinite(bound) ? ">" + SvgCharts.fmt(StepTimeHistogram.upperBoundMillis(k - 1))
                    : "<" + (bound < 10 ? String.format(Locale.ROOT, "%.2g", bound) : SvgCharts.fmt(Math.round(bound)));
            values[i] = counts[k];
        }
        return SvgCharts.barChart("step-distribution", "Step time distribution, all epochs (server, completion to "
                + "completion)", "steps", labels, List.of(new SvgCharts.Bars("steps (ms)", values)));
    }

    private static double[] column(List<JsonNode> rows, String key) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).path(key).asDouble(Double.NaN);
        }
        return out;
    }

    private List<JsonNode> of(String event) {
        return events.stream().filter(e -> e.path("event").asText().equals(event)).toList();
    }

    /** The newest event of a kind: a resumed run appends a second "start" to the same metrics. */
    private JsonNode last(String event) {
        List<JsonNode> found = of(event);
        return found.isEmpty() ? null : found.get(found.size() - 1);
    }
}
