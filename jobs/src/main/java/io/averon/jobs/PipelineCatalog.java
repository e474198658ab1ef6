package io.averon.jobs;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.data.NormalisationSource;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;

/**
 * Turns a job's {@code augment}, {@code pipeline} and {@code train.sampling} keys into the settings workers build
 * minibatches with.
 */
public final class PipelineCatalog {
    private PipelineCatalog() {
    }

    public static PipelineSettings settings(JobConfig config, SourceIndex train) {
        DataShape shape = train.shape();
        AugmentSpec spec = augment(config, shape, train);
        boolean balanced = config.oneOf("train.sampling", "shuffle", "class-balanced").equals("class-balanced");
        if (balanced && shape.segmentation()) {
            throw new InputException("train.sampling = class-balanced needs image labels; "
                    + train.name() + " is a segmentation dataset");
        }
        return new PipelineSettings(spec, DatasetCatalog.badImagePolicy(config), config.positive("pipeline.threads"),
                config.positive("pipeline.prefetch"), balanced, config.within("train.label-smoothing", 0, 0.99));
    }

    /** The augment block as a spec; a value out of range stops the job naming the key. */
    static AugmentSpec augment(JobConfig config, DataShape shape, SourceIndex train) {
        try {
            AugmentSpec.Builder b = AugmentSpec.builder(shape.channels(), shape.height(), shape.width());
            String resize = config.oneOf("augment.resize", "exact", "shorter-side", "none");
            b.resize(switch (resize) {
                case "shorter-side" -> AugmentSpec.ResizeMode.SHORTER_SIDE;
                case "none" -> AugmentSpec.ResizeMode.NONE;
                default -> AugmentSpec.ResizeMode.EXACT;
            });
            int resizeTo = config.nonNegative("augment.resize-to");
            b.shorterSide(resizeTo > 0 ? resizeTo : Math.max(shape.height(), shape.width()));
            b.crop(config.oneOf("augment.crop", "center", "random").equals("random")
                    ? AugmentSpec.CropMode.RANDOM : AugmentSpec.CropMode.CENTER);
            b.hflip(config.number("augment.hflip"))
                    .vflip(config.number("augment.vflip"))
                    .rotation(config.number("augment.rotation"))
                    .scale(config.number("augment.scale-min"), config.number("augment.scale-max"))
                    .translate(config.number("augment.translate"))
                    .brightness(config.number("augment.brightness"))
                    .contrast(config.number("augment.contrast"))
                    .saturation(shape.channels() == 3 ? config.number("augment.saturation") : 0)
                    .hue(shape.channels() == 3 ? config.number("augment.hue") : 0)
                    .noise(config.number("augment.noise"))
                    .erasing(config.number("augment.erasing"));
            double[] mean = config.numbers("augment.mean");
            double[] std = config.numbers("augment.std");
            if (mean.length == 0 && std.length == 0 && train instanceof NormalisationSource stats) {
                mean = stats.channelMean();
                std = stats.channelStd();
            }
            if (mean.length != 0 || std.length != 0) {
                if (mean.length != shape.channels() || std.length != shape.channels()) {
                    throw new InputException("config keys augment.mean and augment.std need " + shape.channels()
                            + " value(s) each (one per channel), got " + mean.length + " and " + std.length);
                }
                b.normalize(mean, std);
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new InputException("config: " + e.getMessage());
        }
    }
}
