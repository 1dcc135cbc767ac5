package io.gatehouse.expr.context;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code context.Variables}: values set by {@code set-variable} for this request. Expressions read it
 * (indexer, ContainsKey, TryGetValue, GetValueOrDefault&lt;T&gt;); policies write it with {@link #set}.
 */
public final class Variables {
    private Map<String, Object> values = Map.of(); // a map of its own from the first set: most requests set none

    public Variables set(String name, Object value) {
        if (values.isEmpty() && !(values instanceof LinkedHashMap)) {
            values = new LinkedHashMap<>();
        }
        values.put(name, value);
        return this;
    }

    public boolean remove(String name) {
        return !values.isEmpty() && values.remove(name) != null;
    }

    public boolean containsKey(String name) {
        return name != null && values.containsKey(name);
    }

    /** The value or null; the expression indexer throws KeyNotFound for a missing name instead. */
    public Object get(String name) {
        return name == null ? null : values.get(name);
    }

    public int count() {
        return values.size();
    }

    /** A read-only view, for traces and tests. */
    public Map<String, Object> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }
}
