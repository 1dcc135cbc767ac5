package io.gatehouse.expr.lib;

import java.util.ArrayList;
import java.util.List;

/** A JSON array. */
public final class JArray extends JToken {
    private final List<JToken> items = new ArrayList<>();

    public List<JToken> items() {
        return items;
    }

    @Override
    public Type type() {
        return Type.Array;
    }

    @Override
    public List<JToken> children() {
        return items;
    }

    @Override
    public JToken get(Object key) {
        if (key instanceof Integer i) {
            if (i < 0 || i >= items.size()) {
                throw new IndexOutOfBoundsException(
                        "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            return items.get(i);
        }
        return super.get(key);
    }

    @Override
    public void set(Object key, JToken value) {
        if (key instanceof Integer i) {
            if (i < 0 || i >= items.size()) {
                throw new IndexOutOfBoundsException(
                        "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            items.set(i, JToken.from(value));
            return;
        }
        super.set(key, value);
    }

    public void add(Object value) {
        items.add(JToken.from(value));
    }

    public int count() {
        return items.size();
    }

    @Override
    public JToken deepClone() {
        JArray a = new JArray();
        items.forEach(t -> a.items.add(t.deepClone()));
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JArray j && j.items.equals(items);
    }

    @Override
    public int hashCode() {
        return items.hashCode();
    }
}
