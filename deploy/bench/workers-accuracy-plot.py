#!/usr/bin/env python3
"""Plots what deploy/bench/workers-accuracy.sh measured: test accuracy against the worker count, one line per
setting and number of epochs (after 2 epochs, and after the last one when the run was longer), as a self-contained
SVG on stdout.

    deploy/bench/workers-accuracy-plot.py RUN/workers-accuracy.csv [MORE.csv ...] > docs/workers-accuracy-5-epochs.svg

Rows of several CSV files (several runs of the script) are merged; a (setting, workers, epochs) measured twice keeps
the last. Reads only the CSV columns the script writes: setting, workers, epochs, accuracy_epoch_2, accuracy_last.
"""
import csv
import math
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def series(paths):
    points = {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                workers = int(row["workers"])
                epochs = int(row["epochs"])
                for at, value in ((2, row["accuracy_epoch_2"]), (epochs, row["accuracy_last"])):
                    if value:
                        points.setdefault((row["setting"], at), {})[workers] = float(value)
    return points


def main(paths):
    if not paths:
        sys.exit("usage: workers-accuracy-plot.py CSV [CSV ...] > plot.svg")
    points = series(paths)
    if not points:
        sys.exit("workers-accuracy-plot.py: no accuracy in " + ", ".join(paths))
    workers = sorted({w for line in points.values() for w in line})
    values = [a for line in points.values() for a in line.values()]
    low = math.floor(min(values) * 50) / 50
    high = math.ceil(max(values) * 50) / 50
    if high - low < 0.02:
        high = low + 0.02
    width, height, left, right, top, bottom = 760, 400, 60, 220, 34, 50

    def x(w):
        i = workers.index(w)
        return left + (width - left - right) * (i / max(1, len(workers) - 1))

    def y(a):
        return top + (height - top - bottom) * (1 - (a - low) / (high - low))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{(width - right + left) / 2}" y="18" text-anchor="middle" font-size="14">Main job (LeNet, '
           'Fashion-MNIST, batch 64 per worker): test accuracy against workers</text>']
    steps = round((high - low) / 0.01)
    for k in range(steps + 1):
        a = low + k * (high - low) / steps
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(a):.1f}" y2="{y(a):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y(a) + 4:.1f}" text-anchor="end">{a:.2f}</text>')
    for w in workers:
        out.append(f'<text x="{x(w):.1f}" y="{height - bottom + 18}" text-anchor="middle">{w}</text>')
    out.append(f'<text x="{(width - right + left) / 2}" y="{height - 12}" text-anchor="middle">workers (global batch '
               '= 64 x workers)</text>')
    for i, ((setting, epochs), line) in enumerate(sorted(points.items())):
        colour = COLOURS[i % len(COLOURS)]
        dash = "" if epochs == 2 else ' stroke-dasharray="6 3"'
        xs = sorted(line)
        path = " ".join(f"{x(w):.1f},{y(line[w]):.1f}" for w in xs)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for w in xs:
            out.append(f'<circle cx="{x(w):.1f}" cy="{y(line[w]):.1f}" r="3.5" fill="{colour}">'
                       f'<title>{setting}, {w} workers, {epochs} epochs: {line[w]:.4f}</title></circle>')
        ly = top + 18 * i
        out.append(f'<line x1="{width - right + 16}" x2="{width - right + 40}" y1="{ly}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{width - right + 46}" y="{ly + 4}">{setting}, {epochs} epochs</text>')
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
