package io.gatehouse.expr.lib;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A name/value pair inside a {@link JObject}. */
public final class JProperty extends JToken {
    private final String name;
    private JToken value;

    public JProperty(String name, Object value) {
        this.name = requireNonNull(name, "name");
        this.value = JToken.from(value);
    }

    public String name() {
        return name;
    }

    public JToken value() {
        return value;
    }

    public void value(JToken v) {
        this.value = JToken.from(v);
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
