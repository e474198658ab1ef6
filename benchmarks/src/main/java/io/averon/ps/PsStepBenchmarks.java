package io.averon.ps;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Runs the step benchmarks (one JMH fork at a time) and prints each figure beside its physical limit, measured in
 * the same run, with the ratio and the target of issue 8: transport over IPC within 3x a plain copy of its bytes,
 * the update within 2x one pass over its arrays. Arguments, all optional, as key=value: {@code parameters} (floats per
 * gradient, default 25,000,000), {@code workers} (comma list, default 1,2), {@code media} (default ipc,udp),
 * {@code forks}, {@code warmup}, {@code iterations} (counts) and {@code time} (seconds per iteration), which
 * override the annotations. {@code java -cp benchmarks.jar org.openjdk.jmh.Main} runs JMH's own command line instead.
 */
public final class PsStepBenchmarks
{
    private static final double TRANSPORT_TARGET = 3.0;
    private static final double UPDATE_TARGET = 2.0;

    private PsStepBenchmarks()
    {
    }

    public static void main(final String[] args) throws RunnerException
    {
        String parameters = "25000000";
        String[] workers = {"1", "2"};
        String[] media = {"ipc", "udp"};
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .include(StepTransportBench.class.getName() + "\\.")
            .include(MemcpyBench.class.getName() + "\\.")
            .include(StepUpdateBench.class.getName() + "\\.");
        for (final String arg : args)
        {
            final int eq = arg.indexOf('=');
            if (eq < 0)
            {
                throw new IllegalArgumentException("arguments are key=value, was " + arg);
            }
            final String key = arg.substring(0, eq);
            final String value = arg.substring(eq + 1);
            switch (key)
            {
                case "parameters" -> parameters = value;
                case "workers" -> workers = value.split(",");
                case "media" -> media = value.split(",");
                case "forks" -> options.forks(Integer.parseInt(value));
                case "warmup" -> options.warmupIterations(Integer.parseInt(value));
                case "iterations" -> options.measurementIterations(Integer.parseInt(value));
                case "time" -> options.warmupTime(TimeValue.seconds(Long.parseLong(value)))
                    .measurementTime(TimeValue.seconds(Long.parseLong(value)));
                default -> throw new IllegalArgumentException("unknown argument " + key + " (parameters, workers, " +
                    "media, forks, warmup, iterations, time)");
            }
        }
        options.param("parameters", parameters).param("workers", workers).param("media", media);

        final Collection<RunResult> results = new Runner(options.build()).run();
        final int parameterCount = Integer.parseInt(parameters);
        System.out.println();
        System.out.print(table(results, parameterCount, workers, media));
    }

    static String table(
        final Collection<RunResult> results, final int parameterCount, final String[] workers, final String[] media)
    {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "One synchronous step of %,d floats (%.0f MB per gradient or parameter " +
            "set); ms per step, mean +- 99.9%% error%n%n", parameterCount, parameterCount * 4 / 1e6));
        out.append("| part | workers | measured ms | physical limit | limit ms | ratio | target | met |\n");
        out.append("|---|---|---|---|---|---|---|---|\n");
        for (final String w : workers)
        {
            final Result memcpy = find(results, "MemcpyBench.memcpy", w, null);
            final Result averaging = find(results, "StepUpdateBench.averageOnly", w, null);
            final double bytes = 2.0 * Integer.parseInt(w) * parameterCount * 4;
            for (final String m : media)
            {
                final Result transport = find(results, "StepTransportBench.transport", w, m);
                if (transport == null || memcpy == null)
                {
                    continue;
                }
                final boolean ipc = m.equals("ipc");
                row(out, "transport " + m.toUpperCase(Locale.ROOT), w, transport,
                    String.format(Locale.ROOT, "memcpy of %.0f MB (%.1f GB/s)", bytes / 1e6,
                        bytes / 1e6 / memcpy.getScore()), memcpy, ipc ? TRANSPORT_TARGET : Double.NaN);
                if (averaging != null)
                {
                    final double net = transport.getScore() - averaging.getScore();
                    out.append(String.format(Locale.ROOT,
                        "| transport %s less the server's averaging pass (%.1f ms) | %s | %.1f | memcpy | %.1f | " +
                        "%.2f | %s | %s |%n", m.toUpperCase(Locale.ROOT), averaging.getScore(), w, net,
                        memcpy.getScore(), net / memcpy.getScore(), ipc ? "<= 3" : "-",
                        ipc ? (net / memcpy.getScore() <= TRANSPORT_TARGET ? "yes" : "no") : "-"));
                }
            }
            final Result update = find(results, "StepUpdateBench.update", w, null);
            final Result pass = find(results, "StepUpdateBench.memoryPass", w, null);
            if (update != null && pass != null)
            {
                final int arrays = Integer.parseInt(w) + 6;
                row(out, "update (averaging + Adam + finiteness pass)", w, update,
                    String.format(Locale.ROOT, "one pass reading %d arrays, writing 3 (%.1f GB/s)",
                        Integer.parseInt(w) + 3, arrays * (double)parameterCount * 4 / 1e6 / pass.getScore()),
                    pass, UPDATE_TARGET);
            }
        }
        return out.toString();
    }

    private static void row(final StringBuilder out, final String part, final String workers, final Result measured,
        final String limitName, final Result limit, final double target)
    {
        final double ratio = measured.getScore() / limit.getScore();
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %.2f | %s | %s |%n", part, workers,
            figure(measured), limitName, figure(limit), ratio,
            Double.isNaN(target) ? "-" : String.format(Locale.ROOT, "<= %.0f", target),
            Double.isNaN(target) ? "-" : (ratio <= target ? "yes" : "no")));
    }

    private static String figure(final Result result)
    {
        final double error = result.getScoreError();
        return Double.isNaN(error) ? String.format(Locale.ROOT, "%.1f", result.getScore()) :
            String.format(Locale.ROOT, "%.1f +- %.1f", result.getScore(), error);
    }

    private static Result find(
        final Collection<RunResult> results, final String benchmark, final String workers, final String media)
    {
        final List<Result> found = new ArrayList<>();
        for (final RunResult result : results)
        {
            if (result.getParams().getBenchmark().endsWith(benchmark) &&
                workers.equals(result.getParams().getParam("workers")) &&
                (media == null || media.equals(result.getParams().getParam("media"))))
            {
                found.add(result.getPrimaryResult());
            }
        }
        return found.isEmpty() ? null : found.get(0);
    }
}
