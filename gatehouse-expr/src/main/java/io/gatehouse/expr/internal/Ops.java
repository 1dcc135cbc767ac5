package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Run-time helpers shared by operators, conversions and the library: numeric kinds, equality, truth, enumeration, the string limit. */
public final class Ops {
    /** Longest string an expression may build (guards memory: a doubling loop hits this, not OOM). */
    public static final int MAX_STRING = 4 * 1024 * 1024;

    private Ops() {
    }

    public static ExpressionException divideByZero() {
        return new ExpressionException("System.DivideByZeroException", "Attempted to divide by zero.");
    }

    /** How many arguments a C# {@code params object[]} method (string.Format, new JObject(...)) takes here. */
    static final int MAX_PARAMS = 24;

    static ExpressionException argNull(String param) {
        return new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter '" + param + "')");
    }

    static ExpressionException outOfRange(String param, String msg) {
        return new ExpressionException("System.ArgumentOutOfRangeException", msg + " (Parameter '" + param + "')");
    }

    static String checkLength(String s) {
        if (s.length() > MAX_STRING) {
            throw tooLong();
        }
        return s;
    }

    static ExpressionException tooLong() {
        return new LimitExceededException("System.OutOfMemoryException",
                "The expression built a string longer than " + MAX_STRING + " characters.");
    }

    /** Numeric kind of a runtime value: 0 int, 1 long, 2 double, 3 decimal, -1 not a number. */
    static int kind(Object v) {
        if (v instanceof Integer || v instanceof Character || v instanceof Short || v instanceof Byte) {
            return 0;
        }
        if (v instanceof Long) {
            return 1;
        }
        if (v instanceof Double || v instanceof Float) {
            return 2;
        }
        if (v instanceof BigDecimal) {
            return 3;
        }
        return -1;
    }

    static int asInt(Object v) {
        return v instanceof Character c ? c : ((Number) v).intValue();
    }

    static long asLong(Object v) {
        return v instanceof Character c ? c : ((Number) v).longValue();
    }

    static double asDouble(Object v) {
        return v instanceof Character c ? c : ((Number) v).doubleValue();
    }

    static BigDecimal asDecimal(Object v) {
        if (v instanceof BigDecimal d) {
            return d;
        }
        if (v instanceof Double || v instanceof Float) {
            return new BigDecimal(Double.toString(((Number) v).doubleValue()));
        }
        return BigDecimal.valueOf(asLong(v));
    }

    public static String concat(Object a, Object b) {
        String sa = Dotnet.toStr(a);
        String sb = Dotnet.toStr(b);
        if ((long) sa.length() + sb.length() > MAX_STRING) {
            throw tooLong();
        }
        return sa.concat(sb);
    }

    /** C# == : numbers by value, strings ordinally, value types by value, others by identity-or-equals. */
    public static boolean equal(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        int ka = kind(a);
        int kb = kind(b);
        if (ka >= 0 && kb >= 0) {
            int k = Math.max(ka, kb);
            return switch (k) {
                case 0 -> asInt(a) == asInt(b);
                case 1 -> asLong(a) == asLong(b);
                case 2 -> asDouble(a) == asDouble(b);
                default -> asDecimal(a).compareTo(asDecimal(b)) == 0;
            };
        }
        if (a instanceof JToken && b instanceof JToken) {
            return a == b;
        }
        return a.equals(b);
    }

    /**
     * A hash key with .NET's default equality ({@code EqualityComparer<object>.Default}), for the LINQ operators that
     * hash: decimals by value (1.0M equals 1.00M), 0.0 equals -0.0, JTokens by reference, others by Java equals
     * (boxed values of different types differ, as .NET's Equals does). Not for null.
     */
    static Object hashKey(Object v) {
        if (v instanceof BigDecimal d) {
            return d.signum() == 0 ? BigDecimal.ZERO : d.stripTrailingZeros();
        }
        if (v instanceof Double d && d == 0.0) {
            return 0.0;
        }
        if (v instanceof JToken t) {
            return new IdentityKey(t);
        }
        return v;
    }

    private record IdentityKey(Object ref) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IdentityKey k && k.ref == ref;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(ref);
        }
    }

    public static boolean truth(Object v) {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v == null) {
            throw new ExpressionException("System.InvalidOperationException", "Nullable object must have a value.");
        }
        if (v instanceof JValue j && j.value() instanceof Boolean b) {
            return b;
        }
        throw ExpressionException.invalidCast();
    }

    /** Elements of anything C# can foreach over. */
    public static List<Object> seq(Object v) {
        if (v == null) {
            throw ExpressionException.nullReference();
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Object[] a) {
            return new ArrayList<>(Arrays.asList(a));
        }
        if (v instanceof byte[] b) {
            List<Object> out = new ArrayList<>(b.length);
            for (byte x : b) {
                out.add(x & 0xff);
            }
            return out;
        }
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>(s.length());
            for (int k = 0; k < s.length(); k++) {
                out.add(s.charAt(k));
            }
            return out;
        }
        if (v instanceof JArray a) {
            return new ArrayList<>(a.items());
        }
        if (v instanceof JObject o) {
            return new ArrayList<>(o.children());
        }
        if (v instanceof JToken t) {
            return new ArrayList<>(t.children());
        }
        if (v instanceof io.gatehouse.expr.context.Headers h) {
            List<Object> out = new ArrayList<>();
            for (var e : h.entries()) {
                out.add(java.util.Map.entry(e.getKey(), e.getValue().toArray(String[]::new)));
            }
            return out;
        }
        if (v instanceof io.gatehouse.expr.context.Variables vars) {
            return new ArrayList<>(vars.asMap().entrySet());
        }
        if (v instanceof java.util.Map<?, ?> map) {
            return new ArrayList<>(map.entrySet());
        }
        if (v instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            it.forEach(out::add);
            return out;
        }
        throw ExpressionException.invalidCast();
    }

    public static boolean sameKey(Object a, Object b) {
        return Objects.equals(a, b) || equal(a, b);
    }
}
