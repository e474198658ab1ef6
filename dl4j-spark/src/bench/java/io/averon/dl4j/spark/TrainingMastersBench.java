package io.averon.dl4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * deploy/bench/training-masters.sh: the same DL4J program (Fashion-MNIST as a parallelized List of DataSets of
 * batchPerWorker examples, the LeNet of {@link AveronTrainingMasterIT}, SparkDl4jMultiLayer.fit once per epoch) with
 * AveronTrainingMaster, DL4J's ParameterAveragingTrainingMaster and DL4J's SharedTrainingMaster, back to back on one
 * standalone cluster of two one-core executors, beside a single-JVM MultiLayerNetwork.fit with the global batch
 * (2 x batchPerWorker) in this JVM. Each master runs as an application of its own (fresh executors); only the fit
 * calls are timed, accuracy is that of the driver's network on the test set afterwards.
 * Arguments: examples, test examples, epochs, batch per worker, minutes allowed per master, and optionally the
 * masters to run (comma-separated simple names; default all three).
 */
public final class TrainingMastersBench {
    private static final int WORKERS = 2;
    private static final String UNBLOCK_TIMEOUT = "aeron.publication.unblock.timeout";

    private TrainingMastersBench() {
    }

    public static void main(String[] args) throws Exception {
        int examples = Integer.parseInt(args[0]);
        int testExamples = Integer.parseInt(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int batchPerWorker = Integer.parseInt(args[3]);
        int minutes = Integer.parseInt(args[4]);
        List<DataSet> train = FashionMnistFiles.train(examples, batchPerWorker);
        List<DataSet> test = FashionMnistFiles.test(testExamples, 100);
        String netName = System.getenv().getOrDefault("NET", "lenet-small");
        MultiLayerConfiguration conf = net(netName);
        System.out.printf("net %s: %,d parameters%n", netName, parameters(conf));
        System.out.printf("%,d training examples (DataSets of %d), %,d test examples, %d epoch(s), batch %d per "
                + "worker, %d workers; OMP_NUM_THREADS=%s in this JVM%n", examples, batchPerWorker, testExamples,
                epochs, batchPerWorker, WORKERS, System.getenv("OMP_NUM_THREADS"));

        Map<String, Result> results = new LinkedHashMap<>();
        results.put("single JVM", singleJvm(conf, train, test, epochs, WORKERS * batchPerWorker));
        print("single JVM", results.get("single JVM"), results.get("single JVM"));

        Map<String, Supplier<TrainingMaster<?, ?>>> masters = new LinkedHashMap<>();
        masters.put("AveronTrainingMaster", () -> new AveronTrainingMaster.Builder(batchPerWorker).workers(WORKERS)
                .build());
        // As DL4J's Spark examples configure it, but with the Direct approach: the default (Export) refuses a
        // non-local master whose default Hadoop file system is the local one, as on this machine.
        masters.put("ParameterAveragingTrainingMaster", () -> new ParameterAveragingTrainingMaster.Builder(
                batchPerWorker).batchSizePerWorker(batchPerWorker).averagingFrequency(5)
                .workerPrefetchNumBatches(2).rddTrainingApproach(RDDTrainingApproach.Direct).build());
        // As DL4J's Spark examples configure it, with a port of its own for the driver and each executor, and the
        // Direct approach for the reason above.
        masters.put("SharedTrainingMaster", () -> new SharedTrainingMaster.Builder(VoidConfiguration.builder()
                .controllerAddress("127.0.0.1").portSupplier(new PerJvmUdpPort()).build(), batchPerWorker)
                .batchSizePerWorker(batchPerWorker).workersPerNode(1).rngSeed(12345)
                .thresholdAlgorithm(new AdaptiveThresholdAlgorithm(1e-3)).collectTrainingStats(false)
                .rddTrainingApproach(RDDTrainingApproach.Direct).build());

        if (args.length > 5) {
            masters.keySet().retainAll(List.of(args[5].split(",")));
        }
        Path work = Files.createTempDirectory("training-masters");
        try (LocalSparkCluster cluster = new LocalSparkCluster(work, WORKERS, "8g")) {
            // A bench stopped with SIGTERM (the script's caller, a timeout) must not leave the cluster running.
            Thread stop = new Thread(() -> {
                try {
                    cluster.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(stop);
            for (Map.Entry<String, Supplier<TrainingMaster<?, ?>>> master : masters.entrySet()) {
                Result result = onCluster(cluster, master.getKey(), master.getValue(), conf, train, test, epochs,
                        minutes);
                results.put(master.getKey(), result);
                print(master.getKey(), result, results.get("single JVM"));
            }
            Runtime.getRuntime().removeShutdownHook(stop);
        }
        System.out.println();
        System.out.println("| training | images/s | x single JVM | test accuracy | vs single JVM (points) |");
        System.out.println("|---|---:|---:|---:|---:|");
        Result base = results.get("single JVM");
        results.forEach((name, r) -> System.out.println(r.failure != null
                ? String.format("| %s | - | - | - | %s |", name, r.failure)
                : String.format("| %s | %.0f | %.2f | %.4f | %+.2f |", name, r.imagesPerSecond(), r.imagesPerSecond()
                / base.imagesPerSecond(), r.accuracy, 100 * (r.accuracy - base.accuracy))));
        Result none = new Result(0, 0, 0, "not run");
        Result averon = results.getOrDefault("AveronTrainingMaster", none);
        Result averaging = results.getOrDefault("ParameterAveragingTrainingMaster", none);
        Result shared = results.getOrDefault("SharedTrainingMaster", none);
        if (averon.failure == null && averaging.failure == null) {
            System.out.printf("target >= 2.5x ParameterAveraging's throughput: %.2fx, %s%n", averon.imagesPerSecond()
                    / averaging.imagesPerSecond(), averon.imagesPerSecond() >= 2.5 * averaging.imagesPerSecond()
                    ? "met" : "NOT met");
        }
        if (averon.failure == null && shared.failure == null) {
            System.out.printf("target >= Shared's throughput: %.2fx, %s; accuracy >= Shared's + 0.5 point: %+.2f "
                    + "points, %s%n", averon.imagesPerSecond() / shared.imagesPerSecond(),
                    averon.imagesPerSecond() >= shared.imagesPerSecond() ? "met" : "NOT met",
                    100 * (averon.accuracy - shared.accuracy),
                    averon.accuracy >= shared.accuracy + 0.005 ? "met" : "NOT met");
        }
        deleteTree(work);
        // DL4J's parameter-server threads are not daemons and outlive their SparkContext.
        System.exit(0);
    }

    /**
     * The networks compared: "lenet-small" (AveronTrainingMasterIT's, 20,522 parameters: all communication),
     * "lenet" (the classic LeNet of Averon's main job: convolutions of 20 and 50 channels, dense 500; 431,080) and
     * "mlp-11m" (784-3000-3000-10 with ReLU, 11,388,010 parameters: the net of at least 10M parameters).
     */
    static MultiLayerConfiguration net(String name) {
        switch (name) {
            case "lenet-small":
                return AveronTrainingMasterIT.lenet();
            case "lenet":
                return new NeuralNetConfiguration.Builder().seed(12345).updater(new Adam(1e-3))
                        .weightInit(WeightInit.XAVIER).list()
                        .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.IDENTITY).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                                .stride(2, 2).build())
                        .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).activation(Activation.IDENTITY).build())
                        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2)
                                .stride(2, 2).build())
                        .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                                .activation(Activation.SOFTMAX).build())
                        .setInputType(InputType.convolutionalFlat(28, 28, 1))
                        .build();
            case "mlp-11m":
                return new NeuralNetConfiguration.Builder().seed(12345).updater(new Adam(1e-4))
                        .weightInit(WeightInit.XAVIER).list()
                        .layer(new DenseLayer.Builder().nOut(3000).activation(Activation.RELU).build())
                        .layer(new DenseLayer.Builder().nOut(3000).activation(Activation.RELU).build())
                        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                                .activation(Activation.SOFTMAX).build())
                        .setInputType(InputType.feedForward(784))
                        .build();
            default:
                throw new IllegalArgumentException("NET=" + name + ": expected lenet-small, lenet or mlp-11m");
        }
    }

    private static long parameters(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
        net.init();
        return net.numParams();
    }

    private static Result singleJvm(MultiLayerConfiguration conf, List<DataSet> train, List<DataSet> test, int epochs,
                                    int globalBatch) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
        net.init();
        List<DataSet> batches = DataSet.merge(train).batchBy(globalBatch);
        long t0 = System.nanoTime();
        for (int epoch = 0; epoch < epochs; epoch++) {
            net.fit(new ListDataSetIterator<>(batches, 1));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(train.stream().mapToLong(DataSet::numExamples).sum() * epochs, seconds,
                net.evaluate(new ListDataSetIterator<>(test, 1)).accuracy(), null);
    }

    private static Result onCluster(LocalSparkCluster cluster, String name, Supplier<TrainingMaster<?, ?>> master,
                                    MultiLayerConfiguration conf, List<DataSet> train, List<DataSet> test, int epochs,
                                    int minutes) throws Exception {
        long trained = train.stream().mapToLong(DataSet::numExamples).sum() * epochs;
        ExecutorService fitThread = Executors.newSingleThreadExecutor();
        SparkConf sparkConf = cluster.sparkConf(name, WORKERS, "3g");
        if (name.equals("SharedTrainingMaster")) {
            // nd4j-aeron (built on Aeron 1.32) forces aeron.client.liveness.timeout to 30 s; the project's Aeron
            // (1.51) refuses to start a media driver whose publication unblock timeout (15 s by default) is not
            // above it. A longer unblock timeout, in the driver and in the executors, is all it needs.
            System.setProperty(UNBLOCK_TIMEOUT, "60000000000");
            sparkConf.set("spark.executor.extraJavaOptions", sparkConf.get("spark.executor.extraJavaOptions")
                    + " -D" + UNBLOCK_TIMEOUT + "=60000000000");
        }
        try (JavaSparkContext sc = new JavaSparkContext(sparkConf)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (sc.sc().getExecutorMemoryStatus().size() < WORKERS + 1 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            JavaRDD<DataSet> rdd = sc.parallelize(train);
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf.clone(), master.get());
            Future<Double> fit = fitThread.submit(() -> {
                long t0 = System.nanoTime();
                for (int epoch = 0; epoch < epochs; epoch++) {
                    sparkNet.fit(rdd);
                }
                return (System.nanoTime() - t0) / 1e9;
            });
            double seconds;
            try {
                seconds = fit.get(minutes, TimeUnit.MINUTES);
            } catch (TimeoutException e) {
                sc.cancelAllJobs();
                fit.cancel(true);
                return new Result(trained, 0, 0, "did not finish in " + minutes + " min");
            } catch (java.util.concurrent.ExecutionException e) {
                e.getCause().printStackTrace();
                return new Result(trained, 0, 0, "failed: " + e.getCause());
            }
            double accuracy = sparkNet.getNetwork().evaluate(new ListDataSetIterator<>(test, 1)).accuracy();
            // ParameterAveraging's exported DataSet files, Averon's persisted minibatches.
            sparkNet.getTrainingMaster().deleteTempFiles(sc);
            return new Result(trained, seconds, accuracy, null);
        } finally {
            fitThread.shutdownNow();
        }
    }

    private static void print(String name, Result r, Result base) {
        if (r.failure != null) {
            System.out.printf("%-34s %s%n", name, r.failure);
        } else {
            System.out.printf("%-34s %,d images in %.1f s: %.0f images/s (%.2fx single JVM), test accuracy %.4f%n",
                    name, r.images, r.seconds, r.imagesPerSecond(), r.imagesPerSecond() / base.imagesPerSecond(),
                    r.accuracy);
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** What one way of training ended with; {@code failure} says why it has no figures. */
    private record Result(long images, double seconds, double accuracy, String failure) {
        double imagesPerSecond() {
            return images / seconds;
        }
    }
}
