package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.TimeSpan;
import io.gatehouse.expr.lib.Xml;

import java.math.BigDecimal;
import java.util.List;

/** Conversions between static types: implicit (numeric widening), explicit casts, type tests. */
public final class Conv {
    private Conv() {
    }

    /** Wraps n so its value has the run-time class of {@code to} (only numeric widening changes anything). */
    public static Planner.Node implicit(Planner.Node n, Type from, Type to) {
        if (from == to || !to.isNumeric() || !from.isNumeric() || from == Type.ERROR) {
            return n;
        }
        if (to.rank() == 0 && from.rank() == 0 && to != Type.CHAR) {
            if (from == Type.CHAR) {
                return env -> {
                    Object v = n.eval(env);
                    return v instanceof Character c ? (Object) (int) c : v;
                };
            }
            return n;
        }
        return env -> numeric(n.eval(env), to);
    }

    static Object numeric(Object v, Type to) {
        if (v == null) {
            return null;
        }
        return switch (to.rank()) {
            case 0 -> to == Type.CHAR ? (Object) (char) Ops.asInt(v) : (Object) explicitInt(v);
            case 1 -> explicitLong(v);
            case 2 -> Ops.asDouble(v);
            default -> Ops.asDecimal(v);
        };
    }

    private static int explicitInt(Object v) {
        if (v instanceof Double d) {
            return (int) (long) d.doubleValue();
        }
        if (v instanceof BigDecimal d) {
            return d.intValue();
        }
        return Ops.asInt(v);
    }

    private static long explicitLong(Object v) {
        if (v instanceof BigDecimal d) {
            return d.longValue();
        }
        if (v instanceof Double d) {
            return (long) d.doubleValue();
        }
        return Ops.asLong(v);
    }

    /** The default value of a type: 0, false, '\0', or null. */
    public static Object zero(Type t) {
        if (t == Type.INT || t == Type.BYTE) {
            return 0;
        }
        if (t == Type.LONG) {
            return 0L;
        }
        if (t == Type.DOUBLE) {
            return 0.0;
        }
        if (t == Type.DECIMAL) {
            return BigDecimal.ZERO;
        }
        if (t == Type.BOOL) {
            return false;
        }
        if (t == Type.CHAR) {
            return '\0';
        }
        if (t.name().equals("DateTime")) {
            return DateTime.MIN_VALUE;
        }
        if (t.name().equals("TimeSpan")) {
            return TimeSpan.ZERO;
        }
        return null;
    }

    public static Object toArray(Object[] vals, Type elem) {
        if (elem == Type.STRING) {
            String[] out = new String[vals.length];
            for (int k = 0; k < vals.length; k++) {
                out[k] = (String) vals[k];
            }
            return out;
        }
        if (elem == Type.BYTE) {
            byte[] out = new byte[vals.length];
            for (int k = 0; k < vals.length; k++) {
                out[k] = (byte) Ops.asInt(vals[k]);
            }
            return out;
        }
        return vals;
    }

    public static boolean isInstance(Object v, Type t) {
        if (v == null) {
            return false;
        }
        if (t.isDynamic()) {
            return true;
        }
        if (t == Type.INT) {
            return v instanceof Integer;
        }
        if (t == Type.BYTE) {
            return v instanceof Integer i && i >= 0 && i <= 255;
        }
        if (t.isList()) {
            return v instanceof List<?>;
        }
        return t.cls().isInstance(v);
    }

    /**
     * C#'s explicit conversion {@code (T)v}. With {@code unbox}, v came from a dynamic (object) value
     * and a number must already be of exactly that type, as unboxing in .NET requires.
     */
    public static Object cast(Object v, Type to, boolean unbox) {
        if (v == null || to.isDynamic()) {
            return v;
        }
        if (v instanceof JValue jv && !(JToken.class.isAssignableFrom(to.cls()))) {
            return fromJValue(jv, to);
        }
        if ((v instanceof Xml.XElement || v instanceof Xml.XAttribute) && (to == Type.STRING || to == Type.BOOL || to.isNumeric())) {
            return fromXml(v instanceof Xml.XElement e ? e.value() : ((Xml.XAttribute) v).value(), to);
        }
        if (to.isNumeric()) {
            int k = Ops.kind(v);
            if (k < 0) {
                throw ExpressionException.invalidCast();
            }
            if (unbox && !to.cls().isInstance(v) && !(to == Type.BYTE && v instanceof Integer)) {
                throw ExpressionException.invalidCast();
            }
            return numeric(v, to);
        }
        if (JToken.class.isAssignableFrom(to.cls()) && !(v instanceof JToken)) {
            if (v instanceof String || v instanceof Boolean || Ops.kind(v) >= 0) {
                JToken t = JToken.from(v);
                if (to.cls().isInstance(t)) {
                    return t;
                }
            }
            throw ExpressionException.invalidCast();
        }
        if (isInstance(v, to)) {
            return v;
        }
        throw ExpressionException.invalidCast();
    }

    /**
     * The explicit conversions of XElement and XAttribute ({@code (string)e}, {@code (int)a}, {@code (bool)e} ...):
     * the node's value read as XmlConvert reads it (invariant culture, surrounding white space allowed,
     * booleans "true"/"false"/"1"/"0", doubles with "INF"/"-INF"/"NaN").
     */
    private static Object fromXml(String s, Type to) {
        if (to == Type.STRING) {
            return s;
        }
        String t = s.strip();
        try {
            if (to == Type.BOOL) {
                return switch (t.toLowerCase(java.util.Locale.ROOT)) {
                    case "true", "1" -> true;
                    case "false", "0" -> false;
                    default -> throw new NumberFormatException();
                };
            }
            if (to == Type.INT || to == Type.LONG || to == Type.BYTE) {
                if (!t.matches("[+-]?[0-9]+")) {
                    throw new NumberFormatException();
                }
                long n = Long.parseLong(t);
                if (to == Type.INT && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) || to == Type.BYTE && (n < 0 || n > 255)) {
                    throw new ExpressionException("System.OverflowException",
                            "Value was either too large or too small for " + (to == Type.BYTE ? "an unsigned byte." : "an Int32."));
                }
                return to == Type.LONG ? (Object) n : (Object) (int) n;
            }
            if (to == Type.DOUBLE) {
                return switch (t) {
                    case "INF" -> Double.POSITIVE_INFINITY;
                    case "-INF" -> Double.NEGATIVE_INFINITY;
                    case "NaN" -> Double.NaN;
                    default -> {
                        if (!t.matches("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                            throw new NumberFormatException();
                        }
                        yield Double.parseDouble(t);
                    }
                };
            }
            if (to == Type.DECIMAL) {
                if (!t.matches("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)")) {
                    throw new NumberFormatException();
                }
                return new BigDecimal(t);
            }
        } catch (NumberFormatException e) {
            throw Args.format("The input string '" + s + "' was not in a correct format.");
        }
        throw ExpressionException.invalidCast();
    }

    private static Object fromJValue(JValue jv, Type to) {
        Object o = jv.value();
        if (o == null) {
            if (to.isValueType()) {
                throw ExpressionException.argument("Can not convert Null to " + to.name() + ".");
            }
            return null;
        }
        if (to == Type.STRING) {
            return Dotnet.toStr(jv);
        }
        if (to.isNumeric()) {
            if (o instanceof String s) {
                try {
                    return numeric(new BigDecimal(s.trim()), to);
                } catch (NumberFormatException e) {
                    throw ExpressionException.format();
                }
            }
            if (o instanceof Boolean b) {
                return numeric(b ? 1 : 0, to);
            }
            return numeric(o, to);
        }
        if (to == Type.BOOL) {
            if (o instanceof Boolean b) {
                return b;
            }
            if (o instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
                return Boolean.parseBoolean(s);
            }
            if (Ops.kind(o) >= 0) {
                return Ops.asDouble(o) != 0;
            }
            throw ExpressionException.format();
        }
        if (to.name().equals("DateTime") && o instanceof String s) {
            try {
                return DateTime.parse(s);
            } catch (IllegalArgumentException e) {
                throw ExpressionException.format();
            }
        }
        if (isInstance(o, to)) {
            return o;
        }
        throw ExpressionException.invalidCast();
    }
}
