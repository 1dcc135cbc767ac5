package io.gatehouse.expr.lib;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Newtonsoft.Json's {@code JToken}: the small JSON model policy expressions use for
 * {@code Body.As<JObject>()} and {@code new JObject(...)}. {@link #toString()} prints indented
 * like Newtonsoft ({@code Formatting.Indented}, two spaces); {@link #toString(boolean)} with false
 * prints compactly ({@code Formatting.None}).
 */
public abstract sealed class JToken permits JValue, JObject, JArray, JProperty {
    /**
     * The container holding this token, as Newtonsoft's {@code Parent}: a JObject's property values have their
     * JProperty as parent and the JProperty has the JObject; array items have the JArray. Set only by the containers,
     * which copy a token that already has a parent instead of sharing it ({@link #adopt}).
     */
    JToken parent;

    /** Newtonsoft.Json's {@code JsonException}: a change the token model does not allow. */
    public static final class JsonException extends RuntimeException {
        public JsonException(String message) {
            super(message, null, false, false);
        }
    }

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

    public final JToken parent() {
        return parent;
    }

    /** The topmost ancestor, or this token. */
    public final JToken root() {
        JToken t = this;
        while (t.parent != null) {
            t = t.parent;
        }
        return t;
    }

    /**
     * The token a container takes for {@code v}, as Newtonsoft's EnsureParentToken: a token that already has a
     * parent, or that is the container or its root, is copied; the result's parent is the container.
     */
    static JToken adopt(JToken container, Object v) {
        JToken t = from(v);
        if (t.parent != null || t == container || t == container.root()) {
            t = t.deepClone();
        }
        t.parent = container;
        return t;
    }

    private static ArrayList<JToken> siblings(JToken t) {
        return t.parent == null ? null : new ArrayList<>(t.parent.children());
    }

    private static int indexIn(List<JToken> list, JToken t) {
        for (int k = 0; k < list.size(); k++) {
            if (list.get(k) == t) {
                return k;
            }
        }
        return -1;
    }

    /** The next sibling in the parent, or null (a property's value has none). */
    public final JToken next() {
        List<JToken> sib = siblings(this);
        if (sib == null || parent instanceof JProperty) {
            return null;
        }
        int k = indexIn(sib, this);
        return k + 1 < sib.size() ? sib.get(k + 1) : null;
    }

    /** The previous sibling in the parent, or null. */
    public final JToken previous() {
        List<JToken> sib = siblings(this);
        if (sib == null || parent instanceof JProperty) {
            return null;
        }
        int k = indexIn(sib, this);
        return k > 0 ? sib.get(k - 1) : null;
    }

    /**
     * Newtonsoft's {@code Path}: from the root, each JProperty's name ({@code .name}, or {@code ['name']} when the
     * name holds a character JSONPath treats specially) and each array position ({@code [i]}); "" for a root.
     */
    public final String path() {
        if (parent == null) {
            return "";
        }
        List<Object> parts = new ArrayList<>();
        JToken previous = null;
        for (JToken cur = this; cur != null; cur = cur.parent) {
            if (cur instanceof JProperty p) {
                parts.add(p.name());
            } else if (cur instanceof JArray a && previous != null) {
                parts.add(indexIn(a.items(), previous));
            }
            previous = cur;
        }
        java.util.Collections.reverse(parts);
        StringBuilder sb = new StringBuilder();
        for (Object part : parts) {
            if (part instanceof Integer i) {
                sb.append('[').append(i).append(']');
            } else {
                String name = (String) part;
                if (needsEscaping(name)) {
                    sb.append("['");
                    for (int k = 0; k < name.length(); k++) {
                        char c = name.charAt(k);
                        switch (c) {
                            case '\'' -> sb.append("\\'");
                            case '\\' -> sb.append("\\\\");
                            case '\n' -> sb.append("\\n");
                            case '\r' -> sb.append("\\r");
                            case '\t' -> sb.append("\\t");
                            case '\f' -> sb.append("\\f");
                            case '\b' -> sb.append("\\b");
                            default -> {
                                if (c < ' ' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                                    sb.append(String.format("\\u%04x", (int) c));
                                } else {
                                    sb.append(c);
                                }
                            }
                        }
                    }
                    sb.append("']");
                } else {
                    if (sb.length() > 0) {
                        sb.append('.');
                    }
                    sb.append(name);
                }
            }
        }
        return sb.toString();
    }

    private static boolean needsEscaping(String name) {
        for (int k = 0; k < name.length(); k++) {
            if (".'/\"[]() \t\n\r\f\b\\\u0085\u2028\u2029".indexOf(name.charAt(k)) >= 0) {
                return true;
            }
        }
        return false;
    }

    private JToken parentOrFail() {
        if (parent == null) {
            throw new IllegalStateException("The parent is missing.");
        }
        return parent;
    }

    /** Newtonsoft's {@code Remove()}: takes this token out of its parent. */
    public final void remove() {
        JToken p = parentOrFail();
        switch (p) {
            case JArray a -> a.items().remove(indexIn(a.items(), this));
            case JObject o -> o.removeProperty((JProperty) this);
            default -> throw new JsonException("Cannot add or remove items from Newtonsoft.Json.Linq.JProperty.");
        }
    }

    /** Newtonsoft's {@code Replace(value)}: puts {@code value} (copied when it has a parent) where this token is. */
    public final void replace(Object value) {
        JToken p = parentOrFail();
        switch (p) {
            case JArray a -> a.items().set(indexIn(a.items(), this), from(value));
            case JObject o -> o.replaceProperty((JProperty) this, value);
            case JProperty jp -> jp.value(from(value));
            default -> throw new IllegalStateException("The parent is missing.");
        }
    }

    /** Newtonsoft's {@code AddAfterSelf(content)} and {@code AddBeforeSelf(content)}. */
    public final void addBeside(Object content, boolean after) {
        JToken p = parentOrFail();
        switch (p) {
            case JArray a -> a.insert(indexIn(a.items(), this) + (after ? 1 : 0), content);
            case JObject o -> o.insert(indexIn(o.children(), this) + (after ? 1 : 0), content);
            default -> throw new JsonException("Newtonsoft.Json.Linq.JProperty cannot have multiple values.");
        }
    }

    /** Every token below this one, depth first in document order (a property, then its value's tokens). */
    public final List<JToken> descendants() {
        List<JToken> out = new ArrayList<>();
        descend(this, out);
        return out;
    }

    private static void descend(JToken t, List<JToken> out) {
        if (t instanceof JValue) {
            return;
        }
        for (JToken c : t.children()) {
            out.add(c);
            descend(c, out);
        }
    }

    /** Content as Newtonsoft's containers take it: a JToken or value is one item; any other collection, its items. */
    static List<Object> contentItems(Object content) {
        if (content instanceof JToken || content instanceof String || content instanceof byte[] || content == null
                || content instanceof java.util.Map<?, ?>) {
            List<Object> one = new ArrayList<>(1);
            one.add(content);
            return one;
        }
        if (content instanceof Object[] arr) {
            return java.util.Arrays.asList(arr);
        }
        if (content instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEach(out::add);
            return out;
        }
        List<Object> one = new ArrayList<>(1);
        one.add(content);
        return one;
    }

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
