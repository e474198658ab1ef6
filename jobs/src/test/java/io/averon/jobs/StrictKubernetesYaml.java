package io.averon.jobs;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads Kubernetes YAML into fabric8 kubernetes-model objects and refuses anything the model does not know. Jackson's
 * FAIL_ON_UNKNOWN_PROPERTIES alone does not do it: every fabric8 model class collects unknown fields in an
 * {@code additionalProperties} map (so that newer API fields survive a round trip), which is why the whole object
 * tree is walked afterwards and any non-empty such map is reported with its path.
 */
final class StrictKubernetesYaml {
    static final ObjectMapper YAML = new YAMLMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private StrictKubernetesYaml() {
    }

    static <T> T read(Path file, Class<T> type) throws IOException {
        return convert(YAML.readTree(Files.readString(file)), type, file.toString());
    }

    static <T> T convert(JsonNode node, Class<T> type, String where) throws IOException {
        T value = YAML.treeToValue(node, type);
        List<String> unknown = new ArrayList<>();
        walk(value, where, unknown);
        if (!unknown.isEmpty()) {
            throw new IOException("fields the Kubernetes model does not have: " + unknown);
        }
        return value;
    }

    private static void walk(Object value, String path, List<String> unknown) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, unknown));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
            } else {
                String property = getter.getName().replaceFirst("^(get|is)", "");
                walk(child, path + "." + Character.toLowerCase(property.charAt(0)) + property.substring(1), unknown);
            }
        }
    }
}
