package io.averon.driver;

import io.averon.worker.data.DataShape;
import io.averon.worker.data.SourceIndex;

/**
 * The planning report of a dataset for the console: size, shape, per-class counts (so imbalance is visible before
 * training starts) and the files planning already set aside.
 */
final class DatasetReport {
    private DatasetReport() {
    }

    static String describe(SourceIndex index, String role) {
        DataShape shape = index.shape();
        StringBuilder text = new StringBuilder();
        text.append(String.format("%s %s: %d examples, %dx%dx%d, %d classes", role, index.name(), index.size(),
                shape.channels(), shape.height(), shape.width(), shape.classes()));
        if (index.skippedAtPlanning() > 0) {
            text.append(String.format(", %d file(s) skipped while planning", index.skippedAtPlanning()));
        }
        text.append(System.lineSeparator());
        if (!shape.segmentation()) {
            long[] counts = classCounts(index);
            text.append("  per class:");
            for (int c = 0; c < counts.length; c++) {
                text.append(' ').append(shape.classNames().get(c)).append('=').append(counts[c]);
            }
            text.append(System.lineSeparator());
        }
        return text.toString();
    }

    static long[] classCounts(SourceIndex index) {
        long[] counts = new long[index.shape().classes()];
        for (int i = 0; i < index.size(); i++) {
            counts[index.label(i)]++;
        }
        return counts;
    }
}
