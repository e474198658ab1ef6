package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.data.CifarExampleSource;
import io.averon.jobs.data.DecodeSettings;
import io.averon.jobs.data.FashionMnist;
import io.averon.jobs.data.IdxExampleSource;
import io.averon.jobs.data.ImageFolderSource;
import io.averon.jobs.data.PreparedSource;
import io.averon.jobs.data.SegmentationFolderSource;
import io.averon.jobs.data.Split;
import io.averon.worker.ExampleSource;
import io.averon.worker.FirstExamples;
import io.averon.worker.InputException;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.DataShape;

import java.util.List;

/**
 * Turns a job's {@code dataset} block into its training and test sources, whatever the format: IDX files, a
 * class-per-folder tree, CIFAR batches, segmentation pairs or prepared shards. Only descriptions are built here;
 * planning (listing, counting) happens when the driver indexes them. Every source is given the run's Hadoop settings
 * ({@code sc.hadoopConfiguration()} of the driver), which it plans with and which travel with its index to the
 * executors' readers.
 */
public final class DatasetCatalog {
    static final String[] FORMATS = {"idx", "folder", "cifar10", "cifar100", "segmentation", "prepared"};

    private DatasetCatalog() {
    }

    /** The training source (with dataset.train-limit applied). */
    public static ExampleSource train(JobConfig config, HadoopSettings hadoop) {
        return limited(source(config, false, hadoop), config.nonNegative("dataset.train-limit"));
    }

    /** The test/validation source (with dataset.test-limit applied). */
    public static ExampleSource test(JobConfig config, HadoopSettings hadoop) {
        return limited(source(config, true, hadoop), config.nonNegative("dataset.test-limit"));
    }

    /** Decoding settings of the image-file formats. */
    public static DecodeSettings decodeSettings(JobConfig config) {
        int channels = config.positive("dataset.channels");
        if (channels != 1 && channels != 3) {
            throw new InputException("config key dataset.channels must be 1 or 3, got " + channels);
        }
        long maxPixels = config.longValue("dataset.max-pixels");
        if (maxPixels <= 0) {
            throw new InputException("config key dataset.max-pixels must be positive, got " + maxPixels);
        }
        return new DecodeSettings(channels, config.positive("dataset.height"), config.positive("dataset.width"),
                maxPixels, badImagePolicy(config));
    }

    public static BadImagePolicy badImagePolicy(JobConfig config) {
        return BadImagePolicy.valueOf(config.oneOf("dataset.bad-images", "skip", "fail").toUpperCase());
    }

    private static ExampleSource source(JobConfig config, boolean test, HadoopSettings hadoop) {
        String format = config.oneOf("dataset.format", FORMATS);
        String dir = config.string("dataset.dir");
        return switch (format) {
            case "idx" -> idx(config, dir, test, hadoop);
            case "folder" -> folder(config, dir, test, hadoop);
            case "segmentation" -> segmentation(config, dir, test, hadoop);
            case "cifar10" -> test ? CifarExampleSource.cifar10Test(dir, hadoop)
                    : CifarExampleSource.cifar10Train(dir, hadoop);
            case "cifar100" -> {
                boolean coarse = config.oneOf("dataset.cifar100-labels", "fine", "coarse").equals("coarse");
                yield test ? CifarExampleSource.cifar100Test(dir, coarse, hadoop)
                        : CifarExampleSource.cifar100Train(dir, coarse, hadoop);
            }
            case "prepared" -> new PreparedSource(join(dir, test ? "test" : "train"), hadoop);
            default -> throw new IllegalStateException("unreachable: " + format);
        };
    }

    private static ExampleSource idx(JobConfig config, String dir, boolean test, HadoopSettings hadoop) {
        if (dir.equals(FashionMnist.DEFAULT_DIRECTORY)) {
            // The default location falls back to the launcher's download cache when the Debian package is absent.
            dir = FashionMnist.locate(dir, hadoop).directory();
        }
        String prefix = test ? "dataset.test-" : "dataset.train-";
        return new IdxExampleSource(join(dir, config.string(prefix + "images")),
                join(dir, config.string(prefix + "labels")), config.positive("dataset.num-classes"),
                classNames(config, false), hadoop);
    }

    private static ExampleSource folder(JobConfig config, String dir, boolean test, HadoopSettings hadoop) {
        DecodeSettings decode = decodeSettings(config);
        String trainDir = join(dir, config.string("dataset.train-dir"));
        String testDir = config.string("dataset.test-dir");
        if (!test) {
            Split split = testDir.isEmpty() ? split(config, false) : null;
            return new ImageFolderSource(trainDir, decode, nullIfEmpty(classNames(config, false)), split, hadoop);
        }
        // The validation tree is labelled like the training tree: same class list, same order.
        List<String> classes = nullIfEmpty(classNames(config, false));
        if (classes == null) {
            classes = ImageFolderSource.classFolders(trainDir, hadoop);
        }
        return testDir.isEmpty()
                ? new ImageFolderSource(trainDir, decode, classes, split(config, true), hadoop)
                : new ImageFolderSource(join(dir, testDir), decode, classes, null, hadoop);
    }

    private static ExampleSource segmentation(JobConfig config, String dir, boolean test, HadoopSettings hadoop) {
        DecodeSettings decode = decodeSettings(config);
        List<String> classes = classNames(config, true);
        String images = join(dir, config.string("dataset.images-dir"));
        String masks = join(dir, config.string("dataset.masks-dir"));
        String testImages = config.string("dataset.test-images-dir");
        String testMasks = config.string("dataset.test-masks-dir");
        if (testImages.isEmpty() != testMasks.isEmpty()) {
            throw new InputException("config keys dataset.test-images-dir and dataset.test-masks-dir must be set "
                    + "together (both empty = split off dataset.validation-fraction)");
        }
        if (!testImages.isEmpty() && test) {
            return new SegmentationFolderSource(join(dir, testImages), join(dir, testMasks), decode, classes, null,
                    hadoop);
        }
        return new SegmentationFolderSource(images, masks, decode, classes,
                testImages.isEmpty() ? split(config, test) : null, hadoop);
    }

    private static Split split(JobConfig config, boolean validation) {
        double fraction = config.number("dataset.validation-fraction");
        if (!(fraction > 0 && fraction < 1)) {
            throw new InputException("config key dataset.validation-fraction must be in (0, 1) when no separate "
                    + "test set is given, got " + fraction);
        }
        return new Split(fraction, config.longValue("dataset.split-seed"), validation);
    }

    /** Configured class names; for formats that need a count, numbered names when none are given. */
    private static List<String> classNames(JobConfig config, boolean numberedIfEmpty) {
        List<String> names = config.strings("dataset.class-names");
        if (!names.isEmpty() || !numberedIfEmpty) {
            return names;
        }
        return DataShape.numbered(config.positive("dataset.num-classes"));
    }

    private static List<String> nullIfEmpty(List<String> names) {
        return names.isEmpty() ? null : names;
    }

    private static ExampleSource limited(ExampleSource source, int limit) {
        return limit > 0 ? new FirstExamples(source, limit) : source;
    }

    static String join(String dir, String name) {
        if (name.contains("://") || name.startsWith("/")) {
            return name;
        }
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
}
