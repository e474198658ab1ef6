package io.averon.driver.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.averon.worker.InputException;

import java.io.File;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A job's configuration: the schema of documented defaults ({@code averon-defaults.conf}), overlaid by a job file and
 * by command-line {@code key=value} overrides. The defaults file is the schema: a key it does not list, or a value
 * whose type differs from the default's, is rejected with a message naming the key and where it came from.
 */
public final class JobConfig {
    /** Classpath resource holding the schema and its defaults. */
    public static final String DEFAULTS_RESOURCE = "averon-defaults.conf";

    private final Config config;

    private JobConfig(Config config) {
        this.config = config;
    }

    /**
     * Loads a job.
     *
     * @param jobText   the job file's text (HOCON)
     * @param jobOrigin where it came from, for error messages
     * @param overrides {@code key=value} strings, applied last
     */
    public static JobConfig load(String jobText, String jobOrigin, List<String> overrides) {
        Config defaults = defaults();
        Config job;
        try {
            // Resolved on its own so that environment substitutions such as ${HOME} can be type-checked.
            job = parse(jobText, jobOrigin).resolve();
        } catch (ConfigException e) {
            throw new InputException("configuration " + jobOrigin + ": " + e.getMessage());
        }
        checkAgainstSchema(job, defaults, jobOrigin);
        Config merged = job;
        for (String override : overrides) {
            int eq = override.indexOf('=');
            if (eq <= 0) {
                throw new InputException("--set " + override + ": expected key=value");
            }
            String key = override.substring(0, eq).trim();
            String value = override.substring(eq + 1).trim();
            Config one = parse(key + " = " + asHoconValue(value), "--set " + override);
            checkAgainstSchema(one, defaults, "--set " + override);
            merged = one.withFallback(merged);
        }
        try {
            return new JobConfig(merged.withFallback(defaults).resolve());
        } catch (ConfigException e) {
            throw new InputException("configuration " + jobOrigin + ": " + e.getMessage());
        }
    }

    /** Loads a job from a file path. */
    public static JobConfig loadFile(File file, List<String> overrides) {
        if (!file.isFile()) {
            throw new InputException("job config " + file + " does not exist");
        }
        try {
            return load(java.nio.file.Files.readString(file.toPath()), file.toString(), overrides);
        } catch (java.io.IOException e) {
            throw new InputException("job config " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** The defaults alone, e.g. to render documentation. */
    public static Config defaults() {
        InputStream in = JobConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE);
        if (in == null) {
            throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath: broken build");
        }
        try (InputStreamReader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return ConfigFactory.parseReader(reader, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(DEFAULTS_RESOURCE));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
        }
    }

    public Config config() {
        return config;
    }

    public String string(String key) {
        return typed(key, () -> config.getString(key));
    }

    public int integer(String key) {
        Number n = typed(key, () -> config.getNumber(key));
        if (n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
            throw new InputException("config key " + key + " must be a whole number, got " + n);
        }
        return n.intValue();
    }

    public long longValue(String key) {
        return typed(key, () -> config.getLong(key));
    }

    public double number(String key) {
        return typed(key, () -> config.getDouble(key));
    }

    public boolean flag(String key) {
        return typed(key, () -> config.getBoolean(key));
    }

    public long millis(String key) {
        return typed(key, () -> config.getDuration(key, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    public long bytes(String key) {
        return typed(key, () -> config.getBytes(key));
    }

    /** A list of strings (e.g. class names). */
    public java.util.List<String> strings(String key) {
        return typed(key, () -> config.getStringList(key));
    }

    /** A list of numbers (e.g. per-channel means). */
    public double[] numbers(String key) {
        return typed(key, () -> config.getDoubleList(key)).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A number in [min, max], or an error naming the key and the range. */
    public double within(String key, double min, double max) {
        double v = number(key);
        if (!(v >= min && v <= max)) {
            throw new InputException("config key " + key + " must be in [" + min + ", " + max + "], got " + v);
        }
        return v;
    }

    private static <T> T typed(String key, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (ConfigException e) {
            throw new InputException("config key " + key + ": " + e.getMessage());
        }
    }

    /** A positive int, or an error naming the key. */
    public int positive(String key) {
        int v = integer(key);
        if (v <= 0) {
            throw new InputException("config key " + key + " must be positive, got " + v);
        }
        return v;
    }

    /** A non-negative int, or an error naming the key. */
    public int nonNegative(String key) {
        int v = integer(key);
        if (v < 0) {
            throw new InputException("config key " + key + " must be >= 0, got " + v);
        }
        return v;
    }

    /** The value of {@code key}, which must be one of {@code allowed}. */
    public String oneOf(String key, String... allowed) {
        String v = string(key);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new InputException("config key " + key + " = \"" + v + "\" is not one of " + String.join(", ", allowed));
    }

    /** The whole configuration as HOCON text (stored in checkpoints and the run directory). */
    public String render() {
        return config.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }

    private static Config parse(String text, String origin) {
        try {
            return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(origin));
        } catch (ConfigException e) {
            throw new InputException("configuration " + origin + " is not valid HOCON: " + e.getMessage());
        }
    }

    private static void checkAgainstSchema(Config candidate, Config defaults, String origin) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, ConfigValue> entry : candidate.entrySet()) {
            String key = entry.getKey();
            if (!defaults.hasPath(key)) {
                problems.add("unknown config key '" + key + "'" + suggestion(key, defaults));
                continue;
            }
            ConfigValue expected = defaults.getValue(key);
            ConfigValue actual = entry.getValue();
            if (!compatible(key, expected, actual, defaults)) {
                problems.add("config key '" + key + "' expects " + describe(expected) + ", got "
                        + actual.valueType().name().toLowerCase() + " " + actual.render());
            }
        }
        if (!problems.isEmpty()) {
            throw new InputException(origin + ": " + String.join("; ", problems));
        }
    }

    private static boolean compatible(String key, ConfigValue expected, ConfigValue actual, Config defaults) {
        ConfigValueType want = expected.valueType();
        ConfigValueType got = actual.valueType();
        if (want == got) {
            return true;
        }
        // A value given as a string on the command line may still be a valid number, boolean, duration or size.
        if (got == ConfigValueType.STRING) {
            Config probe = ConfigFactory.empty().withValue(key, actual);
            try {
                switch (want) {
                    case NUMBER -> probe.getDouble(key);
                    case BOOLEAN -> probe.getBoolean(key);
                    default -> {
                        return false;
                    }
                }
                return true;
            } catch (ConfigException e) {
                return false;
            }
        }
        // Durations and sizes are strings in the schema ("30s", "16m") but may be given as plain numbers; so may port
        // ranges ("40000-40099"), which also take one port or 0 (ps.port=40099 is how deploy/k8s/submit.sh sets it).
        return want == ConfigValueType.STRING && got == ConfigValueType.NUMBER
                && (isDurationOrSize(expected) || isPortRange(expected));
    }

    private static boolean isPortRange(ConfigValue value) {
        return String.valueOf(value.unwrapped()).matches("\\d+\\s*-\\s*\\d+");
    }

    private static boolean isDurationOrSize(ConfigValue value) {
        String s = String.valueOf(value.unwrapped());
        return s.matches("\\d+\\s*[a-zA-Z]+");
    }

    private static String describe(ConfigValue expected) {
        String type = expected.valueType().name().toLowerCase();
        return "a " + type + " (default " + expected.render() + ")";
    }

    private static String suggestion(String key, Config defaults) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Map.Entry<String, ConfigValue> e : defaults.entrySet()) {
            int d = editDistance(key, e.getKey());
            if (d < bestDistance) {
                bestDistance = d;
                best = e.getKey();
            }
        }
        return best != null && bestDistance <= 3 ? " (did you mean '" + best + "'?)" : "";
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String asHoconValue(String value) {
        if (value.isEmpty()) {
            return "\"\"";
        }
        if (value.matches("-?\\d+(\\.\\d+)?([eE]-?\\d+)?") || value.equals("true") || value.equals("false")) {
            return value;
        }
        if (value.startsWith("[") || value.startsWith("\"")) {
            return value; // a HOCON list (dataset.class-names=[a, b]) or an explicitly quoted string
        }
        return com.typesafe.config.ConfigUtil.quoteString(value);
    }
}
