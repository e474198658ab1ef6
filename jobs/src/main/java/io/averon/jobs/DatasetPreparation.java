package io.averon.jobs;

import io.averon.driver.HadoopSettings;
import io.averon.driver.config.JobConfig;
import io.averon.jobs.data.PreparedManifest;
import io.averon.jobs.data.PreparedShard;
import io.averon.jobs.data.ShardWriter;
import io.averon.worker.InputException;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.augment.Preprocessor;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.BadImageException;
import io.averon.worker.image.PixelImage;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * {@code averon prepare}: decodes a job's training and test sets once, brings every image to the job's input size
 * (its resize and center crop, no random augmentation), and packs them into fixed-size shard records with a manifest
 * of classes, counts and per-channel mean/std — {@code <output>/train} and {@code <output>/test}. Executors decode
 * and write the shards in parallel; the driver only plans and commits the manifests. Training from the result
 * (dataset.format = prepared) skips decoding on every later epoch.
 */
public final class DatasetPreparation {
    private final JavaSparkContext sc;
    private final JobConfig config;
    private final PrintStream out;

    public DatasetPreparation(JavaSparkContext sc, JobConfig config, PrintStream out) {
        this.sc = sc;
        this.config = config;
        this.out = out;
    }

    public void prepare(String outputUri) throws IOException {
        if (config.string("dataset.format").equals("prepared")) {
            throw new InputException("dataset.format is already \"prepared\": prepare reads a raw dataset "
                    + "(idx, folder, cifar10, cifar100 or segmentation)");
        }
        Path output = new Path(outputUri);
        FileSystem fs = output.getFileSystem(sc.hadoopConfiguration());
        if (fs.exists(new Path(output, "train/" + PreparedManifest.FILE))) {
            throw new InputException(outputUri + " already holds a prepared dataset; choose a new directory or "
                    + "delete it first");
        }
        HadoopSettings hadoop = HadoopSettings.of(sc.hadoopConfiguration());
        SourceIndex train = DatasetCatalog.train(config, hadoop).index();
        SourceIndex test = DatasetCatalog.test(config, hadoop).index();
        part(train, new Path(output, "train"), fs, "training set", hadoop);
        part(test, new Path(output, "test"), fs, "test set", hadoop);
        out.printf("prepared %s: train with dataset.format = prepared, dataset.dir = %s%n", outputUri, outputUri);
    }

    private void part(SourceIndex index, Path dir, FileSystem fs, String role, HadoopSettings hadoop)
            throws IOException {
        DataShape shape = index.shape();
        long t0 = System.nanoTime();
        int recordBytes = PreparedManifest.recordBytes(shape);
        int perShard = (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                config.bytes("prepare.shard-size") / recordBytes));
        int shards = (index.size() + perShard - 1) / perShard;
        fs.mkdirs(dir);
        AugmentSpec sizing = PipelineCatalog.augment(config, shape, index).toBuilder()
                .normalize(new double[shape.channels()], ones(shape.channels()))
                .training(false)
                .build();
        sc.setJobDescription("averon prepare " + role + " (" + shards + " shards)");
        List<PreparedShard> written = sc.parallelize(IntStream.range(0, shards).boxed().toList(),
                        Math.max(1, Math.min(shards, sc.defaultParallelism() * 4)))
                .map(new WriteShard(index, sizing, dir.toString(), perShard,
                        DatasetCatalog.badImagePolicy(config), hadoop))
                .collect();
        PreparedManifest manifest = PreparedManifest.commit(fs, dir, shape, index.name(), written);
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf("%s: %d images from %s into %d shard(s) at %s in %.1f s (%.0f img/s), %dx%dx%d, skipped %d bad "
                        + "image(s), channel mean %s std %s%n", role, manifest.count(), index.name(), shards, dir,
                seconds, manifest.count() / seconds, shape.channels(), shape.height(), shape.width(),
                manifest.badImagesSkipped() + index.skippedAtPlanning(), manifest.mean(), manifest.std());
    }

    private static double[] ones(int n) {
        double[] v = new double[n];
        Arrays.fill(v, 1);
        return v;
    }

    /** Decodes and sizes one shard's examples on an executor and writes the shard. */
    private static final class WriteShard implements Function<Integer, PreparedShard> {
        private static final long serialVersionUID = 1L;
        private final SourceIndex index;
        private final AugmentSpec sizing;
        private final String dir;
        private final int perShard;
        private final BadImagePolicy policy;
        private final HadoopSettings hadoop;

        WriteShard(SourceIndex index, AugmentSpec sizing, String dir, int perShard, BadImagePolicy policy,
                   HadoopSettings hadoop) {
            this.index = index;
            this.sizing = sizing;
            this.dir = dir;
            this.perShard = perShard;
            this.policy = policy;
            this.hadoop = hadoop;
        }

        @Override
        public PreparedShard call(Integer shard) throws IOException {
            DataShape shape = index.shape();
            int from = shard * perShard;
            int to = Math.min(index.size(), from + perShard);
            Path target = new Path(dir);
            FileSystem fs = target.getFileSystem(hadoop.toConfiguration());
            Preprocessor preprocessor = new Preprocessor(sizing);
            int pixels = shape.height() * shape.width();
            float[] image = new float[shape.imageLength()];
            float[] mask = new float[pixels];
            try (ExampleReader reader = index.open(); ShardWriter writer = new ShardWriter(fs, target, shard, shape)) {
                for (int i = from; i < to; i++) {
                    LabelledImage item;
                    try {
                        item = reader.read(i);
                    } catch (BadImageException e) {
                        if (policy == BadImagePolicy.FAIL) {
                            throw new InputException("bad image " + e.getMessage() + " (dataset.bad-images = fail)");
                        }
                        writer.skipped(e.getMessage());
                        continue;
                    }
                    if (item.mask() != null) {
                        preprocessor.apply(item.image(), item.mask(), null, image, 0, mask, 0);
                        writer.append(bytes(image, shape.channels(), shape), bytes(mask, 1, shape, true));
                    } else {
                        preprocessor.apply(item.image(), null, image, 0);
                        writer.append(bytes(image, shape.channels(), shape), item.label());
                    }
                }
                return writer.finish();
            }
        }

        private static PixelImage bytes(float[] values, int channels, DataShape shape) {
            return bytes(values, channels, shape, false);
        }

        private static PixelImage bytes(float[] values, int channels, DataShape shape, boolean classIds) {
            byte[] samples = new byte[channels * shape.height() * shape.width()];
            for (int i = 0; i < samples.length; i++) {
                float v = classIds ? values[i] : values[i] * 255f;
                samples[i] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
            return new PixelImage(channels, shape.height(), shape.width(), samples);
        }
    }
}
