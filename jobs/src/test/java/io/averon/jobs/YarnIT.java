package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.averon.worker.FaultMatrixFigures;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Averon on a real YARN: a MiniYARNCluster (ResourceManager and a NodeManager that launches the driver's
 * ApplicationMaster and the executors as containers) with a MiniDFSCluster holding the data, the checkpoints and
 * the run directory, and a real {@code spark-submit --master yarn} process with the fat jar, pointed at them through
 * a HADOOP_CONF_DIR as a user's would be. The scenarios share the started clusters and run in order: a cluster-mode
 * run, a client-mode resume of it, the same run with its driver killed and restarted by YARN, and a cluster-mode run
 * with a bad setting that must end FAILED.
 */
@Timeout(value = 25, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnIT {
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    static Path tmp;
    static MiniDFSCluster hdfs;
    static MiniYARNCluster yarn;
    static YarnClient client;
    static Path hadoopConfDir;
    static String hdfsUri;
    static Path root;
    static String firstRunDir;
    /** The first run's final parameters, before the client-mode resume trains its run further. */
    static byte[] firstRunModel;

    @BeforeAll
    static void startClusters() throws Exception {
        root = Path.of("..").toAbsolutePath().normalize();
        Configuration dfsConf = new Configuration();
        dfsConf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("hdfs").toString());
        dfsConf.setInt("dfs.replication", 1);
        dfsConf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 5);
        hdfs = new MiniDFSCluster.Builder(dfsConf).numDataNodes(1).build();
        hdfs.waitActive();
        hdfsUri = "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
        FileSystem fs = hdfs.getFileSystem();
        for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(FASHION.resolve(name).toString()),
                    new org.apache.hadoop.fs.Path("/data/fashion-mnist/" + name));
        }
        fs.mkdirs(new org.apache.hadoop.fs.Path("/user/" + System.getProperty("user.name")));

        YarnConfiguration conf = new YarnConfiguration();
        conf.set("fs.defaultFS", hdfsUri);
        conf.set("yarn.resourcemanager.hostname", "127.0.0.1");
        conf.set("yarn.nodemanager.hostname", "127.0.0.1");
        conf.set("yarn.scheduler.capacity.root.queues", "default");
        conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
        conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
        conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
        conf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 0.5f);
        // The containers are JVMs of a few hundred MB that reserve far more virtual memory than YARN allows by ratio.
        conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
        conf.setBoolean("yarn.nodemanager.pmem-check-enabled", false);
        conf.setInt("yarn.scheduler.minimum-allocation-mb", 256);
        conf.setInt("yarn.scheduler.maximum-allocation-mb", 4096);
        conf.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 99.0f);
        // Each NodeManager offers 4 GiB whatever the configuration says: two hold the driver and two executors.
        yarn = new MiniYARNCluster("averon-yarn-it", 2, 1, 1);
        yarn.init(conf);
        yarn.start();
        Configuration started = yarn.getConfig();
        // The ResourceManager publishes its bound address into the configuration after start() returns.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (started.get(YarnConfiguration.RM_ADDRESS, "").endsWith(":0") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        hadoopConfDir = Files.createDirectories(tmp.resolve("hadoop-conf"));
        for (String file : List.of("core-site.xml", "yarn-site.xml", "hdfs-site.xml")) {
            try (OutputStream out = Files.newOutputStream(hadoopConfDir.resolve(file))) {
                started.writeXml(out);
            }
        }
        client = YarnClient.createYarnClient();
        client.init(started);
        client.start();
    }

    @AfterAll
    static void stopClusters() {
        if (client != null) {
            client.stop();
        }
        if (yarn != null) {
            yarn.stop();
        }
        if (hdfs != null) {
            hdfs.shutdown(true);
        }
    }

    private static List<String> submit(String deployMode, String... averonArgs) {
        String javaHome = System.getProperty("java.home");
        List<String> command = new ArrayList<>(List.of(root.resolve("deploy/spark-submit").toString(),
                "--master", "yarn", "--deploy-mode", deployMode,
                "--properties-file", root.resolve("jobs/target/spark-defaults.conf").toString(),
                "--num-executors", "2", "--executor-cores", "1", "--executor-memory", "1g",
                "--driver-memory", "1g",
                // The Spark runtime is on every node already (a shared install): containers use it in place.
                "--conf", "spark.yarn.jars=local:" + root.resolve("jobs/target/spark/jars") + "/*",
                "--conf", "spark.yarn.appMasterEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.executorEnv.JAVA_HOME=" + javaHome,
                "--conf", "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
                "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
                "--conf", "spark.driver.host=127.0.0.1",
                "--class", "io.averon.jobs.Averon", root.resolve("jobs/target/averon.jar").toString()));
        command.addAll(Arrays.asList(averonArgs));
        return command;
    }

    private static List<String> train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "fashion-mnist-lenet", "--workers", "2",
                "--set", "dataset.dir=" + hdfsUri + "/data/fashion-mnist", "--set", "dataset.train-limit=3000",
                "--set", "dataset.test-limit=1000", "--set", "train.batch-size=32",
                "--set", "spark.executor-offheap=1g", "--set", "train.wait-for-slots=90s"));
        args.addAll(Arrays.asList(extra));
        return args;
    }

    private record Submission(int status, String output, String applicationId) {
    }

    private static Submission run(List<String> command, String name) throws Exception {
        Path log = Files.createDirectories(Path.of("target/failsafe-reports")).resolve("YarnIT-" + name + ".log")
                .toAbsolutePath();
        SparkSubmitProcess.Finished finished =
                SparkSubmitProcess.run(command, log, Map.of("HADOOP_CONF_DIR", hadoopConfDir.toString()));
        String output = finished.output();
        Matcher id = Pattern.compile("(application_\\d+_\\d+)").matcher(output);
        return new Submission(finished.status(), output, id.find() ? id.group(1) : null);
    }

    private static FinalApplicationStatus finalStatus(String applicationId) throws Exception {
        ApplicationReport report = client.getApplicationReport(ApplicationId.fromString(applicationId));
        return report.getFinalApplicationStatus();
    }

    private static String hdfsText(String path) throws IOException {
        try (FSDataInputStream in = hdfs.getFileSystem().open(new org.apache.hadoop.fs.Path(path))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<JsonNode> events(String runDir, String event) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> found = new ArrayList<>();
        for (String line : hdfsText(runDir + "/metrics.jsonl").split("\n")) {
            if (!line.isBlank()) {
                JsonNode node = json.readTree(line);
                if (node.path("event").asText().equals(event)) {
                    found.add(node);
                }
            }
        }
        return found;
    }

    /** The ApplicationMaster's (the cluster-mode driver's) output, from the NodeManager's container log folder. */
    private static String driverLog(String applicationId) throws IOException {
        return driverLog(applicationId, 1);
    }

    /** The output of the driver of the given application attempt (1, 2, ...). */
    private static String driverLog(String applicationId, int attempt) throws IOException {
        Path base = Path.of("target", "test", "data", "averon-yarn-it");
        String container = applicationId.replace("application_", "container_") + String.format("_%02d_000001", attempt);
        try (Stream<Path> files = Files.walk(base)) {
            Path stderr = files.filter(p -> p.getFileName().toString().equals("stderr"))
                    .filter(p -> p.getParent().getFileName().toString().endsWith(container))
                    .findFirst().orElseThrow(() -> new AssertionError("no AM container log of " + applicationId
                            + " under " + base.toAbsolutePath()));
            return Files.readString(stderr) + Files.readString(stderr.resolveSibling("stdout"));
        }
    }

    @Test
    @Order(1)
    void clusterModeTrainsFromHdfsAndEndsSucceeded() throws Exception {
        Submission s = run(submit("cluster", train("--set", "train.epochs=1").toArray(String[]::new)),
                "cluster");
        assertEquals(0, s.status(), s.output());
        assertEquals(FinalApplicationStatus.SUCCEEDED, finalStatus(s.applicationId()), s.output());

        // run.root defaults to the home directory on the default filesystem, HDFS here.
        org.apache.hadoop.fs.Path runs = new org.apache.hadoop.fs.Path(
                "/user/" + System.getProperty("user.name") + "/averon/runs");
        FileStatus[] dirs = hdfs.getFileSystem().listStatus(runs);
        assertEquals(1, dirs.length, Arrays.toString(dirs));
        firstRunDir = runs + "/" + dirs[0].getPath().getName();
        assertTrue(dirs[0].getPath().getName().startsWith("fashion-mnist-lenet-"), firstRunDir);

        List<JsonNode> epochs = events(firstRunDir, "epoch");
        assertEquals(1, epochs.size());
        double accuracy = epochs.get(0).path("test_accuracy").asDouble();
        assertTrue(accuracy >= 0.6, "1 epoch on 3000 examples: " + accuracy);
        assertEquals(2, epochs.get(0).path("workers").size());
        assertTrue(epochs.get(0).path("gradients_accepted").asLong() > 0);
        FileStatus[] checkpoints = hdfs.getFileSystem().listStatus(
                new org.apache.hadoop.fs.Path(firstRunDir + "/checkpoints"));
        assertTrue(Arrays.stream(checkpoints).anyMatch(c -> c.getPath().getName().startsWith("ckpt-")),
                Arrays.toString(checkpoints));
        assertTrue(hdfs.getFileSystem().exists(new org.apache.hadoop.fs.Path(firstRunDir + "/model.zip")));
        assertTrue(driverLog(s.applicationId()).contains("model saved to " + hdfsUri + firstRunDir),
                "the driver ran in the ApplicationMaster container");
        firstRunModel = coefficients(firstRunDir);
    }

    @Test
    @Order(2)
    void clientModeResumesTheRunFromItsCheckpointsOnHdfs() throws Exception {
        assertTrue(firstRunDir != null, "the cluster-mode run comes first");
        Submission s = run(submit("client", train("--resume", "--set", "train.epochs=2").toArray(String[]::new)),
                "client-resume");
        assertEquals(0, s.status(), s.output());
        assertEquals(FinalApplicationStatus.SUCCEEDED, finalStatus(s.applicationId()), s.output());
        assertTrue(s.output().contains("resuming from " + hdfsUri + firstRunDir + "/checkpoints/ckpt-"), s.output());

        List<JsonNode> starts = events(firstRunDir, "start");
        assertEquals(2, starts.size(), "one start per submission in the same run directory");
        assertEquals(1, starts.get(1).path("start_epoch").asInt());
        List<JsonNode> epochs = events(firstRunDir, "epoch");
        assertEquals(List.of(1, 2), epochs.stream().map(e -> e.path("epoch").asInt()).toList());
        assertTrue(epochs.get(1).path("step").asLong() > epochs.get(0).path("step").asLong(),
                "the second epoch continues the step count");
    }

    private static byte[] coefficients(String runDir) throws IOException {
        Path local = Files.createTempFile(tmp, "model", ".zip");
        hdfs.getFileSystem().copyToLocalFile(new org.apache.hadoop.fs.Path(runDir + "/model.zip"),
                new org.apache.hadoop.fs.Path(local.toString()));
        try (var zip = new java.util.zip.ZipFile(local.toFile())) {
            return zip.getInputStream(zip.getEntry("coefficients.bin")).readAllBytes();
        }
    }

    /**
     * The fault matrix's YARN driver row: the ApplicationMaster (the cluster-mode driver and its parameter server)
     * killed with SIGKILL after a mid-epoch checkpoint; YARN starts a second attempt ({@code spark.yarn.maxAppAttempts
     * = 2}), which finds its predecessor's run.lock in the same run directory, resumes from the newest checkpoint by
     * itself, and ends with parameters bit-identical to the first scenario's uninterrupted run of the same job.
     */
    @Test
    @Order(3)
    void aKilledDriverIsRestartedByYarnAndResumesByItselfBitIdentical() throws Exception {
        assertTrue(firstRunModel != null, "the uninterrupted cluster-mode run comes first");
        org.apache.hadoop.fs.Path runs = new org.apache.hadoop.fs.Path(
                "/user/" + System.getProperty("user.name") + "/averon/runs");
        java.util.Set<String> before = Arrays.stream(hdfs.getFileSystem().listStatus(runs))
                .map(d -> d.getPath().getName()).collect(java.util.stream.Collectors.toSet());
        List<String> command = submit("cluster", train("--set", "train.epochs=1", "--set", "checkpoint.every-steps=5",
                "--set", "run.lock-refresh=2s", "--set", "run.lock-stale=8s").toArray(String[]::new));
        command.addAll(command.indexOf("--class"), List.of("--conf", "spark.yarn.maxAppAttempts=2"));
        Path log = Files.createDirectories(Path.of("target/failsafe-reports")).resolve("YarnIT-driver-killed.log")
                .toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("HADOOP_CONF_DIR", hadoopConfDir.toString());
        Process submitter = builder.start();
        String applicationId;
        try {
            // The new run's directory, then its first mid-epoch checkpoint.
            org.apache.hadoop.fs.Path runDir = null;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
            while (true) {
                assertTrue(submitter.isAlive() && System.nanoTime() < deadline,
                        "no mid-epoch checkpoint of the new run: " + Files.readString(log));
                if (runDir == null) {
                    runDir = Arrays.stream(hdfs.getFileSystem().listStatus(runs)).map(FileStatus::getPath)
                            .filter(d -> !before.contains(d.getName())).findFirst().orElse(null);
                } else if (hdfs.getFileSystem().exists(new org.apache.hadoop.fs.Path(runDir, "checkpoints"))
                        && Arrays.stream(hdfs.getFileSystem().listStatus(new org.apache.hadoop.fs.Path(runDir,
                                "checkpoints"))).anyMatch(c -> c.getPath().getName().matches("ckpt-\\d+"))) {
                    break;
                }
                Thread.sleep(200);
            }
            Matcher id = Pattern.compile("(application_\\d+_\\d+)").matcher(Files.readString(log));
            assertTrue(id.find(), Files.readString(log));
            applicationId = id.group(1);
            // The container's JVM, not the shell that launched it.
            List<ProcessHandle> driver = SparkSubmitProcess
                    .processes("org.apache.spark.deploy.yarn.ApplicationMaster", applicationId)
                    .stream().filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false)).toList();
            assertEquals(1, driver.size(), "the first attempt's ApplicationMaster JVM");
            driver.get(0).destroyForcibly();
            long killedAt = System.nanoTime();
            assertTrue(submitter.waitFor(10, TimeUnit.MINUTES), "the application did not end");
            String output = Files.readString(log);
            assertEquals(0, submitter.exitValue(), output);
            assertEquals(FinalApplicationStatus.SUCCEEDED, finalStatus(applicationId), output);
            String second = driverLog(applicationId, 2);
            assertTrue(second.contains("restarted driver:") && second.contains("resuming from " + hdfsUri + runDir
                    .toUri().getPath() + "/checkpoints/ckpt-"), "the second attempt resumed by itself: " + second);
            assertArrayEquals(firstRunModel, coefficients(runDir.toUri().getPath()), "final parameters, bit for bit");
            assertEquals(1, events(runDir.toUri().getPath(), "epoch").size(), "one epoch, written by the second attempt");
            Matcher resumedAt = Pattern.compile("resuming from \\S+: 0 epoch\\(s\\) completed, step (\\d+)")
                    .matcher(second);
            assertTrue(resumedAt.find(), second);
            FaultMatrixFigures.record("driver-yarn", "killed after the first mid-epoch checkpoint (every 5 of 47 "
                    + "steps); the second attempt resumed from step %s by itself; the application succeeded %.0f s "
                    + "after the kill", resumedAt.group(1), (System.nanoTime() - killedAt) / 1e9);
        } finally {
            submitter.descendants().forEach(ProcessHandle::destroyForcibly);
            submitter.destroyForcibly();
        }
    }

    @Test
    @Order(4)
    void badSettingEndsFailedWithTheErrorInTheDriverLog() throws Exception {
        Submission s = run(submit("cluster", train("--set", "ps.port=70000").toArray(String[]::new)),
                "cluster-bad");
        assertNotEquals(0, s.status(), s.output());
        assertTrue(s.applicationId() != null, s.output());
        assertEquals(FinalApplicationStatus.FAILED, finalStatus(s.applicationId()), s.output());
        String driver = driverLog(s.applicationId());
        assertTrue(driver.contains("averon: error: ps.port must be a UDP port"), driver);
        assertFalse(driver.contains("at io.averon"), "no stack trace of Averon's for a user error");
    }
}
