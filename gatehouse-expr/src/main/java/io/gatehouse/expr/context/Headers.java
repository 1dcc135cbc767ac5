package io.gatehouse.expr.context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP headers as APIM exposes them ({@code IReadOnlyDictionary<string, string[]>}): names match
 * case-insensitively, keep the order they were first added, and each name holds one or more values.
 * The gateway fills it with {@link #add}/{@link #set}, or {@link #seed}s it with the request's
 * headers, which are copied in only when something reads or changes them; expressions read it.
 */
public final class Headers {
    private LinkedHashMap<String, Map.Entry<String, List<String>>> map; // made on first use: most are never read
    private Iterable<? extends Map.Entry<String, String>> seed; // the content came from it
    private boolean pending;   // the seed is not copied in yet
    private boolean changed;   // the content was changed since seeding

    /**
     * Takes {@code source} (name, value pairs in order) as the content, copied in on first use:
     * most policies never look at most requests' headers. The caller must not change
     * {@code source} while this object is in use.
     */
    public Headers seed(Iterable<? extends Map.Entry<String, String>> source) {
        if (map != null) {
            map.clear();
        }
        seed = source;
        pending = true;
        changed = false;
        return this;
    }

    /**
     * True when the content is still exactly the seed's, read perhaps but never changed: the
     * gateway may then send the seed itself on, without copying it back.
     */
    public boolean sameAsSeed() {
        return seed != null && !changed;
    }

    /** What {@link #seed} was given, or null. */
    public Iterable<? extends Map.Entry<String, String>> seedSource() {
        return seed;
    }

    private LinkedHashMap<String, Map.Entry<String, List<String>>> read() {
        if (map == null) {
            map = new LinkedHashMap<>();
        }
        if (pending) {
            pending = false;
            for (Map.Entry<String, String> e : seed) {
                map.computeIfAbsent(key(e.getKey()), k -> Map.entry(e.getKey(), new ArrayList<>())).getValue().add(e.getValue());
            }
        }
        return map;
    }

    private LinkedHashMap<String, Map.Entry<String, List<String>>> write() {
        read();
        changed = true;
        return map;
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    /** Replaces every value of the header. */
    public Headers set(String name, String... values) {
        write().put(key(name), Map.entry(name, new ArrayList<>(List.of(values))));
        return this;
    }

    /** Appends a value, keeping earlier ones. */
    public Headers add(String name, String value) {
        write().computeIfAbsent(key(name), k -> Map.entry(name, new ArrayList<>())).getValue().add(value);
        return this;
    }

    public boolean remove(String name) {
        return write().remove(key(name)) != null;
    }

    /** The values, or null when absent (the expression indexer throws KeyNotFound instead). */
    public String[] values(String name) {
        Map.Entry<String, List<String>> e = read().get(key(name));
        return e == null ? null : e.getValue().toArray(String[]::new);
    }

    public boolean containsKey(String name) {
        return name != null && read().containsKey(key(name));
    }

    /** APIM's {@code GetValueOrDefault(name, default)}: the values joined with "," or the default. */
    public String getValueOrDefault(String name, String defaultValue) {
        Map.Entry<String, List<String>> e = name == null ? null : read().get(key(name));
        return e == null ? defaultValue : String.join(",", e.getValue());
    }

    public int count() {
        if (map == null && !pending) {
            return 0; // never seeded nor written: no map made to say so
        }
        return read().size();
    }

    /** Header names as first added. */
    public List<String> keys() {
        return read().values().stream().map(Map.Entry::getKey).toList();
    }

    /** (name, values) pairs in order; a copy. */
    public List<Map.Entry<String, List<String>>> entries() {
        return read().values().stream().map(e -> Map.entry(e.getKey(), List.copyOf(e.getValue()))).toList();
    }

    @Override
    public String toString() {
        return "Headers" + keys();
    }
}
