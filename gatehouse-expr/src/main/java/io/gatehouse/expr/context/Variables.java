package io.gatehouse.expr.context;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code context.Variables}: values set by {@code set-variable} for this request. Expressions read it
 * (indexer, ContainsKey, TryGetValue, GetValueOrDefault&lt;T&gt;); policies write it with {@link #set}.
 */
public final class Variables {
    private final Map<String, Object> values = new LinkedHashMap<>(); // the context makes this object on first use

    public Variables set(String name, Object value) {
        values.put(name, value);
        return this;
    }

    public boolean remove(String name) {
        return values.remove(name) != null;
    }

    public boolean containsKey(String name) {
        return values.containsKey(name);
    }

    /** The value or null; the expression indexer throws KeyNotFound for a missing name instead. */
    public Object get(String name) {
        return values.get(name);
    }

    public int count() {
        return values.size();
    }

    /** A read-only view, for traces and tests. */
    public Map<String, Object> asMap() {
        return java.util.Collections.unmodifiableMap(values);
    }
}
