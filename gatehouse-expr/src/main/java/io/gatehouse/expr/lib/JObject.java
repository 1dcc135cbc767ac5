package io.gatehouse.expr.lib;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON object: ordered properties; the indexer returns null for a missing name, as Newtonsoft does. Its
 * {@link JProperty} tokens are kept (they are the parents of the values), so {@code Parent}, {@code Next} and
 * {@code Path} work as in Newtonsoft.
 */
public final class JObject extends JToken {
    private final List<JProperty> order = new ArrayList<>();
    private final Map<String, JProperty> byName = new HashMap<>();
    private final Map<String, JToken> view = new AbstractMap<>() {
        @Override
        public Set<Entry<String, JToken>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public Iterator<Entry<String, JToken>> iterator() {
                    Iterator<JProperty> it = order.iterator();
                    return new Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return it.hasNext();
                        }

                        @Override
                        public Entry<String, JToken> next() {
                            JProperty p = it.next();
                            return new SimpleImmutableEntry<>(p.name(), p.value());
                        }
                    };
                }

                @Override
                public int size() {
                    return order.size();
                }
            };
        }

        @Override
        public JToken get(Object key) {
            JProperty p = byName.get(key);
            return p == null ? null : p.value();
        }

        @Override
        public boolean containsKey(Object key) {
            return byName.containsKey(key);
        }

        @Override
        public int size() {
            return order.size();
        }
    };

    /** The properties by name, in order: a read-only view (change the object through its methods). */
    public Map<String, JToken> properties() {
        return view;
    }

    @Override
    public Type type() {
        return Type.Object;
    }

    /** The JProperty tokens, in order (a copy). */
    @Override
    public List<JToken> children() {
        return new ArrayList<>(order);
    }

    @Override
    public JToken get(Object key) {
        if (key instanceof String s) {
            JProperty p = byName.get(s);
            return p == null ? null : p.value();
        }
        return super.get(key);
    }

    /** The indexer's setter: replaces the value of an existing property, else adds one at the end. */
    @Override
    public void set(Object key, JToken value) {
        if (!(key instanceof String s)) {
            super.set(key, value);
            return;
        }
        JProperty p = byName.get(s);
        if (p != null) {
            p.value(value);
        } else {
            attach(order.size(), new JProperty(s, value));
        }
    }

    /** Adds a property; a duplicate name fails as in Newtonsoft. */
    public void add(String name, Object value) {
        insert(order.size(), new JProperty(name, value));
    }

    /** Adds JProperty content (the only token a JObject may hold directly): a property, or every property of a collection or object. */
    public void addToken(Object content) {
        insert(order.size(), content);
    }

    /** Inserts JProperty content at a position, as Newtonsoft's JContainer.AddInternal does. */
    public void insert(int index, Object content) {
        int at = index;
        if (content instanceof JObject o) {
            for (JToken c : o.children()) {
                attach(at++, (JProperty) c);
            }
            return;
        }
        for (Object c : contentItems(content)) {
            if (c instanceof JProperty p) {
                attach(at++, p);
            } else if (c instanceof JObject || c instanceof Iterable<?> || c instanceof Object[]) {
                int before = order.size();
                insert(at, c);
                at += order.size() - before;
            } else {
                throw new IllegalArgumentException("Can not add " + contentTypeName(c)
                        + " to Newtonsoft.Json.Linq.JObject.");
            }
        }
    }

    /** The type Newtonsoft names when a JObject refuses content: the token's, or JValue for a plain value (which it wraps first). */
    private static String contentTypeName(Object c) {
        return "Newtonsoft.Json.Linq." + (c instanceof JToken t ? t.getClass().getSimpleName() : "JValue");
    }

    private void attach(int index, JProperty p) {
        JProperty q = p.parent != null || p == root() ? (JProperty) p.deepClone() : p;
        if (byName.containsKey(q.name())) {
            throw new IllegalArgumentException("Can not add property " + q.name()
                    + " to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.");
        }
        q.parent = this;
        order.add(index, q);
        byName.put(q.name(), q);
    }

    public boolean remove(String name) {
        JProperty p = byName.get(name);
        if (p == null) {
            return false;
        }
        removeProperty(p);
        return true;
    }

    void removeProperty(JProperty p) {
        for (int k = 0; k < order.size(); k++) {
            if (order.get(k) == p) {
                order.remove(k);
                byName.remove(p.name());
                p.parent = null;
                return;
            }
        }
    }

    /** Puts a JProperty where {@code old} is; its name must not be another property's. */
    void replaceProperty(JProperty old, Object value) {
        if (!(value instanceof JProperty p)) {
            throw new IllegalArgumentException("Can not add " + contentTypeName(value)
                    + " to Newtonsoft.Json.Linq.JObject.");
        }
        if (p == old) {
            return;
        }
        int index = order.indexOf(old);
        JProperty clash = byName.get(p.name());
        if (clash != null && clash != old) {
            throw new IllegalArgumentException("Can not add property " + p.name()
                    + " to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.");
        }
        removeProperty(old);
        attach(index, p);
    }

    public JProperty property(String name) {
        return byName.get(name);
    }

    public int count() {
        return order.size();
    }

    /**
     * Newtonsoft's {@code Merge(content)} with the default settings: a property missing here is added (copied);
     * where both hold an object they merge, where both hold an array the content's items are appended
     * (MergeArrayHandling.Concat); otherwise the content's value replaces this one unless it is null
     * (MergeNullValueHandling.Ignore).
     */
    public void merge(JObject content) {
        if (content == this) {
            return;
        }
        for (JToken c : content.children()) {
            JProperty cp = (JProperty) c;
            JProperty existing = byName.get(cp.name());
            JToken cv = cp.value();
            if (existing == null) {
                add(cp.name(), cv);
            } else if (existing.value() instanceof JObject eo && cv instanceof JObject co) {
                eo.merge(co);
            } else if (existing.value() instanceof JArray ea && cv instanceof JArray ca) {
                ea.merge(ca);
            } else if (cv.type() != Type.Null) {
                existing.value(cv);
            }
        }
    }

    @Override
    public JToken deepClone() {
        JObject o = new JObject();
        for (JProperty p : order) {
            o.attach(o.order.size(), (JProperty) p.deepClone());
        }
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JObject j && j.view.equals(view);
    }

    @Override
    public int hashCode() {
        return view.hashCode();
    }
}
