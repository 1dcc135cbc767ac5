package io.gatehouse.expr.lib;

import java.math.BigDecimal;
import java.util.List;

/**
 * Newtonsoft.Json's {@code JToken}: the small JSON model policy expressions use for
 * {@code Body.As<JObject>()} and {@code new JObject(...)}. {@link #toString()} prints indented
 * like Newtonsoft ({@code Formatting.Indented}, two spaces); {@link #toString(boolean)} with false
 * prints compactly ({@code Formatting.None}).
 */
public abstract sealed class JToken permits JValue, JObject, JArray, JProperty {
    public enum Type { Object, Array, Property, String, Integer, Float, Boolean, Null }

    public abstract Type type();

    /** Children for iteration and LINQ: array items, object properties, property value. */
    public abstract List<JToken> children();

    /** Indexer: property by name on an object, item by position on an array. */
    public JToken get(Object key) {
        throw new IllegalArgumentException(
                "Accessed " + getClass().getSimpleName() + " values with invalid key value: " + key + ".");
    }

    public void set(Object key, JToken value) {
        throw new IllegalArgumentException(
                "Set " + getClass().getSimpleName() + " values with invalid key value: " + key + ".");
    }

    public abstract JToken deepClone();

    public final String toString(boolean indented) {
        StringBuilder sb = new StringBuilder();
        Json.write(this, sb, indented, 0);
        return sb.toString();
    }

    @Override
    public String toString() {
        return toString(true);
    }

    /** Wraps a Java value (String, Boolean, Number, JToken, null) as a token, as Newtonsoft's FromObject. */
    public static JToken from(Object v) {
        if (v instanceof JToken t) {
            return t;
        }
        if (v == null) {
            return JValue.NULL_VALUE();
        }
        if (v instanceof String || v instanceof Boolean || v instanceof BigDecimal || v instanceof Double) {
            return new JValue(v);
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return new JValue(((Number) v).longValue());
        }
        if (v instanceof Float f) {
            return new JValue(f.doubleValue());
        }
        if (v instanceof Character c) {
            return new JValue(c.toString());
        }
        if (v instanceof byte[] b) {
            return new JValue(java.util.Base64.getEncoder().encodeToString(b));
        }
        if (v instanceof java.util.Map<?, ?> map) {
            JObject o = new JObject();
            map.forEach((k, val) -> o.add(String.valueOf(k), from(val)));
            return o;
        }
        if (v instanceof Object[] arr) {
            JArray a = new JArray();
            for (Object o : arr) {
                a.add(from(o));
            }
            return a;
        }
        if (v instanceof Iterable<?> it) {
            JArray a = new JArray();
            for (Object o : it) {
                a.add(from(o));
            }
            return a;
        }
        return new JValue(Dotnet.toStr(v));
    }

    public static JToken parse(String text) {
        return Json.parse(text);
    }
}
