package io.averon.jobs.bench;

import io.averon.driver.HadoopSettings;
import io.averon.jobs.data.DecodeSettings;
import io.averon.jobs.data.ImageFolderSource;
import io.averon.jobs.data.PreparedManifest;
import io.averon.jobs.data.PreparedSource;
import io.averon.jobs.data.PreparedShard;
import io.averon.jobs.data.ShapesDataset;
import io.averon.jobs.data.ShardWriter;
import io.averon.jobs.models.LeNet;
import io.averon.jobs.models.ModelShape;
import io.averon.jobs.models.ModelZoo;
import io.averon.jobs.models.NetworkOptions;
import io.averon.worker.EpochPlan;
import io.averon.worker.ModelDefinition;
import io.averon.worker.ModelReplica;
import io.averon.worker.augment.AugmentSpec;
import io.averon.worker.augment.Preprocessor;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.BatchPipeline;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.PipelineSettings;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.PixelImage;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.linalg.learning.config.Adam;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The input pipeline against the networks it feeds, measured in one run on one core each: decode + augment rate of
 * JPEG folders (32x32 and 224x224) and of prepared shards, beside the rate at which a worker consumes images when
 * computing LeNet (28x28) and ResNet-18 (224x224) gradients; then a real prefetching pipeline in front of each
 * network, reporting the share of steps that found their batch ready. Usage: {@code PipelineBench <work-dir>}.
 */
public final class PipelineBench {
    private static final List<String> CLASSES = List.of("a", "b");

    private PipelineBench() {
    }

    public static void main(String[] args) throws Exception {
        File work = new File(args.length > 0 ? args[0] : "target/pipeline-bench");
        int small = Integer.parseInt(System.getProperty("bench.small", "3000"));
        int large = Integer.parseInt(System.getProperty("bench.large", "300"));
        System.out.printf("machine: %d cores, %s; one thread per measurement%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));

        String jpeg32 = tree(new File(work, "jpeg32"), 32, small);
        String jpeg224 = tree(new File(work, "jpeg224"), 224, large);

        AugmentSpec aug28 = AugmentSpec.builder(1, 28, 28).resize(AugmentSpec.ResizeMode.SHORTER_SIDE)
                .shorterSide(32).crop(AugmentSpec.CropMode.RANDOM).hflip(0.5).brightness(0.2).contrast(0.2).build();
        AugmentSpec aug224 = AugmentSpec.builder(3, 224, 224).resize(AugmentSpec.ResizeMode.SHORTER_SIDE)
                .shorterSide(256).crop(AugmentSpec.CropMode.RANDOM).hflip(0.5).colorJitter(0.2, 0.2, 0.2, 0.05)
                .normalize(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225}).build();

        // A single-JVM tool over local temporary trees: there is no run whose Hadoop settings would apply.
        SourceIndex raw32 = new ImageFolderSource(jpeg32, new DecodeSettings(1, 28, 28, 50_000_000,
                BadImagePolicy.SKIP), null, null, HadoopSettings.none()).index();
        SourceIndex raw224 = new ImageFolderSource(jpeg224, new DecodeSettings(3, 224, 224, 50_000_000,
                BadImagePolicy.SKIP), null, null, HadoopSettings.none()).index();
        SourceIndex shards28 = prepare(raw32, new File(work, "prepared28"), 28);
        SourceIndex shards224 = prepare(raw224, new File(work, "prepared224"), 256);

        double raw32Rate = decodeRate(raw32, aug28);
        double shard28Rate = decodeRate(shards28, aug28);
        double raw224Rate = decodeRate(raw224, aug224);
        double shard224Rate = decodeRate(shards224, aug224);

        ModelDefinition lenet = ModelDefinition.of(LeNet.build(new Adam(1e-3), 1, 0, 1, 28, 28, 2));
        ModelDefinition resnet = ModelDefinition.of(ModelZoo.build("resnet18", new ModelShape(3, 224, 224, 2),
                NetworkOptions.defaults()));
        double lenetRate = consumeRate(lenet, raw32, aug28, 64, 20);
        double resnetRate = consumeRate(resnet, raw224, aug224, 16, 3);

        System.out.println();
        System.out.printf("%-44s %10s %12s%n", "decode + augment, 1 core", "img/s", "÷ consumer");
        System.out.printf("%-44s %10.0f %11.1fx%n", "32x32 JPEG folder -> 28x28 (feeds LeNet)", raw32Rate,
                raw32Rate / lenetRate);
        System.out.printf("%-44s %10.0f %11.1fx%n", "prepared shards 28x28 -> 28x28", shard28Rate,
                shard28Rate / lenetRate);
        System.out.printf("%-44s %10.1f %11.1fx%n", "224x224 JPEG folder -> 224 (feeds ResNet-18)", raw224Rate,
                raw224Rate / resnetRate);
        System.out.printf("%-44s %10.1f %11.1fx%n", "prepared shards 256 -> 224", shard224Rate,
                shard224Rate / resnetRate);
        System.out.printf("%-44s %10s%n", "training consumption, 1 core", "img/s");
        System.out.printf("%-44s %10.0f%n", "LeNet 28x28x1 gradient, batch 64", lenetRate);
        System.out.printf("%-44s %10.1f%n", "ResNet-18 224x224x3 gradient, batch 16", resnetRate);

        System.out.println();
        System.out.println("prefetching pipeline (1 thread, 4 batches ahead) in front of the network:");
        ready("LeNet from the 32x32 JPEG folder", lenet, raw32, aug28, 64, 40);
        ready("LeNet from prepared shards", lenet, shards28, aug28, 64, 40);
        ready("ResNet-18 from the 224x224 JPEG folder", resnet, raw224, aug224, 16, 8);
    }

    /** A two-class folder tree of n RGB JPEGs (quality 90) of rendered shapes. */
    private static String tree(File dir, int size, int n) throws IOException {
        ShapesDataset shapes = new ShapesDataset(size, 7);
        for (int i = 0; i < n; i++) {
            File file = new File(dir, CLASSES.get(i % 2) + "/" + i + ".jpg");
            if (file.exists()) {
                continue;
            }
            file.getParentFile().mkdirs();
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_INDEXED,
                    new IndexColorModel(8, 256, new byte[256], new byte[256], new byte[256]));
            shapes.render(new SplittableRandom(i), image, mask);
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(0.9f);
            try (ImageOutputStream out = ImageIO.createImageOutputStream(file)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(image, null, null), param);
            } finally {
                writer.dispose();
            }
        }
        return dir.getAbsolutePath();
    }

    /**
     * Decodes and packs a folder into shards at {@code side x side}, as `averon prepare` does; a prepared dataset
     * trains at its stored size, so the 28x28 network gets 28x28 shards.
     */
    private static SourceIndex prepare(SourceIndex raw, File dir, int side) throws IOException {
        if (!new File(dir, PreparedManifest.FILE).exists()) {
            FileSystem fs = FileSystem.getLocal(new Configuration());
            Path target = new Path(dir.getAbsolutePath());
            DataShape shape = new DataShape(raw.shape().channels(), side, side, raw.shape().classNames(), false);
            Preprocessor sizing = new Preprocessor(AugmentSpec.builder(shape.channels(), side, side)
                    .training(false).build());
            float[] buffer = new float[shape.imageLength()];
            List<PreparedShard> shards;
            try (ExampleReader reader = raw.open(); ShardWriter writer = new ShardWriter(fs, target, 0, shape)) {
                for (int i = 0; i < raw.size(); i++) {
                    LabelledImage item = reader.read(i);
                    sizing.apply(item.image(), null, buffer, 0);
                    byte[] samples = new byte[buffer.length];
                    for (int j = 0; j < samples.length; j++) {
                        samples[j] = (byte) Math.round(buffer[j] * 255f);
                    }
                    writer.append(new PixelImage(shape.channels(), side, side, samples), item.label());
                }
                shards = List.of(writer.finish());
            } catch (io.averon.worker.image.BadImageException e) {
                throw new IOException(e.getMessage(), e);
            }
            PreparedManifest.commit(fs, target, shape, raw.name(), shards);
        }
        return new PreparedSource(dir.getAbsolutePath(), HadoopSettings.none()).index();
    }

    private static double decodeRate(SourceIndex index, AugmentSpec spec) throws Exception {
        Preprocessor preprocessor = new Preprocessor(spec);
        float[] out = new float[spec.exampleLength()];
        try (ExampleReader reader = index.open()) {
            for (int i = 0; i < Math.min(50, index.size()); i++) { // warm-up: JIT, caches
                preprocessor.apply(reader.read(i).image(), Preprocessor.exampleRng(1, 0, i), out, 0);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < index.size(); i++) {
                preprocessor.apply(reader.read(i).image(), Preprocessor.exampleRng(1, 1, i), out, 0);
            }
            return index.size() / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static double consumeRate(ModelDefinition model, SourceIndex data, AugmentSpec spec, int batch,
                                      int steps) throws Exception {
        ModelReplica replica = new ModelReplica(model);
        float[] gradient = new float[replica.parameterCount()];
        PipelineSettings settings = new PipelineSettings(spec, BadImagePolicy.SKIP, 1, 4, false, 0);
        int[] order = new EpochPlan(1, 0, 1, data.size()).partition(0);
        try (ExampleReader reader = data.open();
             BatchPipeline batches = new BatchPipeline(data, reader, settings, order, batch, 0, 1, 0)) {
            var first = batches.next().toDataSet();
            replica.gradient(first, gradient); // warm-up
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                replica.gradient(first, gradient);
            }
            return (double) steps * batch / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static void ready(String label, ModelDefinition model, SourceIndex data, AugmentSpec spec, int batch,
                              int steps) throws Exception {
        ModelReplica replica = new ModelReplica(model);
        float[] gradient = new float[replica.parameterCount()];
        PipelineSettings settings = new PipelineSettings(spec, BadImagePolicy.SKIP, 1, 4, false, 0);
        int[] order = new EpochPlan(1, 0, 1, data.size()).partition(0);
        int[] slice = java.util.Arrays.copyOf(order, Math.min(order.length, steps * batch));
        try (ExampleReader reader = data.open();
             BatchPipeline batches = new BatchPipeline(data, reader, settings, slice, batch, 0, 1, 0)) {
            long t0 = System.nanoTime();
            int n = 0;
            while (batches.hasNext()) {
                replica.gradient(batches.next().toDataSet(), gradient);
                n++;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("  %-40s %3d steps, %5.1f%% found their batch ready, %.1f img/s%n", label, n,
                    100.0 * batches.readyWhenTaken() / Math.max(1, batches.taken()), n * batch / seconds);
        }
    }
}
