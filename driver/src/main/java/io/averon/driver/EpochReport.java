package io.averon.driver;

import io.averon.ps.ServerStats;
import io.averon.ps.StepTimeHistogram;
import io.averon.worker.ConfusionMatrix;
import io.averon.worker.WorkerReport;
import io.averon.worker.data.BadImages;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.averon.driver.MetricsLog.fields;

/**
 * What an operator learns when an epoch ends: one console line with the numbers that matter (images, speed, losses,
 * accuracy, steps, what the server dropped or rejected, input readiness, bad images, where the checkpoint went), and
 * the epoch's full record in metrics.jsonl (per-class precision, recall and F1, the confusion matrix, each worker's
 * compute and wait time, the server's counters).
 */
final class EpochReport {
    private final PrintStream out;
    private final MetricsLog metrics;
    private final boolean segmentation;

    EpochReport(PrintStream out, MetricsLog metrics, boolean segmentation) {
        this.out = out;
        this.metrics = metrics;
        this.segmentation = segmentation;
    }

    /** The mean minibatch loss the workers reported, NaN when they reported none. */
    static double trainLoss(List<WorkerReport> reports) {
        int steps = reports.stream().mapToInt(WorkerReport::steps).sum();
        return steps == 0 ? Double.NaN : reports.stream().mapToDouble(WorkerReport::lossSum).sum() / steps;
    }

    /**
     * @param location where the epoch's checkpoint was committed, or why it is not yet
     */
    /** @param stepTimes how long this epoch's steps took, completion to completion (the server's histogram) */
    void epochEnded(EpochSummary summary, int epochs, ConfusionMatrix matrix, List<WorkerReport> reports,
                    ServerStats stats, StepTimeHistogram stepTimes, String location) throws IOException {
        BadImages bad = new BadImages();
        reports.forEach(r -> bad.merge(r.badImages()));
        int ready = reports.stream().mapToInt(WorkerReport::batchesReady).sum();
        int reportedSteps = reports.stream().mapToInt(WorkerReport::steps).sum();
        out.printf("epoch %d/%d: %d images in %.1f s (%.0f img/s), train loss %.4f%s, test accuracy %.4f%s, "
                        + "test loss %.4f, %d steps, dropped %d, rejected %d, input ready %.1f%%, "
                        + "bad images %d — checkpoint %s%n",
                summary.epoch(), epochs, summary.examples(), summary.seconds(), summary.imagesPerSecond(),
                summary.trainLoss(), Double.isNaN(summary.trainAccuracy()) ? ""
                        : String.format(", train accuracy %.4f", summary.trainAccuracy()), matrix.accuracy(),
                segmentation ? String.format(", mean IoU %.4f", matrix.meanIntersectionOverUnion())
                        : matrix.classes() > 5 ? String.format(", top-5 %.4f", matrix.topFiveAccuracy()) : "",
                matrix.meanLoss(), summary.steps(), stats.droppedFromStep(), stats.rejectedMessages(),
                reportedSteps == 0 ? 100.0 : 100.0 * ready / reportedSteps, bad.count(), location);
        if (bad.count() > 0) {
            out.printf("  skipped %d bad image(s) this epoch, e.g. %s%n", bad.count(), String.join("; ", bad.first()));
        }
        Map<String, Object> fieldsOfEpoch = epochFields(summary, matrix, reports, stats, location);
        fieldsOfEpoch.put("bad_images", bad.count());
        fieldsOfEpoch.put("batches_ready", ready);
        fieldsOfEpoch.put("mean_iou", matrix.meanIntersectionOverUnion());
        fieldsOfEpoch.put("step_time_counts", stepTimes.counts());
        if (stepTimes.total() > 0) {
            fieldsOfEpoch.put("step_ms_p50", stepTimes.quantileMillis(0.5));
            fieldsOfEpoch.put("step_ms_p90", stepTimes.quantileMillis(0.9));
            fieldsOfEpoch.put("step_ms_p99", stepTimes.quantileMillis(0.99));
        }
        metrics.write("epoch", fieldsOfEpoch);
    }

    private static Map<String, Object> epochFields(EpochSummary s, ConfusionMatrix matrix, List<WorkerReport> reports,
                                                   ServerStats stats, String checkpoint) {
        double[] precision = new double[matrix.classes()];
        double[] recall = new double[matrix.classes()];
        double[] f1 = new double[matrix.classes()];
        for (int c = 0; c < matrix.classes(); c++) {
            precision[c] = matrix.precision(c);
            recall[c] = matrix.recall(c);
            f1[c] = matrix.f1(c);
        }
        return fields("epoch", s.epoch(), "steps", s.steps(), "step", stats.step(), "examples", s.examples(),
                "seconds", s.seconds(), "images_per_second", s.imagesPerSecond(), "train_loss", s.trainLoss(),
                "train_accuracy", s.trainAccuracy(),
                "test_accuracy", s.testAccuracy(), "test_top5_accuracy", matrix.topFiveAccuracy(),
                "test_loss", s.testLoss(), "precision", precision,
                "recall", recall, "f1", f1, "confusion", matrix.counts(),
                "workers", reports.stream().map(r -> fields("worker", r.worker(), "host", r.host(), "steps", r.steps(),
                        "examples", r.examples(), "compute_s", r.computeNanos() / 1e9, "wait_s", r.waitNanos() / 1e9))
                        .collect(Collectors.toList()),
                "gradients_accepted", stats.gradientsAccepted(), "dropped_from_step", stats.droppedFromStep(), "late_gradients", stats.lateGradients(),
                "rejected_messages", stats.rejectedMessages(), "checkpoint", checkpoint);
    }
}
