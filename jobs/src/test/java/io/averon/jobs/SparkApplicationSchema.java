package io.averon.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The part of the Spark operator's {@code sparkoperator.k8s.io/v1beta2} SparkApplication API that Averon's manifest
 * uses, written from the operator's API reference as records, and a validator that holds a YAML document to it: no
 * field outside the records, every JSON type as the API declares it (a number where the API has a string fails here,
 * as the CRD's OpenAPI schema would fail it, although Jackson would quietly convert it), required fields present,
 * enumerations and formats checked. Embedded core types (metadata, env) are held to fabric8's model.
 */
final class SparkApplicationSchema {

    /** The field must be present. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Required {
    }

    /** The string must be one of these. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface OneOf {
        String[] value();
    }

    /** The string must match this regular expression (a number: be at least {@code min}). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Format {
        String value() default "";

        int min() default Integer.MIN_VALUE;

        int max() default Integer.MAX_VALUE;
    }

    /** JVM memory sizes as spark.driver.memory takes them (the operator passes them through). */
    private static final String MEMORY = "[0-9]+[kmgtKMGT]?";
    /** IANA service name, as Kubernetes requires of a port name. */
    private static final String PORT_NAME = "(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?";

    record SparkApplication(
            @Required @OneOf("sparkoperator.k8s.io/v1beta2") String apiVersion,
            @Required @OneOf("SparkApplication") String kind,
            @Required ObjectMeta metadata,
            @Required Spec spec) {
    }

    record Spec(
            @Required @OneOf({"Java", "Scala", "Python", "R"}) String type,
            @OneOf({"cluster", "client"}) String mode,
            @Required String sparkVersion,
            String image,
            @OneOf({"Always", "Never", "IfNotPresent"}) String imagePullPolicy,
            String mainClass,
            String mainApplicationFile,
            List<String> arguments,
            Map<String, String> sparkConf,
            RestartPolicy restartPolicy,
            @Required Driver driver,
            @Required Executor executor) {
    }

    /** The operator's retry counts are int32 and its intervals int64 seconds. */
    record RestartPolicy(@OneOf({"Never", "Always", "OnFailure"}) String type,
                         @Format(min = 0) Integer onFailureRetries,
                         @Format(min = 0) Long onFailureRetryInterval,
                         @Format(min = 0) Integer onSubmissionFailureRetries,
                         @Format(min = 0) Long onSubmissionFailureRetryInterval) {
    }

    record Driver(
            @Format(min = 1) Integer cores,
            @Format(MEMORY) String memory,
            @Format(MEMORY) String memoryOverhead,
            String serviceAccount,
            Map<String, String> labels,
            List<EnvVar> env,
            String javaOptions,
            List<Port> ports) {
    }

    record Executor(
            @Format(min = 1) Integer instances,
            @Format(min = 1) Integer cores,
            @Format(MEMORY) String memory,
            @Format(MEMORY) String memoryOverhead,
            Map<String, String> labels,
            List<EnvVar> env,
            String javaOptions,
            List<Port> ports) {
    }

    record Port(
            @Required @Format(PORT_NAME) String name,
            @Required @OneOf({"TCP", "UDP", "SCTP"}) String protocol,
            @Required @Format(min = 1, max = 65535) Integer containerPort) {
    }

    private SparkApplicationSchema() {
    }

    /** Validates the document and returns it as records; the message lists every violation with its path. */
    static SparkApplication read(Path file) throws IOException {
        JsonNode tree = StrictKubernetesYaml.YAML.readTree(Files.readString(file));
        List<String> errors = new ArrayList<>();
        check(tree, SparkApplication.class, "", errors);
        if (!errors.isEmpty()) {
            throw new IOException(file + " does not fit the SparkApplication schema: " + errors);
        }
        return StrictKubernetesYaml.YAML.treeToValue(tree, SparkApplication.class);
    }

    private static void check(JsonNode node, Type type, String path, List<String> errors) {
        if (type == String.class) {
            expect(node.isTextual(), path, "a string", node, errors);
        } else if (type == Integer.class) {
            expect(node.isInt(), path, "an integer", node, errors);
        } else if (type == Long.class) {
            expect(node.isIntegralNumber() && node.canConvertToLong(), path, "an integer", node, errors);
        } else if (type == ObjectMeta.class || type == EnvVar.class) {
            try {
                StrictKubernetesYaml.convert(node, (Class<?>) type, path);
            } catch (IOException e) {
                errors.add(path + ": " + e.getMessage());
            }
        } else if (type instanceof ParameterizedType generic && generic.getRawType() == List.class) {
            if (expect(node.isArray(), path, "a list", node, errors)) {
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), generic.getActualTypeArguments()[0], path + "[" + i + "]", errors);
                }
            }
        } else if (type instanceof ParameterizedType generic && generic.getRawType() == Map.class) {
            if (expect(node.isObject(), path, "a map", node, errors)) {
                node.fields().forEachRemaining(e ->
                        check(e.getValue(), generic.getActualTypeArguments()[1], path + "." + e.getKey(), errors));
            }
        } else if (type instanceof Class<?> record && record.isRecord()) {
            if (!expect(node.isObject(), path, "an object", node, errors)) {
                return;
            }
            Map<String, RecordComponent> fields = Arrays.stream(record.getRecordComponents())
                    .collect(Collectors.toMap(RecordComponent::getName, c -> c));
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!fields.containsKey(name)) {
                    errors.add(path + "." + name + ": not a field of " + record.getSimpleName());
                }
            }
            for (RecordComponent field : fields.values()) {
                JsonNode value = node.get(field.getName());
                String at = path + "." + field.getName();
                if (value == null || value.isNull()) {
                    if (field.isAnnotationPresent(Required.class)) {
                        errors.add(at + ": required");
                    }
                    continue;
                }
                check(value, field.getGenericType(), at, errors);
                constraints(field, value, at, errors);
            }
        } else {
            errors.add(path + ": the schema has no rule for " + type);
        }
    }

    private static void constraints(RecordComponent field, JsonNode value, String path, List<String> errors) {
        OneOf oneOf = field.getAnnotation(OneOf.class);
        if (oneOf != null && value.isTextual() && !Set.of(oneOf.value()).contains(value.asText())) {
            errors.add(path + ": '" + value.asText() + "' is not one of " + List.of(oneOf.value()));
        }
        Format format = field.getAnnotation(Format.class);
        if (format == null) {
            return;
        }
        if (value.isTextual() && !format.value().isEmpty() && !value.asText().matches(format.value())) {
            errors.add(path + ": '" + value.asText() + "' does not match " + format.value());
        }
        if (value.isIntegralNumber() && (value.asLong() < format.min() || value.asLong() > format.max())) {
            errors.add(path + ": " + value.asLong() + " is outside [" + format.min() + ", " + format.max() + "]");
        }
    }

    private static boolean expect(boolean ok, String path, String what, JsonNode node, List<String> errors) {
        if (!ok) {
            errors.add(path + ": expected " + what + ", found " + node.getNodeType().toString().toLowerCase());
        }
        return ok;
    }
}
