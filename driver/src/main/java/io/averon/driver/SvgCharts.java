package io.averon.driver;

import java.util.List;
import java.util.Locale;

import static org.apache.commons.text.StringEscapeUtils.escapeHtml4;

/**
 * The charts of the training report, drawn as inline SVG on the server side so the report is one self-contained file
 * that opens with no network and no script library: line charts over epochs, grouped bar charts and a heat map. Every
 * drawn datum carries a class ({@code point}, {@code bar}, {@code cell}) and its value in a {@code data-value}
 * attribute, which is what a browser test counts.
 */
final class SvgCharts {
    private static final int WIDTH = 520;
    private static final int HEIGHT = 260;
    private static final int LEFT = 56;
    private static final int RIGHT = 16;
    private static final int TOP = 16;
    private static final int BOTTOM = 40;
    static final String[] COLORS = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b" };

    /** A named series of y values over x values; NaN y values are left out of the line. */
    record Series(String name, double[] x, double[] y) {
    }

    /** A named group of bars, one value per category. */
    record Bars(String name, double[] values) {
    }

    private SvgCharts() {
    }

    static String lineChart(String id, String title, String xLabel, String yLabel, List<Series> series) {
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (Double.isFinite(s.y[i])) {
                    minX = Math.min(minX, s.x[i]);
                    maxX = Math.max(maxX, s.x[i]);
                    minY = Math.min(minY, s.y[i]);
                    maxY = Math.max(maxY, s.y[i]);
                }
            }
        }
        StringBuilder svg = open(id, title);
        if (minX > maxX) {
            return close(svg.append(text(WIDTH / 2.0, HEIGHT / 2.0, "middle", "no data yet")));
        }
        if (maxX == minX) {
            minX -= 0.5;
            maxX += 0.5;
        }
        double pad = (maxY - minY) * 0.08 + (maxY == minY ? Math.max(Math.abs(maxY) * 0.1, 0.01) : 0);
        minY -= pad;
        maxY += pad;
        axes(svg, minX, maxX, minY, maxY, xLabel, yLabel);
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            String color = COLORS[k % COLORS.length];
            StringBuilder d = new StringBuilder();
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < s.x.length; i++) {
                if (!Double.isFinite(s.y[i])) {
                    continue;
                }
                double px = scale(s.x[i], minX, maxX, LEFT, WIDTH - RIGHT);
                double py = scale(s.y[i], minY, maxY, HEIGHT - BOTTOM, TOP);
                d.append(d.length() == 0 ? "M" : " L").append(fmt(px)).append(',').append(fmt(py));
                points.append("<circle class=\"point\" cx=\"").append(fmt(px)).append("\" cy=\"").append(fmt(py))
                        .append("\" r=\"3.5\" fill=\"").append(color).append("\" data-value=\"").append(s.y[i])
                        .append("\"><title>").append(escapeHtml4(s.name)).append(", ").append(fmt(s.x[i]))
                        .append(": ").append(String.format(Locale.ROOT, "%.4g", s.y[i])).append("</title></circle>");
            }
            svg.append("<path class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"").append(color)
                    .append("\" d=\"").append(d).append("\"/>").append(points);
            svg.append("<rect x=\"").append(LEFT + 10 + k * 130).append("\" y=\"2\" width=\"10\" height=\"10\" fill=\"")
                    .append(color).append("\"/>")
                    .append(text(LEFT + 24 + k * 130, 11, "start", s.name));
        }
        return close(svg);
    }

    static String barChart(String id, String title, String yLabel, String[] categories, List<Bars> groups) {
        double maxY = 0;
        for (Bars g : groups) {
            for (double v : g.values) {
                if (Double.isFinite(v)) {
                    maxY = Math.max(maxY, v);
                }
            }
        }
        StringBuilder svg = open(id, title);
        if (categories.length == 0) {
            return close(svg.append(text(WIDTH / 2.0, HEIGHT / 2.0, "middle", "no data yet")));
        }
        maxY = maxY == 0 ? 1 : maxY * 1.1;
        axes(svg, Double.NaN, Double.NaN, 0, maxY, "", yLabel);
        double slot = (WIDTH - LEFT - RIGHT) / (double) categories.length;
        double barWidth = slot * 0.8 / groups.size();
        for (int c = 0; c < categories.length; c++) {
            double x0 = LEFT + c * slot + slot * 0.1;
            for (int k = 0; k < groups.size(); k++) {
                double v = groups.get(k).values[c];
                double h = Double.isFinite(v) ? scale(v, 0, maxY, 0, HEIGHT - TOP - BOTTOM) : 0;
                svg.append("<rect class=\"bar\" x=\"").append(fmt(x0 + k * barWidth)).append("\" y=\"")
                        .append(fmt(HEIGHT - BOTTOM - h)).append("\" width=\"").append(fmt(barWidth * 0.95))
                        .append("\" height=\"").append(fmt(h)).append("\" fill=\"").append(COLORS[k % COLORS.length])
                        .append("\" data-value=\"").append(v).append("\"><title>")
                        .append(escapeHtml4(groups.get(k).name)).append(", ").append(escapeHtml4(categories[c]))
                        .append(": ").append(String.format(Locale.ROOT, "%.4g", v)).append("</title></rect>");
            }
            svg.append(text(x0 + slot * 0.4, HEIGHT - BOTTOM + 14, "middle", categories[c]));
        }
        for (int k = 0; k < groups.size(); k++) {
            svg.append("<rect x=\"").append(LEFT + 10 + k * 130).append("\" y=\"2\" width=\"10\" height=\"10\" fill=\"")
                    .append(COLORS[k % COLORS.length]).append("\"/>")
                    .append(text(LEFT + 24 + k * 130, 11, "start", groups.get(k).name));
        }
        return close(svg);
    }

    /**
     * Rows are true classes, columns predictions; a cell's shade is its share of its row, so a class with few test
     * examples shows its errors as clearly as a common one.
     */
    static String heatMap(String id, String title, long[][] counts, String[] labels) {
        int n = counts.length;
        int cell = Math.max(14, Math.min(40, 400 / Math.max(1, n)));
        int labelSpace = 90;
        int size = labelSpace + n * cell + 10;
        StringBuilder svg = new StringBuilder("<figure class=\"chart\" id=\"").append(id).append("\"><figcaption>")
                .append(escapeHtml4(title)).append("</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(size + 50).append("\" height=\"").append(size + 20).append("\" role=\"img\">");
        for (int r = 0; r < n; r++) {
            long rowTotal = 0;
            for (long v : counts[r]) {
                rowTotal += v;
            }
            svg.append(text(labelSpace - 4, labelSpace + r * cell + cell * 0.65, "end", label(labels, r)));
            for (int c = 0; c < n; c++) {
                double share = rowTotal == 0 ? 0 : counts[r][c] / (double) rowTotal;
                int shade = (int) Math.round(255 - share * 200);
                String fill = r == c ? String.format("rgb(%d,%d,255)", shade, shade)
                        : String.format("rgb(255,%d,%d)", shade, shade);
                svg.append("<rect class=\"cell\" x=\"").append(labelSpace + c * cell).append("\" y=\"")
                        .append(labelSpace + r * cell).append("\" width=\"").append(cell - 1).append("\" height=\"")
                        .append(cell - 1).append("\" fill=\"").append(fill).append("\" data-value=\"")
                        .append(counts[r][c]).append("\"><title>true ").append(escapeHtml4(label(labels, r)))
                        .append(", predicted ").append(escapeHtml4(label(labels, c))).append(": ")
                        .append(counts[r][c]).append("</title></rect>");
                if (cell >= 24 && counts[r][c] > 0) {
                    svg.append(text(labelSpace + c * cell + cell / 2.0, labelSpace + r * cell + cell * 0.65, "middle",
                            Long.toString(counts[r][c])));
                }
            }
        }
        for (int c = 0; c < n; c++) {
            double x = labelSpace + c * cell + cell * 0.6;
            svg.append("<text font-size=\"11\" transform=\"translate(").append(fmt(x)).append(',')
                    .append(labelSpace - 4).append(") rotate(-60)\">").append(escapeHtml4(label(labels, c)))
                    .append("</text>");
        }
        svg.append(text(labelSpace + n * cell / 2.0, size + 14, "middle", "predicted class"));
        return svg.append("</svg></figure>").toString();
    }

    private static String label(String[] labels, int i) {
        return labels != null && i < labels.length ? labels[i] : Integer.toString(i);
    }

    private static StringBuilder open(String id, String title) {
        return new StringBuilder("<figure class=\"chart\" id=\"").append(id).append("\"><figcaption>")
                .append(escapeHtml4(title)).append("</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" ")
                .append("viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" role=\"img\">");
    }

    private static String close(StringBuilder svg) {
        return svg.append("</svg></figure>").toString();
    }

    private static void axes(StringBuilder svg, double minX, double maxX, double minY, double maxY, String xLabel,
                             String yLabel) {
        svg.append("<g class=\"axes\" stroke=\"#888\">")
                .append("<line x1=\"").append(LEFT).append("\" y1=\"").append(HEIGHT - BOTTOM).append("\" x2=\"")
                .append(WIDTH - RIGHT).append("\" y2=\"").append(HEIGHT - BOTTOM).append("\"/>")
                .append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
                .append("\" y2=\"").append(HEIGHT - BOTTOM).append("\"/></g>");
        for (int i = 0; i <= 4; i++) {
            double v = minY + (maxY - minY) * i / 4;
            double y = scale(v, minY, maxY, HEIGHT - BOTTOM, TOP);
            svg.append("<line stroke=\"#eee\" x1=\"").append(LEFT + 1).append("\" x2=\"").append(WIDTH - RIGHT)
                    .append("\" y1=\"").append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\"/>")
                    .append(text(LEFT - 4, y + 4, "end", String.format(Locale.ROOT, "%.3g", v)));
        }
        if (Double.isFinite(minX)) {
            int ticks = (int) Math.min(10, Math.round(maxX - minX));
            for (int i = 0; i <= ticks; i++) {
                double v = minX + (maxX - minX) * i / Math.max(1, ticks);
                if (Math.abs(v - Math.rint(v)) < 1e-9) {
                    svg.append(text(scale(v, minX, maxX, LEFT, WIDTH - RIGHT), HEIGHT - BOTTOM + 14, "middle",
                            fmt(v)));
                }
            }
        }
        svg.append(text((LEFT + WIDTH - RIGHT) / 2.0, HEIGHT - 6, "middle", xLabel));
        svg.append("<text font-size=\"11\" transform=\"translate(12,").append((TOP + HEIGHT - BOTTOM) / 2)
                .append(") rotate(-90)\" text-anchor=\"middle\">").append(escapeHtml4(yLabel)).append("</text>");
    }

    private static String text(double x, double y, String anchor, String content) {
        return "<text font-size=\"11\" x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\">"
                + escapeHtml4(content) + "</text>";
    }

    private static double scale(double v, double from, double to, double outFrom, double outTo) {
        return outFrom + (v - from) / (to - from) * (outTo - outFrom);
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
