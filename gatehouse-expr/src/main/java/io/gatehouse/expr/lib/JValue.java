package io.gatehouse.expr.lib;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/** A JSON primitive: String, Long, Double, BigDecimal, Boolean or null. */
public final class JValue extends JToken {
    private final Object value;

    public JValue(Object value) {
        this.value = value instanceof Integer i ? Long.valueOf(i) : value;
    }

    @SuppressWarnings("checkstyle:MethodName")
    public static JValue NULL_VALUE() {
        return new JValue(null);
    }

    public Object value() {
        return value;
    }

    @Override
    public Type type() {
        if (value == null) {
            return Type.Null;
        }
        if (value instanceof String) {
            return Type.String;
        }
        if (value instanceof Boolean) {
            return Type.Boolean;
        }
        if (value instanceof Long) {
            return Type.Integer;
        }
        return Type.Float;
    }

    @Override
    public List<JToken> children() {
        return List.of();
    }

    @Override
    public JToken deepClone() {
        return new JValue(value);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof JValue v)) {
            return false;
        }
        if (value instanceof Number a && v.value instanceof Number b) {
            return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString())) == 0;
        }
        return Objects.equals(value, v.value);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(value);
    }
}
