package io.averon.driver;

import io.averon.driver.config.JobConfig;
import io.averon.worker.InputException;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparkSetupTest {
    private static JobConfig job(String... overrides) {
        return JobConfig.load("job.name = t", "test", List.of(overrides));
    }

    @Test
    void dynamicAllocationStopsTheRunNamingTheSettingAndTheFix() {
        SparkConf conf = new SparkConf(false).set("spark.dynamicAllocation.enabled", "true");
        InputException e = assertThrows(InputException.class, () -> SparkSetup.sparkConf(job(), "local[2]", conf));
        assertTrue(e.getMessage().startsWith("spark.dynamicAllocation.enabled=true"), e.getMessage());
        assertTrue(e.getMessage().contains("spark.dynamicAllocation.enabled=false")
                && e.getMessage().contains("--num-executors"), e.getMessage());
    }

    @Test
    void executorsGetAnOffHeapLimitAndAMatchingMemoryOverhead() {
        SparkConf conf = SparkSetup.sparkConf(job("spark.executor-memory=2g"), "local[2]", new SparkConf(false));
        String options = conf.get("spark.executor.extraJavaOptions");
        assertTrue(options.contains("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"), options);
        assertTrue(options.contains("-Dorg.bytedeco.javacpp.maxbytes=2048m"), options);
        assertTrue(options.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + (2048 + 2048 + 384) + "m"), options);
        // off-heap 2048 + 6 x 16 MiB terms + 384 MiB of JVM-native memory
        assertEquals("2528m", conf.get("spark.executor.memoryOverhead"));

        SparkConf small = SparkSetup.sparkConf(job("spark.executor-offheap=512m", "ps.term-length=1m"), null,
                new SparkConf(false).set("spark.master", "local[1]").set("spark.executor.memory", "1g"));
        assertTrue(small.get("spark.executor.extraJavaOptions").contains("maxbytes=512m"));
        assertEquals((512 + 6 + 384) + "m", small.get("spark.executor.memoryOverhead"));
    }

    @Test
    void averonsKryoRegistratorIsAddedToTheUsersNotReplacingThem() {
        String ours = AveronKryoRegistrator.class.getName();
        assertEquals(ours, SparkSetup.sparkConf(job(), "local[1]", new SparkConf(false)).get("spark.kryo.registrator"));
        assertEquals("com.example.Mine," + ours, SparkSetup.sparkConf(job(), "local[1]",
                new SparkConf(false).set("spark.kryo.registrator", "com.example.Mine")).get("spark.kryo.registrator"));
        assertEquals("a.B, " + ours, SparkSetup.sparkConf(job(), "local[1]",
                new SparkConf(false).set("spark.kryo.registrator", "a.B, " + ours)).get("spark.kryo.registrator"),
                "named once");
    }

    @Test
    void whatTheUserSetIsKept() {
        SparkConf conf = SparkSetup.sparkConf(job(), "local[2]", new SparkConf(false)
                .set("spark.executor.memoryOverhead", "1g")
                .set("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.maxbytes=3g"));
        assertEquals("1g", conf.get("spark.executor.memoryOverhead"));
        String options = conf.get("spark.executor.extraJavaOptions");
        assertTrue(options.startsWith("-Dorg.bytedeco.javacpp.maxbytes=3g") && !options.contains("maxbytes=2048m"),
                options);
    }

    @Test
    void badMemorySizeNamesTheKey() {
        InputException e = assertThrows(InputException.class, () -> SparkSetup.sparkConf(job(), "local[2]",
                new SparkConf(false).set("spark.executor.memory", "lots")));
        assertTrue(e.getMessage().contains("spark.executor.memory = 'lots'"), e.getMessage());
    }
}
