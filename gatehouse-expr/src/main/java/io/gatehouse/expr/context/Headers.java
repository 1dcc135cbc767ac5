package io.gatehouse.expr.context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP headers as APIM exposes them ({@code IReadOnlyDictionary<string, string[]>}): names match
 * case-insensitively, keep the order they were first added, and each name holds one or more values.
 * The gateway fills it with {@link #add}/{@link #set}; expressions read it.
 */
public final class Headers {
    private final LinkedHashMap<String, Map.Entry<String, List<String>>> map = new LinkedHashMap<>();

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** Replaces every value of the header. */
    public Headers set(String name, String... values) {
        map.put(key(name), Map.entry(name, new ArrayList<>(List.of(values))));
        return this;
    }

    /** Appends a value, keeping earlier ones. */
    public Headers add(String name, String value) {
        map.computeIfAbsent(key(name), k -> Map.entry(name, new ArrayList<>())).getValue().add(value);
        return this;
    }

    public boolean remove(String name) {
        return map.remove(key(name)) != null;
    }

    /** The values, or null when absent (the expression indexer throws KeyNotFound instead). */
    public String[] values(String name) {
        Map.Entry<String, List<String>> e = map.get(key(name));
        return e == null ? null : e.getValue().toArray(String[]::new);
    }

    public boolean containsKey(String name) {
        return name != null && map.containsKey(key(name));
    }

    /** APIM's {@code GetValueOrDefault(name, default)}: the values joined with "," or the default. */
    public String getValueOrDefault(String name, String defaultValue) {
        Map.Entry<String, List<String>> e = name == null ? null : map.get(key(name));
        return e == null ? defaultValue : String.join(",", e.getValue());
    }

    public int count() {
        return map.size();
    }

    /** Header names as first added. */
    public List<String> keys() {
        return map.values().stream().map(Map.Entry::getKey).toList();
    }

    /** (name, values) pairs in order; a copy. */
    public List<Map.Entry<String, List<String>>> entries() {
        return map.values().stream().map(e -> Map.entry(e.getKey(), List.copyOf(e.getValue()))).toList();
    }

    @Override
    public String toString() {
        return "Headers" + keys();
    }
}
