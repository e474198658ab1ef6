package io.averon.dl4j.spark;

import io.averon.driver.ServerNetwork;
import io.averon.driver.checkpoint.Checkpoint;
import io.averon.driver.config.JobConfig;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.api.TrainingResult;
import org.deeplearning4j.spark.api.TrainingWorker;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.core.type.TypeReference;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A DL4J Spark {@link TrainingMaster} that trains through Averon's synchronous parameter server: existing
 * {@code SparkDl4jMultiLayer} / {@code SparkComputationGraph} code switches by passing
 * {@code new AveronTrainingMaster.Builder(batchPerWorker).workers(n).build()}. A fit repartitions the RDD once into
 * one partition per worker, cut into one minibatch per worker and step and persisted on the executors (reused while
 * the same RDD is fitted again); one barrier stage then has every worker take every step, and the trained parameters
 * and updater state end up in the network object the caller holds. Each step applies the mean gradient of all
 * workers' minibatches with the network's own updater, so a fit equals a single-JVM fit with batch workers x
 * batchPerWorker over the RDD in its order. What DL4J's masters do on their workers (training hooks, listeners with a
 * stats router, per-worker statistics) is refused with an exception naming it.
 */
public final class AveronTrainingMaster
        implements TrainingMaster<TrainingResult, TrainingWorker<TrainingResult>>, Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AveronTrainingMaster.class);
    private static final String[] STORAGE_LEVELS = {"MEMORY_AND_DISK_SER", "MEMORY_AND_DISK_SER_2", "MEMORY_AND_DISK",
            "MEMORY_AND_DISK_2", "MEMORY_ONLY_SER", "MEMORY_ONLY_SER_2", "MEMORY_ONLY", "MEMORY_ONLY_2", "DISK_ONLY",
            "DISK_ONLY_2", "DISK_ONLY_3", "OFF_HEAP"};

    private final int batchSizePerWorker;
    private final int workers;
    private final String storageLevel;
    private final Map<String, String> settings;
    private transient List<TrainingListener> listeners = List.of();
    private transient StepBatches prepared;
    private transient FitMetrics metrics;
    /** Whether checkpoint.dir was looked at (by resume or the first fit): a new run must not mix with an old one. */
    private transient boolean checkpointsChecked;
    /** From resume: steps of the interrupted fit its checkpoint had taken, and that fit's workers. */
    private transient long resumeSkip;
    private transient int resumeWorkers;
    private transient String lastCheckpoint;

    private AveronTrainingMaster(Builder builder) {
        this.batchSizePerWorker = builder.batchSizePerWorker;
        this.workers = builder.workers;
        this.storageLevel = builder.storageLevel;
        this.settings = new LinkedHashMap<>(builder.settings);
        validate(config());
    }

    /** Averon's own checks of the settings run when the master is built, not at the first fit. */
    private static void validate(JobConfig config) {
        ServerNetwork.of(config, new SparkConf(false));
        for (String key : new String[] {"ps.step-deadline", "ps.connect-timeout", "ps.response-timeout",
                "train.wait-for-slots"}) {
            config.millis(key);
        }
        config.bytes("ps.term-length");
        config.bytes("ps.chunk-bytes");
        config.positive("ps.evict-after-missed-steps");
        config.positive("ps.max-batch-size");
        config.positive("ps.max-non-finite-steps");
        FitCheckpoints.validate(config);
    }

    /** Examples each worker trains per step. */
    public int batchSizePerWorker() {
        return batchSizePerWorker;
    }

    /** Workers of a fit; 0 means the Spark context's default parallelism. */
    public int workers() {
        return workers;
    }

    @Override
    public void executeTraining(SparkDl4jMultiLayer network, JavaRDD<DataSet> trainingData) {
        network.setScore(fit(network.getSparkContext(), network.getNetwork(), trainingData, trainingData.id()));
    }

    @Override
    public void executeTraining(SparkComputationGraph graph, JavaRDD<DataSet> trainingData) {
        requireSingleInputOutput(graph, "DataSet");
        graph.setScore(fit(graph.getSparkContext(), graph.getNetwork(), trainingData, trainingData.id()));
    }

    @Override
    public void executeTrainingMDS(SparkComputationGraph graph, JavaRDD<MultiDataSet> trainingData) {
        requireSingleInputOutput(graph, "MultiDataSet");
        graph.setScore(fit(graph.getSparkContext(), graph.getNetwork(),
                trainingData.map(AveronTrainingMaster::asDataSet), trainingData.id()));
    }

    @Override
    public void executeTrainingPaths(SparkDl4jMultiLayer network, SparkComputationGraph graph,
                                     JavaRDD<String> trainingDataPaths, DataSetLoader dsLoader,
                                     MultiDataSetLoader mdsLoader) {
        JavaRDD<DataSet> data;
        if (dsLoader != null) {
            data = trainingDataPaths.map(path -> dsLoader.load(new PathSource(path)));
        } else if (mdsLoader != null && graph != null) {
            data = trainingDataPaths.map(path -> asDataSet(mdsLoader.load(new PathSource(path))));
        } else {
            throw new IllegalArgumentException("AveronTrainingMaster: training from paths needs a DataSetLoader"
                    + (graph != null ? " or a MultiDataSetLoader" : ""));
        }
        if (network != null) {
            network.setScore(fit(network.getSparkContext(), network.getNetwork(), data, trainingDataPaths.id()));
        } else {
            requireSingleInputOutput(graph, dsLoader != null ? "DataSet" : "MultiDataSet");
            graph.setScore(fit(graph.getSparkContext(), graph.getNetwork(), data, trainingDataPaths.id()));
        }
    }

    /** @return the fit's mean minibatch loss, the score SparkDl4jMultiLayer / SparkComputationGraph report */
    private double fit(JavaSparkContext sc, Model model, JavaRDD<DataSet> data, int sourceId) {
        int n = workers > 0 ? workers : sc.defaultParallelism();
        JobConfig config = config();
        FitCheckpoints checkpoints = FitCheckpoints.of(config, sc.hadoopConfiguration()).orElse(null);
        if (checkpoints != null && !checkpointsChecked) {
            List<String> earlier = checkpoints.list();
            if (!earlier.isEmpty()) {
                throw new IllegalStateException("checkpoint.dir " + checkpoints.directory() + " already holds "
                        + earlier.size() + " checkpoint(s) of an earlier run (newest " + earlier.get(earlier.size() - 1)
                        + "): call resume(network) before the first fit to continue that run, or set another "
                        + "checkpoint.dir; nothing was trained");
            }
            checkpointsChecked = true;
        }
        if (prepared == null || !prepared.preparedFrom(sc.sc(), sourceId, n, batchSizePerWorker)) {
            deleteTempFiles(sc);
            prepared = StepBatches.prepare(data, sourceId, n, batchSizePerWorker, StorageLevel.fromString(storageLevel));
            if (prepared.layout().dropped() > 0) {
                LOG.warn("AveronTrainingMaster: the last {} example(s) of the RDD are not trained: fewer than one per "
                        + "worker ({}) were left after {} full step(s) of {} x {}", prepared.layout().dropped(), n,
                        prepared.layout().steps(), n, batchSizePerWorker);
            }
        }
        long skip = resumedSteps(n, prepared.layout());
        if (metrics == null) {
            metrics = new FitMetrics();
        }
        FitRound.FitEnd end = new FitRound(sc, config, System.out, metrics).train(model, prepared, listeners,
                new FitRound.FitStart(skip, checkpoints, lastCheckpoint, toJson()));
        resumeSkip = 0;
        if (end.checkpoint() != null) {
            lastCheckpoint = end.checkpoint();
        }
        return end.loss();
    }

    /** Steps of this fit that the checkpoint resumed from had already taken; 0 when it ended a fit. */
    private long resumedSteps(int n, ExampleLayout layout) {
        if (resumeSkip == 0) {
            return 0;
        }
        if (resumeWorkers != n) {
            LOG.warn("AveronTrainingMaster: the checkpoint resumed from was taken {} step(s) into a fit on {} workers; "
                    + "this fit has {}, so its minibatches differ and it starts from its first step (the run is no "
                    + "longer identical to an uninterrupted one)", resumeSkip, resumeWorkers, n);
            return 0;
        }
        if (resumeSkip >= layout.steps()) {
            throw new IllegalArgumentException("the checkpoint resumed from was taken " + resumeSkip + " step(s) into a "
                    + "fit, but this RDD makes " + layout.steps() + " step(s) of " + n + " x " + batchSizePerWorker
                    + ": it is not the RDD the interrupted fit trained on");
        }
        return resumeSkip;
    }

    /**
     * Continues a run whose program stopped (a lost driver, a killed job) from the newest valid checkpoint in
     * {@code checkpoint.dir}: the network gets its parameters, updater state, iteration and epoch counts. A
     * checkpoint taken within a fit makes the next fit continue that fit at its next step, so the program must fit
     * the same RDD (same examples, same order) on as many workers; resumed so, the run ends bit for bit where the
     * uninterrupted one would have. Call it before the first fit, then fit while
     * {@code getNetwork().getEpochCount()} is below the epochs wanted.
     *
     * @return whether a checkpoint was found (false: the network is left as it is and training starts afresh)
     * @throws IllegalStateException    without {@code checkpoint.dir}
     * @throws IllegalArgumentException when the checkpoint is of another network (its layers or parameter count)
     */
    public boolean resume(SparkDl4jMultiLayer network) {
        requireCheckpointDirectory();
        return resume(network.getSparkContext(), network.getNetwork());
    }

    /** {@link #resume(SparkDl4jMultiLayer)} for a {@code SparkComputationGraph}. */
    public boolean resume(SparkComputationGraph graph) {
        requireCheckpointDirectory();
        return resume(graph.getSparkContext(), graph.getNetwork());
    }

    private void requireCheckpointDirectory() {
        if (config().string("checkpoint.dir").isEmpty()) {
            throw new IllegalStateException("AveronTrainingMaster.resume needs checkpoint.dir: build the master with "
                    + "checkpoints(uri) (the directory the interrupted run wrote to)");
        }
    }

    private boolean resume(JavaSparkContext sc, Model model) {
        FitCheckpoints checkpoints = FitCheckpoints.of(config(), sc.hadoopConfiguration()).orElseThrow();
        checkpointsChecked = true;
        Optional<Checkpoint> found = checkpoints.newestValid();
        if (found.isEmpty()) {
            LOG.info("no checkpoint in {}: training starts from the network as it is",
                    checkpoints.directory());
            return false;
        }
        Checkpoint checkpoint = found.get();
        CheckpointRestore.into(model, checkpoint);
        resumeSkip = checkpoint.state().stepInEpoch();
        resumeWorkers = checkpoint.state().workers();
        lastCheckpoint = checkpoint.location();
        LOG.info("resumed from {}: {} fit(s) completed, step {}{}", checkpoint.location(),
                checkpoint.state().epoch(), checkpoint.state().step(), resumeSkip == 0 ? ""
                        : " (" + resumeSkip + " step(s) into fit " + (checkpoint.state().epoch() + 1)
                        + ", which the next fit continues)");
        return true;
    }

    /** Averon's defaults with this master's settings: what the parameter server and its workers are built from. */
    private JobConfig config() {
        List<String> overrides = new ArrayList<>();
        settings.forEach((key, value) -> overrides.add(key + "=" + value));
        return JobConfig.load("", "AveronTrainingMaster settings", overrides);
    }

    private static void requireSingleInputOutput(SparkComputationGraph graph, String what) {
        ComputationGraphConfiguration conf = graph.getNetwork().getConfiguration();
        if (conf.getNetworkInputs().size() != 1 || conf.getNetworkOutputs().size() != 1) {
            throw new UnsupportedOperationException("AveronTrainingMaster trains ComputationGraphs with one input and "
                    + "one output; this graph has " + conf.getNetworkInputs().size() + " input(s) and "
                    + conf.getNetworkOutputs().size() + " output(s) (" + what + " RDD)");
        }
    }

    private static DataSet asDataSet(MultiDataSet mds) {
        if (mds.numFeatureArrays() != 1 || mds.numLabelsArrays() != 1) {
            throw new UnsupportedOperationException("AveronTrainingMaster trains MultiDataSets with one features and "
                    + "one labels array; this one has " + mds.numFeatureArrays() + " and " + mds.numLabelsArrays());
        }
        if (mds.getFeaturesMaskArrays() != null || mds.getLabelsMaskArrays() != null) {
            throw new UnsupportedOperationException("AveronTrainingMaster does not support MultiDataSets with feature "
                    + "or label masks (variable-length sequences)");
        }
        return new DataSet(mds.getFeatures(0), mds.getLabels(0));
    }

    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkDl4jMultiLayer network) {
        throw new UnsupportedOperationException("AveronTrainingMaster has no DL4J TrainingWorker: its workers run "
                + "Averon's step loop against the parameter server inside fit");
    }

    @Override
    public TrainingWorker<TrainingResult> getWorkerInstance(SparkComputationGraph graph) {
        throw new UnsupportedOperationException("AveronTrainingMaster has no DL4J TrainingWorker: its workers run "
                + "Averon's step loop against the parameter server inside fit");
    }

    @Override
    public void addHook(TrainingHook trainingHook) {
        throw new UnsupportedOperationException("AveronTrainingMaster does not support TrainingHooks: its workers run "
                + "Averon's step loop, which calls no per-minibatch hooks");
    }

    @Override
    public void removeHook(TrainingHook trainingHook) {
        // None can have been added.
    }

    @Override
    public void setCollectTrainingStats(boolean collectTrainingStats) {
        if (collectTrainingStats) {
            throw new UnsupportedOperationException("AveronTrainingMaster does not collect DL4J Spark training stats; "
                    + "the parameter server's step and worker timings are in Averon's log");
        }
    }

    @Override
    public boolean getIsCollectTrainingStats() {
        return false;
    }

    @Override
    public SparkTrainingStats getTrainingStats() {
        return null;
    }

    /**
     * Listeners run on the driver, on the caller's network: onEpochStart before each fit, onEpochEnd after it with
     * the trained parameters. No per-iteration callback runs, since no copy of the network exists per step there.
     */
    @Override
    public void setListeners(Collection<TrainingListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
    }

    @Override
    public void setListeners(StatsStorageRouter router, Collection<TrainingListener> listeners) {
        if (router != null) {
            throw new UnsupportedOperationException("AveronTrainingMaster does not support a StatsStorageRouter (DL4J "
                    + "UI statistics from the workers)");
        }
        setListeners(listeners);
    }

    /** Frees the minibatches persisted on the executors for the last RDD fitted; it writes no files. */
    @Override
    public boolean deleteTempFiles(JavaSparkContext sc) {
        if (prepared != null) {
            prepared.release();
            prepared = null;
        }
        return true;
    }

    @Override
    public boolean deleteTempFiles(SparkContext sc) {
        return deleteTempFiles(new JavaSparkContext(sc));
    }

    @Override
    public String toJson() {
        return write(NeuralNetConfiguration.mapper());
    }

    @Override
    public String toYaml() {
        return write(NeuralNetConfiguration.mapperYaml());
    }

    /** The master {@link #toJson()} wrote. */
    public static AveronTrainingMaster fromJson(String json) {
        return read(NeuralNetConfiguration.mapper(), json);
    }

    /** The master {@link #toYaml()} wrote. */
    public static AveronTrainingMaster fromYaml(String yaml) {
        return read(NeuralNetConfiguration.mapperYaml(), yaml);
    }

    private String write(ObjectMapper mapper) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("batchSizePerWorker", batchSizePerWorker);
        fields.put("workers", workers);
        fields.put("storageLevel", storageLevel);
        fields.put("settings", settings);
        try {
            return mapper.writeValueAsString(Map.of("AveronTrainingMaster", fields));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write AveronTrainingMaster's settings", e);
        }
    }

    @SuppressWarnings("unchecked")
    private static AveronTrainingMaster read(ObjectMapper mapper, String text) {
        Map<String, Object> fields;
        try {
            Map<String, Object> root = mapper.readValue(text, new TypeReference<Map<String, Object>>() { });
            fields = (Map<String, Object>) root.get("AveronTrainingMaster");
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalArgumentException("not an AveronTrainingMaster's settings: " + e.getMessage(), e);
        }
        if (fields == null) {
            throw new IllegalArgumentException("not an AveronTrainingMaster's settings: no AveronTrainingMaster key");
        }
        Builder builder = new Builder(((Number) fields.get("batchSizePerWorker")).intValue())
                .workers(((Number) fields.getOrDefault("workers", 0)).intValue())
                .storageLevel(StorageLevel.fromString((String) fields.getOrDefault("storageLevel",
                        "MEMORY_AND_DISK_SER")));
        Map<String, Object> settings = (Map<String, Object>) fields.getOrDefault("settings", Map.of());
        settings.forEach((key, value) -> builder.set(key, String.valueOf(value)));
        return builder.build();
    }

    @Override
    public String toString() {
        return "AveronTrainingMaster(batchSizePerWorker=" + batchSizePerWorker + ", workers="
                + (workers > 0 ? workers : "default parallelism") + ", storageLevel=" + storageLevel
                + (settings.isEmpty() ? "" : ", " + settings) + ")";
    }

    /**
     * Builds an {@link AveronTrainingMaster}, DL4J style: {@code new Builder(batchSizePerWorker).workers(n).build()}.
     * Averon's {@code ps.*} settings (ports, advertised host, timeouts; see {@code averon config}) and
     * {@code train.wait-for-slots} are set with {@link #set}.
     */
    public static final class Builder {
        private final int batchSizePerWorker;
        private int workers;
        private String storageLevel = "MEMORY_AND_DISK_SER";
        private final Map<String, String> settings = new LinkedHashMap<>();

        /** @param batchSizePerWorker examples each worker trains per step */
        public Builder(int batchSizePerWorker) {
            if (batchSizePerWorker <= 0) {
                throw new IllegalArgumentException("batchSizePerWorker must be positive, was " + batchSizePerWorker);
            }
            this.batchSizePerWorker = batchSizePerWorker;
        }

        /**
         * Workers, one Spark task each; a fit's barrier stage needs this many task slots at once. Default (0): the
         * context's default parallelism.
         */
        public Builder workers(int workers) {
            if (workers < 0) {
                throw new IllegalArgumentException("workers must be positive (or 0 for the default parallelism), was "
                        + workers);
            }
            this.workers = workers;
            return this;
        }

        /** How the executors keep the prepared minibatches; default MEMORY_AND_DISK_SER. */
        public Builder storageLevel(StorageLevel level) {
            for (String name : STORAGE_LEVELS) {
                if (StorageLevel.fromString(name).equals(level)) {
                    this.storageLevel = name;
                    return this;
                }
            }
            throw new IllegalArgumentException("storage level " + level + " is not supported: the minibatches must be "
                    + "persisted; use one of " + String.join(", ", STORAGE_LEVELS));
        }

        /**
         * Averon's checkpoints of every fit (at its end, and within it every {@code checkpoint.every} or
         * {@code checkpoint.every-steps}) in this directory of any Hadoop filesystem; see {@link #resume}. The same
         * as {@code set("checkpoint.dir", uri)}.
         */
        public Builder checkpoints(String directoryUri) {
            if (directoryUri == null || directoryUri.isBlank()) {
                throw new IllegalArgumentException("checkpoints: the directory must not be empty");
            }
            return set("checkpoint.dir", directoryUri);
        }

        /**
         * One of Averon's settings: a {@code ps.*} key (for example {@code ps.port}, {@code ps.advertised-host},
         * {@code ps.step-deadline}), a {@code checkpoint.*} key ({@code dir}, {@code keep}, {@code every},
         * {@code every-steps}, {@code max-failure-window}) or {@code train.wait-for-slots}.
         */
        public Builder set(String key, String value) {
            if (!key.startsWith("ps.") && !key.startsWith("checkpoint.") && !key.equals("train.wait-for-slots")) {
                throw new IllegalArgumentException("AveronTrainingMaster takes ps.* and checkpoint.* settings and "
                        + "train.wait-for-slots, not " + key + ": the network, data and batch size come from the DL4J "
                        + "program");
            }
            settings.put(key, value);
            return this;
        }

        public AveronTrainingMaster build() {
            return new AveronTrainingMaster(this);
        }
    }
}
