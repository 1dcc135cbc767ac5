package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.TimeSpan;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Run-time semantics of operators and conversions, following C# and .NET. */
public final class Ops {
    /** Longest string an expression may build (guards memory: a doubling loop hits this, not OOM). */
    public static final int MAX_STRING = 4 * 1024 * 1024;
    private static final MathContext DEC = new MathContext(28, RoundingMode.HALF_EVEN);

    private Ops() {
    }

    public static ExpressionException divideByZero() {
        return new ExpressionException("System.DivideByZeroException", "Attempted to divide by zero.");
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

    private static ExpressionException badOperands(String op, Object a, Object b) {
        return new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                "Operator '" + op + "' cannot be applied to operands of type '" + Dotnet.typeName(a) + "' and '"
                        + Dotnet.typeName(b) + "'");
    }

    public static Object add(Object a, Object b) {
        if (a instanceof String || b instanceof String) {
            return concat(a, b);
        }
        int ka = kind(a);
        int kb = kind(b);
        if (ka >= 0 && kb >= 0) {
            return switch (Math.max(ka, kb)) {
                case 0 -> asInt(a) + asInt(b);
                case 1 -> asLong(a) + asLong(b);
                case 2 -> asDouble(a) + asDouble(b);
                default -> checkDecimal(asDecimal(a).add(asDecimal(b)));
            };
        }
        if (a instanceof DateTime d && b instanceof TimeSpan t) {
            return d.add(t);
        }
        if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
            return x.add(y);
        }
        if (a == null || b == null) {
            return null;
        }
        throw badOperands("+", a, b);
    }

    public static String concat(Object a, Object b) {
        String sa = Dotnet.toStr(a);
        String sb = Dotnet.toStr(b);
        if ((long) sa.length() + sb.length() > MAX_STRING) {
            throw tooLong();
        }
        return sa.concat(sb);
    }

    private static BigDecimal checkDecimal(BigDecimal d) {
        if (d.precision() - d.scale() > 29) {
            throw new ExpressionException("System.OverflowException", "Value was either too large or too small for a Decimal.");
        }
        return d;
    }

    public static Object arith(String op, Object a, Object b) {
        if (op.equals("+")) {
            return add(a, b);
        }
        if (op.equals("-")) {
            if (a instanceof DateTime x && b instanceof DateTime y) {
                return x.subtract(y);
            }
            if (a instanceof DateTime x && b instanceof TimeSpan y) {
                return x.subtract(y);
            }
            if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
                return x.subtract(y);
            }
        }
        int ka = kind(a);
        int kb = kind(b);
        if (ka < 0 || kb < 0) {
            if (a == null || b == null) {
                return null;
            }
            throw badOperands(op, a, b);
        }
        int k = Math.max(ka, kb);
        switch (k) {
            case 0 -> {
                int x = asInt(a);
                int y = asInt(b);
                return switch (op) {
                    case "-" -> x - y;
                    case "*" -> x * y;
                    case "/" -> {
                        if (y == 0) {
                            throw divideByZero();
                        }
                        yield x / y;
                    }
                    case "%" -> {
                        if (y == 0) {
                            throw divideByZero();
                        }
                        yield x % y;
                    }
                    default -> throw badOperands(op, a, b);
                };
            }
            case 1 -> {
                long x = asLong(a);
                long y = asLong(b);
                return switch (op) {
                    case "-" -> x - y;
                    case "*" -> x * y;
                    case "/" -> {
                        if (y == 0) {
                            throw divideByZero();
                        }
                        yield x / y;
                    }
                    case "%" -> {
                        if (y == 0) {
                            throw divideByZero();
                        }
                        yield x % y;
                    }
                    default -> throw badOperands(op, a, b);
                };
            }
            case 2 -> {
                double x = asDouble(a);
                double y = asDouble(b);
                return switch (op) {
                    case "-" -> x - y;
                    case "*" -> x * y;
                    case "/" -> x / y;
                    case "%" -> x % y;
                    default -> throw badOperands(op, a, b);
                };
            }
            default -> {
                BigDecimal x = asDecimal(a);
                BigDecimal y = asDecimal(b);
                return switch (op) {
                    case "-" -> checkDecimal(x.subtract(y));
                    case "*" -> checkDecimal(x.multiply(y, DEC));
                    case "/" -> {
                        if (y.signum() == 0) {
                            throw divideByZero();
                        }
                        BigDecimal q = x.divide(y, DEC);
                        yield q.scale() > 0 ? stripTo(q, Math.max(x.scale(), 0)) : q;
                    }
                    case "%" -> {
                        if (y.signum() == 0) {
                            throw divideByZero();
                        }
                        yield x.remainder(y);
                    }
                    default -> throw badOperands(op, a, b);
                };
            }
        }
    }

    private static BigDecimal stripTo(BigDecimal q, int minScale) {
        BigDecimal s = q.stripTrailingZeros();
        return s.scale() < minScale ? s.setScale(minScale) : s;
    }

    private static java.util.Set<io.gatehouse.expr.lib.DotnetEnums.RegexOptions> flags(Object v) {
        if (v instanceof io.gatehouse.expr.lib.DotnetEnums.RegexOptions o) {
            return o == io.gatehouse.expr.lib.DotnetEnums.RegexOptions.None ? java.util.Set.of() : java.util.Set.of(o);
        }
        if (v instanceof io.gatehouse.expr.lib.DotnetEnums.RegexFlags f) {
            return f.options();
        }
        return null;
    }

    public static Object bitwise(String op, Object a, Object b) {
        var fa = flags(a);
        var fb = flags(b);
        if (fa != null && fb != null) {
            var out = java.util.EnumSet.noneOf(io.gatehouse.expr.lib.DotnetEnums.RegexOptions.class);
            out.addAll(fa);
            switch (op) {
                case "|" -> out.addAll(fb);
                case "&" -> out.retainAll(fb);
                default -> {
                    for (var o : fb) {
                        if (!out.remove(o)) {
                            out.add(o);
                        }
                    }
                }
            }
            return new io.gatehouse.expr.lib.DotnetEnums.RegexFlags(out);
        }
        if (a instanceof Boolean x && b instanceof Boolean y) {
            return switch (op) {
                case "&" -> x & y;
                case "|" -> x | y;
                default -> x ^ y;
            };
        }
        int ka = kind(a);
        int kb = kind(b);
        if (ka < 0 || kb < 0 || ka > 1 || kb > 1) {
            throw badOperands(op, a, b);
        }
        if (Math.max(ka, kb) == 0) {
            int x = asInt(a);
            int y = asInt(b);
            return switch (op) {
                case "&" -> x & y;
                case "|" -> x | y;
                default -> x ^ y;
            };
        }
        long x = asLong(a);
        long y = asLong(b);
        return switch (op) {
            case "&" -> x & y;
            case "|" -> x | y;
            default -> x ^ y;
        };
    }

    public static Object shift(String op, Object a, Object b) {
        int ka = kind(a);
        if (ka < 0 || ka > 1 || kind(b) != 0) {
            throw badOperands(op, a, b);
        }
        int n = asInt(b);
        if (ka == 0) {
            int x = asInt(a);
            return op.equals("<<") ? x << n : x >> n;
        }
        long x = asLong(a);
        return op.equals("<<") ? x << n : x >> n;
    }

    public static Object negate(Object v) {
        return switch (kind(v)) {
            case 0 -> -asInt(v);
            case 1 -> -asLong(v);
            case 2 -> -asDouble(v);
            case 3 -> ((BigDecimal) v).negate();
            default -> {
                if (v instanceof TimeSpan t) {
                    yield t.negate();
                }
                throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                        "Operator '-' cannot be applied to operand of type '" + Dotnet.typeName(v) + "'");
            }
        };
    }

    public static Object complement(Object v) {
        return switch (kind(v)) {
            case 0 -> ~asInt(v);
            case 1 -> ~asLong(v);
            default -> throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                    "Operator '~' cannot be applied to operand of type '" + Dotnet.typeName(v) + "'");
        };
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

    /** C# relational operators; a null operand makes the result false (lifted operators). */
    public static boolean compare(String op, Object a, Object b) {
        if (a == null || b == null) {
            return false;
        }
        int c;
        int ka = kind(a);
        int kb = kind(b);
        if (ka >= 0 && kb >= 0) {
            int k = Math.max(ka, kb);
            if (k == 2) {
                double x = asDouble(a);
                double y = asDouble(b);
                return switch (op) {
                    case "<" -> x < y;
                    case ">" -> x > y;
                    case "<=" -> x <= y;
                    default -> x >= y;
                };
            }
            c = switch (k) {
                case 0 -> Integer.compare(asInt(a), asInt(b));
                case 1 -> Long.compare(asLong(a), asLong(b));
                default -> asDecimal(a).compareTo(asDecimal(b));
            };
        } else if (a instanceof DateTime x && b instanceof DateTime y) {
            c = x.compareTo(y);
        } else if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
            c = x.compareTo(y);
        } else {
            throw badOperands(op, a, b);
        }
        return switch (op) {
            case "<" -> c < 0;
            case ">" -> c > 0;
            case "<=" -> c <= 0;
            default -> c >= 0;
        };
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
