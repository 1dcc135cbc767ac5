package io.gatehouse.expr.lib;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A name/value pair inside a {@link JObject}. */
public final class JProperty extends JToken {
    private final String name;
    private JToken value;
    /** The object this property was read from, so that {@code Remove()} can take it out again. */
    private JObject owner;

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

    JProperty owner(JObject o) {
        this.owner = o;
        return this;
    }

    /** Newtonsoft's {@code JProperty.Remove()}: takes this property out of the object it came from. */
    public void remove() {
        if (owner == null) {
            throw new IllegalStateException("The parent is missing.");
        }
        owner.remove(name);
        owner = null;
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
