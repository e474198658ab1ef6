package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import org.apache.spark.SparkConf;

/**
 * Builds the Spark configuration of a run. Settings given by spark-submit win; what Averon needs and Spark does not
 * add by itself (Agrona's access to jdk.internal.misc on executors, single-threaded BLAS per worker, Kryo, a JavaCPP
 * off-heap limit with the container memory overhead to match) is added, and settings under which Averon cannot run
 * (dynamic allocation, which Spark refuses for barrier stages) stop the run before anything starts.
 */
public final class SparkSetup {
    /** JVM options an executor needs for Aeron/Agrona and ND4J on Java 17. */
    public static final String EXECUTOR_JAVA_OPTIONS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED "
            + "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED "
            + "--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED "
            + "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false";

    private SparkSetup() {
    }

    /**
     * @param config the job
     * @param master the master from the command line, or null to use spark-submit's or the job's
     */
    public static SparkConf sparkConf(JobConfig config, String master) {
        return sparkConf(config, master, new SparkConf());
    }

    /**
     * @param config the job
     * @param master the master from the command line, or null to use spark-submit's or the job's
     * @param conf   the properties spark-submit (or a test) set, completed in place
     */
    static SparkConf sparkConf(JobConfig config, String master, SparkConf conf) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new InputException("spark.dynamicAllocation.enabled=true: Averon trains each epoch as a Spark "
                    + "barrier stage, which Spark refuses under dynamic allocation. Submit with --conf "
                    + "spark.dynamicAllocation.enabled=false and a fixed number of executors (--num-executors N on "
                    + "YARN, spark.executor.instances) with as many task slots as --workers");
        }
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(config.string("spark.master"));
        }
        conf.setIfMissing("spark.app.name", "averon " + config.string("job.name"));
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        // Added to a user's registrators, never replacing them: Spark runs every class named in the list.
        String registrators = conf.get("spark.kryo.registrator", "").trim();
        if (!java.util.Arrays.asList(registrators.split("\\s*,\\s*")).contains(AveronKryoRegistrator.class.getName())) {
            conf.set("spark.kryo.registrator", registrators.isEmpty() ? AveronKryoRegistrator.class.getName()
                    : registrators + "," + AveronKryoRegistrator.class.getName());
        }
        conf.setIfMissing("spark.executor.memory", config.string("spark.executor-memory"));
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        String existing = conf.get("spark.executor.extraJavaOptions", "");
        if (!existing.contains("jdk.internal.misc")) {
            existing = (existing + " " + EXECUTOR_JAVA_OPTIONS).trim();
        }
        long heap = mebibytes(conf.get("spark.executor.memory"), "spark.executor.memory");
        String offHeapSetting = config.string("spark.executor-offheap").trim();
        long offHeap = offHeapSetting.isEmpty() ? heap : config.bytes("spark.executor-offheap") >> 20;
        if (!existing.contains("org.bytedeco.javacpp.maxbytes")) {
            // ND4J allocates its arrays off-heap through JavaCPP; unbounded, a container is killed by its manager.
            existing = existing + " -Dorg.bytedeco.javacpp.maxbytes=" + offHeap + "m"
                    + " -Dorg.bytedeco.javacpp.maxphysicalbytes=" + (heap + offHeap + NATIVE_SLACK_MIB) + "m";
        }
        conf.set("spark.executor.extraJavaOptions", existing);
        if (!conf.contains("spark.executor.memoryOverhead")) {
            conf.set("spark.executor.memoryOverhead",
                    memoryOverheadMib(offHeap, config.bytes("ps.term-length") >> 20) + "m");
        }
        return conf;
    }

    /**
     * Checks a Spark context Averon did not configure (a caller's own session): the settings without which training
     * cannot start, each named with its fix, instead of a barrier stage refused or an executor failing inside Aeron.
     */
    public static void requireUsable(SparkConf conf) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new InputException("spark.dynamicAllocation.enabled=true: Averon trains each epoch as a Spark "
                    + "barrier stage, which Spark refuses under dynamic allocation. Create the session with "
                    + "spark.dynamicAllocation.enabled=false and a fixed number of executors");
        }
        String master = conf.get("spark.master", "");
        if (!master.startsWith("local") && !conf.get("spark.executor.extraJavaOptions", "")
                .contains("jdk.internal.misc")) {
            throw new InputException("spark.executor.extraJavaOptions lacks --add-exports=java.base/jdk.internal.misc="
                    + "ALL-UNNAMED, which Aeron needs in every executor on Java 17: create the session from "
                    + "AveronJob.sparkConf(master), or add SparkSetup.EXECUTOR_JAVA_OPTIONS to that setting");
        }
    }

    /** JVM-native memory beside heap and ND4J arrays: metaspace, thread stacks, Netty and Aeron buffers. */
    static final long NATIVE_SLACK_MIB = 384;

    /**
     * The memory a container needs beyond the executor heap: ND4J's off-heap arrays, the worker's Aeron log buffers
     * in /dev/shm (which count towards the container's memory: one publication and one image of 3 terms each) and
     * the JVM's own native memory.
     *
     * @param offHeapMib    JavaCPP off-heap limit
     * @param termLengthMib Aeron term length
     * @return spark.executor.memoryOverhead in MiB
     */
    static long memoryOverheadMib(long offHeapMib, long termLengthMib) {
        return offHeapMib + 6 * Math.max(1, termLengthMib) + NATIVE_SLACK_MIB;
    }

    private static long mebibytes(String value, String key) {
        try {
            return org.apache.spark.network.util.JavaUtils.byteStringAsMb(value);
        } catch (NumberFormatException e) {
            throw new InputException(key + " = '" + value + "' is not a memory size (e.g. 2g, 512m)");
        }
    }
}
