package io.averon.driver;

import org.apache.hadoop.conf.Configuration;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The Hadoop settings of one run, taken from the driver's {@code sc.hadoopConfiguration()} (so {@code spark.hadoop.*},
 * the driver's {@code *-site.xml} files and anything set on that Configuration in code) and carried, inside the
 * dataset indexes and sources, to every JVM that reads the run's files. Only the entries whose value differs from
 * Hadoop's built-in {@code *-default.xml} travel: a few hundred bytes where the whole Configuration would be about
 * 55 KB per task (Spark's {@code SerializableConfiguration}, which writes it all, about 95 KB). On the receiving side
 * {@link #toConfiguration()} lays them over that JVM's own defaults, once per deserialized instance. It lives in the
 * driver module, the lowest one with Hadoop on its classpath; the worker module, which has none, only sees the
 * readers that hold it.
 */
public final class HadoopSettings implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Hadoop's own defaults, compiled into its jars: the same on every JVM of a run that has the same Hadoop. */
    private static final List<String> BUILT_IN_DEFAULTS = List.of("core-default.xml", "hdfs-default.xml",
            "mapred-default.xml", "yarn-default.xml");

    private static final HadoopSettings NONE = new HadoopSettings(new String[0], new String[0]);

    // Two arrays rather than a Map: they serialize compactly with Java and Kryo alike, with no collection class
    // that Kryo would need to instantiate.
    private final String[] keys;
    private final String[] values;

    /** Rebuilt at most once per instance on each JVM; never serialized. */
    private transient volatile Configuration configuration;

    private HadoopSettings(String[] keys, String[] values) {
        this.keys = keys;
        this.values = values;
    }

    /** The settings of {@code conf} that differ from Hadoop's built-in defaults (raw, unexpanded values). */
    public static HadoopSettings of(Configuration conf) {
        Objects.requireNonNull(conf, "conf");
        Configuration builtIn = new Configuration(false);
        ClassLoader loader = Configuration.class.getClassLoader();
        for (String resource : BUILT_IN_DEFAULTS) {
            if (loader.getResource(resource) != null) {
                builtIn.addResource(resource);
            }
        }
        Map<String, String> changed = new TreeMap<>();
        for (Map.Entry<String, String> e : conf) {
            if (!e.getValue().equals(builtIn.getRaw(e.getKey()))) {
                changed.put(e.getKey(), e.getValue());
            }
        }
        return new HadoopSettings(changed.keySet().toArray(String[]::new), changed.values().toArray(String[]::new));
    }

    /**
     * No settings beyond what the local JVM's Hadoop finds on its classpath: for tools that run without a Spark
     * context (the benchmarks, {@code generate-shapes}) and for tests.
     */
    public static HadoopSettings none() {
        return NONE;
    }

    /**
     * A Configuration with this JVM's defaults and these settings on top. The same instance is returned on every
     * call on this object, so readers opened by one task share it; callers must not modify it.
     */
    public Configuration toConfiguration() {
        Configuration conf = configuration;
        if (conf == null) {
            synchronized (this) {
                conf = configuration;
                if (conf == null) {
                    conf = new Configuration();
                    for (int i = 0; i < keys.length; i++) {
                        conf.set(keys[i], values[i], "averon: the driver's Hadoop configuration");
                    }
                    configuration = conf;
                }
            }
        }
        return conf;
    }

    /** The carried settings, by key. */
    public Map<String, String> entries() {
        Map<String, String> entries = new TreeMap<>();
        for (int i = 0; i < keys.length; i++) {
            entries.put(keys[i], values[i]);
        }
        return entries;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HadoopSettings other && Arrays.equals(keys, other.keys)
                && Arrays.equals(values, other.values);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(keys) + Arrays.hashCode(values);
    }

    /** Keys only: values may be credentials. */
    @Override
    public String toString() {
        return "HadoopSettings" + Arrays.toString(keys);
    }
}
