package io.gatehouse.policy.elements.liquid;

import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.Json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The value model templates work on: null, String, Boolean, Long, Double, BigDecimal, List, Map,
 * {@link Drop} and {@link DateTime}; with Liquid's truthiness (only nil and false are false),
 * comparison and output rules.
 */
final class Values {
    private Values() {
    }

    /** A sentinel for the {@code empty} literal. */
    static final Object EMPTY = new Object() {
        @Override
        public String toString() {
            return "empty";
        }
    };

    /** A sentinel for the {@code blank} literal. */
    static final Object BLANK = new Object() {
        @Override
        public String toString() {
            return "blank";
        }
    };

    static boolean truthy(Object v) {
        return v != null && !Boolean.FALSE.equals(v);
    }

    /** How a value prints: nil as nothing, lists concatenated, maps as JSON, numbers as .NET prints them. */
    static String str(Object v) {
        if (v == null || v == EMPTY || v == BLANK) {
            return "";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof Double d) {
            return Dotnet.formatDouble(d);
        }
        if (v instanceof BigDecimal d) {
            return d.stripTrailingZeros().scale() <= 0 ? d.setScale(0).toPlainString() : d.stripTrailingZeros().toPlainString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder();
            for (Object o : l) {
                sb.append(str(o));
            }
            return sb.toString();
        }
        if (v instanceof Drop d) {
            return d.text();
        }
        if (v instanceof DateTime d) {
            return d.format("MM/dd/yyyy HH:mm:ss");
        }
        if (v instanceof XmlBody.Element e && !e.toString().isEmpty()) {
            return e.toString();
        }
        if (v instanceof Map<?, ?> m) {
            return json(m);
        }
        return Dotnet.toStr(v);
    }

    private static String json(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(Json.quoted(String.valueOf(e.getKey()))).append(':').append(json(e.getValue()));
            }
            return sb.append('}').toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(json(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof BigDecimal) {
            return str(v);
        }
        return Json.quoted(str(v));
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof BigDecimal || v instanceof Integer;
    }

    /** A number from a number or numeric string (Liquid's math filters accept both); null when not numeric. */
    static Number number(Object v) {
        if (v instanceof Integer i) {
            return (long) i;
        }
        if (isNumber(v)) {
            return (Number) v;
        }
        if (v instanceof String s) {
            String t = s.strip();
            try {
                if (t.matches("-?\\d{1,18}")) {
                    return Long.parseLong(t);
                }
                return new BigDecimal(t);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    static BigDecimal decimal(Number n) {
        return n instanceof BigDecimal d ? d : n instanceof Long l ? BigDecimal.valueOf(l) : new BigDecimal(n.toString());
    }

    /** Liquid {@code ==}: numbers by value, {@code empty}/{@code blank} by emptiness, the rest by equals. */
    static boolean equal(Object a, Object b) {
        if (a == EMPTY || a == BLANK) {
            return equal(b, a);
        }
        if (b == EMPTY) {
            return isEmpty(a);
        }
        if (b == BLANK) {
            return a == null || Boolean.FALSE.equals(a) || isEmpty(a) || (a instanceof String s && s.isBlank());
        }
        if (a == null || b == null) {
            return a == b;
        }
        if (isNumber(a) && isNumber(b)) {
            return decimal(number(a)).compareTo(decimal(number(b))) == 0;
        }
        return a.equals(b);
    }

    private static boolean isEmpty(Object a) {
        return a instanceof String s && s.isEmpty() || a instanceof Collection<?> c && c.isEmpty() || a instanceof Map<?, ?> m && m.isEmpty();
    }

    /** Compares numbers by value and strings ordinally; anything else cannot be ordered (null). */
    static Integer compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            return decimal(number(a)).compareTo(decimal(number(b)));
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        if (a instanceof DateTime x && b instanceof DateTime y) {
            return x.compareTo(y);
        }
        return null;
    }

    static boolean contains(Object a, Object b) {
        if (a instanceof String s) {
            return b != null && s.contains(str(b));
        }
        if (a instanceof List<?> l) {
            for (Object o : l) {
                if (equal(o, b)) {
                    return true;
                }
            }
            return false;
        }
        if (a instanceof Map<?, ?> m) {
            return b != null && m.containsKey(str(b));
        }
        return false;
    }

    /** Reads {@code key} of {@code target}: map keys (exact, then ignoring case), drop members, list indexes and size/first/last. */
    static Object member(Object target, Object key) {
        if (target == null || key == null) {
            return null;
        }
        if (target instanceof Map<?, ?> m) {
            String k = str(key);
            if (m.containsKey(k)) {
                return m.get(k);
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (String.valueOf(e.getKey()).equalsIgnoreCase(k)) {
                    return e.getValue();
                }
            }
            return switch (k) {
                case "size", "Size" -> (long) m.size();
                default -> null;
            };
        }
        if (target instanceof Drop d) {
            return d.member(str(key));
        }
        if (target instanceof List<?> l) {
            if (isNumber(key)) {
                long i = number(key).longValue();
                if (i < 0) {
                    i += l.size();
                }
                return i >= 0 && i < l.size() ? l.get((int) i) : null;
            }
            return switch (str(key).toLowerCase(Locale.ROOT)) {
                case "size", "count" -> (long) l.size();
                case "first" -> l.isEmpty() ? null : l.get(0);
                case "last" -> l.isEmpty() ? null : l.get(l.size() - 1);
                default -> null;
            };
        }
        if (target instanceof String s && (key.equals("size") || key.equals("Size") || key.equals("Length"))) {
            return (long) s.length();
        }
        return null;
    }

    /** The items a {@code for} loop walks: a list, an XML element as one item, a map's [key, value] pairs. */
    static List<Object> iterable(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof XmlBody.Element) {
            return List.of(v);
        }
        if (v instanceof Map<?, ?> m) {
            List<Object> out = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.add(List.of(String.valueOf(e.getKey()), e.getValue() == null ? "" : e.getValue()));
            }
            return out;
        }
        if (v instanceof String s && !s.isEmpty()) {
            return List.of(s);
        }
        return List.of();
    }
}
