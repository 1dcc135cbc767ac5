package io.gatehouse.expr.lib;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A JSON object: ordered properties; the indexer returns null for a missing name, as Newtonsoft does. */
public final class JObject extends JToken {
    private final LinkedHashMap<String, JToken> props = new LinkedHashMap<>();

    public Map<String, JToken> properties() {
        return props;
    }

    @Override
    public Type type() {
        return Type.Object;
    }

    @Override
    public List<JToken> children() {
        List<JToken> out = new ArrayList<>(props.size());
        props.forEach((k, v) -> out.add(new JProperty(k, v).owner(this)));
        return out;
    }

    @Override
    public JToken get(Object key) {
        if (key instanceof String s) {
            return props.get(s);
        }
        return super.get(key);
    }

    @Override
    public void set(Object key, JToken value) {
        if (!(key instanceof String s)) {
            super.set(key, value);
            return;
        }
        props.put(s, JToken.from(value));
    }

    /** Adds a property; a duplicate name fails as in Newtonsoft. */
    public void add(String name, Object value) {
        if (props.containsKey(name)) {
            throw new IllegalArgumentException(
                    "Can not add property " + name + " to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object.");
        }
        props.put(name, JToken.from(value));
    }

    /** Adds a JProperty (the only token a JObject may hold directly). */
    public void addToken(Object content) {
        if (content instanceof JProperty p) {
            add(p.name(), p.value());
        } else if (content instanceof Iterable<?> it) {
            for (Object o : it) {
                addToken(o);
            }
        } else if (content instanceof Object[] arr) {
            for (Object o : arr) {
                addToken(o);
            }
        } else if (content instanceof JObject o) {
            o.children().forEach(this::addToken);
        } else {
            throw new IllegalArgumentException("Can not add " + (content == null ? "null" : Dotnet.typeName(content))
                    + " to Newtonsoft.Json.Linq.JObject.");
        }
    }

    public boolean remove(String name) {
        return props.remove(name) != null;
    }

    public JProperty property(String name) {
        JToken v = props.get(name);
        return v == null ? null : new JProperty(name, v).owner(this);
    }

    public int count() {
        return props.size();
    }

    @Override
    public JToken deepClone() {
        JObject o = new JObject();
        props.forEach((k, v) -> o.props.put(k, v.deepClone()));
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JObject j && j.props.equals(props);
    }

    @Override
    public int hashCode() {
        return props.hashCode();
    }
}
