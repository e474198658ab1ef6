package io.averon.driver;

import io.averon.driver.config.JobConfig;
import org.apache.spark.SparkConf;

/**
 * Builds the Spark configuration of a run. Settings given by spark-submit win; what Averon needs and Spark does not
 * add by itself (Agrona's access to jdk.internal.misc on executors, single-threaded BLAS per worker, Kryo) is added.
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
        SparkConf conf = new SparkConf();
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster(config.string("spark.master"));
        }
        conf.setIfMissing("spark.app.name", "averon " + config.string("job.name"));
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", AveronKryoRegistrator.class.getName());
        conf.setIfMissing("spark.executor.memory", config.string("spark.executor-memory"));
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        String existing = conf.get("spark.executor.extraJavaOptions", "");
        if (!existing.contains("jdk.internal.misc")) {
            conf.set("spark.executor.extraJavaOptions", (existing + " " + EXECUTOR_JAVA_OPTIONS).trim());
        }
        return conf;
    }
}
