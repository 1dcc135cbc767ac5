package io.gatehouse.expr.lib;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A name/value pair inside a {@link JObject}; its value's parent is this property. */
public final class JProperty extends JToken {
    private final String name;
    private JToken value;

    public JProperty(String name, Object value) {
        this.name = requireNonNull(name, "name");
        this.value = adopt(this, value);
    }

    public String name() {
        return name;
    }

    public JToken value() {
        return value;
    }

    /** Sets the value (copied when it has a parent elsewhere); the old value loses its parent. */
    public void value(JToken v) {
        if (v == value) {
            return;
        }
        JToken old = value;
        value = adopt(this, v);
        old.parent = null;
    }

    @Override
    public Type type() {
        return Type.Property;
    }

    @Override
    public List<JToken> children() {
        return List.of(value);
    }

    @Override
    public JToken deepClone() {
        return new JProperty(name, value.deepClone());
    }
}
