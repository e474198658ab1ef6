package io.averon.jobs;

import io.averon.worker.InputException;

import java.util.ArrayList;
import java.util.List;

/**
 * The parsed arguments of one {@code averon} invocation:
 * {@code averon <command> <job> [--master M] [--workers N] [--set key=value ...] [--resume [DIR]] [--run-dir DIR]
 * [--model PATH]}.
 */
public record CommandLine(String command, String job, String master, List<String> overrides, String resume,
                          String runDirectory, String model, String output) {

    public static final String USAGE = String.join("\n",
            "usage: averon <command> [options]",
            "",
            "commands:",
            "  train <job>       train a job (a name from conf/jobs/ or a path to a .conf file)",
            "  evaluate <job>    evaluate a saved model on the job's test set (--model PATH, or --run-dir DIR)",
            "  prepare <job> <output-dir>",
            "                    decode, resize and pack the job's dataset once into shards (any Hadoop FileSystem)",
            "                    for fast repeated epochs; train from them with dataset.format = prepared",
            "  generate-shapes <dir> [--train N] [--test N] [--size S] [--seed N]",
            "                    write a synthetic segmentation dataset (shapes with VOC-style masks)",
            "  report <run-dir>  write the run directory's report.html again from its metrics.jsonl and job.conf",
            "  jobs              list the built-in jobs",
            "  models            list the architectures model.architecture accepts",
            "  config            print every configuration key with its default and meaning",
            "",
            "options:",
            "  --master M        Spark master (default: spark-submit's, else the job's spark.master, local[*])",
            "  --workers N       data-parallel workers (train.workers; default: Spark's default parallelism)",
            "  --set key=value   override a configuration key (repeatable)",
            "  --resume [DIR]    continue from the newest valid checkpoint (of DIR, or of this job's latest run)",
            "  --run-dir DIR     where this run writes metrics.jsonl, model.zip and checkpoints/",
            "  --model PATH      (evaluate) the model file to evaluate",
            "  -h, --help        this help");

    public static CommandLine parse(String[] args) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            return new CommandLine("help", null, null, List.of(), null, null, null, null);
        }
        String command = args[0];
        if (!List.of("train", "evaluate", "prepare", "report", "jobs", "models", "config").contains(command)) {
            throw new InputException("unknown command '" + command
                    + "' (expected train, evaluate, prepare, report, generate-shapes, jobs, models or config)");
        }
        String output = null;
        String job = null;
        String master = null;
        String resume = null;
        String runDir = null;
        String model = null;
        List<String> overrides = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--master" -> master = value(args, ++i, a);
                case "--workers" -> {
                    String n = value(args, ++i, a);
                    if (!n.matches("\\d+") || Integer.parseInt(n) <= 0) {
                        throw new InputException("--workers " + n + ": expected a positive whole number");
                    }
                    overrides.add("train.workers=" + n);
                }
                case "--set" -> overrides.add(value(args, ++i, a));
                case "--resume" -> {
                    boolean hasDir = i + 1 < args.length && !args[i + 1].startsWith("--")
                            && (job != null || i + 2 < args.length);
                    resume = hasDir ? args[++i] : "";
                }
                case "--run-dir" -> runDir = value(args, ++i, a);
                case "--model" -> model = value(args, ++i, a);
                case "-h", "--help" -> {
                    return new CommandLine("help", null, null, List.of(), null, null, null, null);
                }
                default -> {
                    if (a.startsWith("--")) {
                        throw new InputException("unknown option " + a + "\n" + USAGE);
                    }
                    if (job == null) {
                        job = a;
                    } else if (command.equals("prepare") && output == null) {
                        output = a;
                    } else {
                        throw new InputException("unexpected argument '" + a + "' (job is already " + job + ")");
                    }
                }
            }
        }
        if (command.equals("prepare") && (job == null || output == null)) {
            throw new InputException("averon prepare needs a job and an output directory, e.g. averon prepare "
                    + "my-images.conf hdfs:///datasets/my-images-prepared");
        }
        if (command.equals("report") && job == null) {
            throw new InputException("averon report needs a run directory, e.g. averon report runs/fashion-mnist-lenet-"
                    + "20261202-101500");
        }
        if ((command.equals("train") || command.equals("evaluate")) && job == null) {
            throw new InputException("averon " + command + " needs a job, e.g. averon " + command
                    + " fashion-mnist-lenet");
        }
        return new CommandLine(command, job, master, List.copyOf(overrides), resume, runDir, model, output);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new InputException(option + " needs a value");
        }
        return args[i];
    }
}
