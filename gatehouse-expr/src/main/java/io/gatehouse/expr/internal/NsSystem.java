package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Crypto.DotnetRandom;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Uri;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static io.gatehouse.expr.internal.Args.d;
import static io.gatehouse.expr.internal.Args.format;
import static io.gatehouse.expr.internal.Args.i;
import static io.gatehouse.expr.internal.Args.n;
import static io.gatehouse.expr.internal.Args.s;
import static io.gatehouse.expr.internal.Args.sb;

/**
 * {@code System}: the members every value has, the numeric types (Parse, TryParse, MinValue/MaxValue),
 * {@code Math}, {@code Convert}, {@code BitConverter}, {@code Guid}, {@code Random}, {@code Uri}, exceptions and
 * the {@code Array} statics. {@code string} is {@link NsSystemString}; dates and times are {@link NsSystemDateTime}.
 */
final class NsSystem {
    private static final Type B = Type.BOOL;
    private static final Type BA = Type.BYTE_ARRAY;
    private static final Type D = Type.DOUBLE;
    private static final Type I = Type.INT;
    private static final Type L = Type.LONG;
    private static final Type M = Type.DECIMAL;
    private static final Type O = Type.OBJECT;
    private static final Type S = Type.STRING;

    private NsSystem() {
    }

    /** Every value. */
    static void registerObject(Library l) {
        Members m = l.m;
        m.method("object", "ToString", S, (o, a, t) -> Dotnet.toStr(o));
        m.method("object", "Equals", B, (o, a, t) -> Ops.equal(o, a[0]), O);
        m.method("object", "GetHashCode", I, (o, a, t) -> o.hashCode());
        for (Type n : new Type[] {I, L, D, M, Type.BYTE}) {
            m.method(n, "ToString", S, (o, a, t) -> fmt(o, s(a[0])), S);
            m.method(n, "ToString", S, (o, a, t) -> cultureNumber(o, s(a[0]), a[1]), S, l.tCulture);
            m.method(n, "ToString", S, (o, a, t) -> cultureNumber(o, "", a[0]), l.tCulture);
            m.method(n, "CompareTo", I, (o, a, t) -> Operator.LT.compare(o, a[0]) ? -1 : Ops.equal(o, a[0]) ? 0 : 1, n);
        }
        m.method(B, "CompareTo", I, (o, a, t) -> Boolean.compare((Boolean) o, (Boolean) a[0]), B);
    }

    /** Numbers: Parse, TryParse, MinValue/MaxValue. */
    static void registerNumbers(Library l) {
        Members m = l.m;
        numberStatics(m, "Int32", I, Integer.MIN_VALUE, Integer.MAX_VALUE);
        numberStatics(m, "Int64", L, Long.MIN_VALUE, Long.MAX_VALUE);
        numberStatics(m, "Double", D, -Double.MAX_VALUE, Double.MAX_VALUE);
        numberStatics(m, "Decimal", M, new BigDecimal("-79228162514264337593543950335"), new BigDecimal("79228162514264337593543950335"));
        l.staticProp("Double", "NaN", D, o -> Double.NaN);
        l.staticProp("Double", "PositiveInfinity", D, o -> Double.POSITIVE_INFINITY);
        l.staticProp("Double", "NegativeInfinity", D, o -> Double.NEGATIVE_INFINITY);
        m.method("static:Double", "IsNaN", B, (o, a, t) -> Double.isNaN(d(a[0])), D);
        m.method("static:Boolean", "Parse", B, (o, a, t) -> parseBool(s(a[0])), S);
        m.outMethod("static:Boolean", "TryParse", B, 1, B, (o, a, t) -> {
            try {
                ((Object[]) a[1])[0] = parseBool(s(a[0]));
                return true;
            } catch (ExpressionException e) {
                ((Object[]) a[1])[0] = false;
                return false;
            }
        }, S, O);
        l.staticProp("Boolean", "TrueString", S, o -> "True");
        l.staticProp("Boolean", "FalseString", S, o -> "False");
    }

    /** Math. */
    static void registerMath(Library l) {
        Members m = l.m;
        String math = "static:Math";
        m.method(math, "Abs", I, (o, a, t) -> {
            int v = i(a[0]);
            if (v == Integer.MIN_VALUE) {
                throw new ExpressionException("System.OverflowException", "Negating the minimum value of a twos complement number is invalid.");
            }
            return Math.abs(v);
        }, I);
        m.method(math, "Abs", L, (o, a, t) -> Math.abs(Ops.asLong(a[0])), L);
        m.method(math, "Abs", D, (o, a, t) -> Math.abs(d(a[0])), D);
        m.method(math, "Abs", M, (o, a, t) -> ((BigDecimal) a[0]).abs(), M);
        for (String name : new String[] {"Min", "Max"}) {
            boolean min = name.equals("Min");
            for (Type n : new Type[] {I, L, D, M}) {
                m.method(math, name, n, (o, a, t) -> Operator.LT.compare(a[0], a[1]) == min ? a[0] : a[1], n, n);
            }
        }
        m.method(math, "Round", D, (o, a, t) -> Math.rint(d(a[0])), D);
        m.method(math, "Round", D, (o, a, t) -> round(d(a[0]), i(a[1])), D, I);
        m.method(math, "Round", M, (o, a, t) -> ((BigDecimal) a[0]).setScale(0, RoundingMode.HALF_EVEN), M);
        m.method(math, "Round", M, (o, a, t) -> ((BigDecimal) a[0]).setScale(i(a[1]), RoundingMode.HALF_EVEN), M, I);
        m.method(math, "Floor", D, (o, a, t) -> Math.floor(d(a[0])), D);
        m.method(math, "Floor", M, (o, a, t) -> ((BigDecimal) a[0]).setScale(0, RoundingMode.FLOOR), M);
        m.method(math, "Ceiling", D, (o, a, t) -> Math.ceil(d(a[0])), D);
        m.method(math, "Ceiling", M, (o, a, t) -> ((BigDecimal) a[0]).setScale(0, RoundingMode.CEILING), M);
        m.method(math, "Truncate", D, (o, a, t) -> d(a[0]) < 0 ? Math.ceil(d(a[0])) : Math.floor(d(a[0])), D);
        m.method(math, "Pow", D, (o, a, t) -> Math.pow(d(a[0]), d(a[1])), D, D);
        m.method(math, "Sqrt", D, (o, a, t) -> Math.sqrt(d(a[0])), D);
        m.method(math, "Log", D, (o, a, t) -> Math.log(d(a[0])), D);
        m.method(math, "Log10", D, (o, a, t) -> Math.log10(d(a[0])), D);
        m.method(math, "Exp", D, (o, a, t) -> Math.exp(d(a[0])), D);
        m.method(math, "Sign", I, (o, a, t) -> (int) Math.signum(d(a[0])), D);
        l.staticProp("Math", "PI", D, o -> Math.PI);
        l.staticProp("Math", "E", D, o -> Math.E);
    }

    /** Convert. */
    static void registerConvert(Library l) {
        Members m = l.m;
        String cv = "static:Convert";
        m.method(cv, "ToBase64String", S, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("inArray");
            }
            return Base64.getEncoder().encodeToString((byte[]) a[0]);
        }, Type.BYTE_ARRAY);
        m.method(cv, "FromBase64String", Type.BYTE_ARRAY, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("s");
            }
            try {
                return Base64.getDecoder().decode(s(a[0]).replaceAll("\\s", ""));
            } catch (IllegalArgumentException e) {
                throw format("The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters.");
            }
        }, S);
        m.method(cv, "ToHexString", S, (o, a, t) -> java.util.HexFormat.of().withUpperCase().formatHex((byte[]) a[0]), Type.BYTE_ARRAY);
        m.method(cv, "FromHexString", Type.BYTE_ARRAY, (o, a, t) -> {
            try {
                return java.util.HexFormat.of().parseHex(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format("The input is not a valid hex string as it contains a non-hex character.");
            }
        }, S);
        m.method(cv, "ToInt32", I, (o, a, t) -> toNumber(a[0], I), O);
        m.method(cv, "ToInt32", I, (o, a, t) -> {
            try {
                return (int) Long.parseLong(s(a[0]).replaceFirst("^0[xX]", ""), i(a[1]));
            } catch (NumberFormatException e) {
                throw format("Could not find any recognizable digits.");
            }
        }, S, I);
        m.method(cv, "ToInt64", L, (o, a, t) -> toNumber(a[0], L), O);
        m.method(cv, "ToDouble", D, (o, a, t) -> toNumber(a[0], D), O);
        m.method(cv, "ToDecimal", M, (o, a, t) -> toNumber(a[0], M), O);
        m.method(cv, "ToString", S, (o, a, t) -> a[0] == null ? "" : Dotnet.toStr(a[0]), O);
        m.method(cv, "ToBoolean", B, (o, a, t) -> {
            Object v = a[0] instanceof JValue jv ? jv.value() : a[0];
            if (v == null) {
                return false;
            }
            if (v instanceof Boolean b) {
                return b;
            }
            if (v instanceof String x) {
                return parseBool(x);
            }
            if (Ops.kind(v) >= 0) {
                return Ops.asDouble(v) != 0;
            }
            throw ExpressionException.invalidCast();
        }, O);
    }

    /** BitConverter. */
    static void registerBitConverter(Library l) {
        Members m = l.m;
        String bc = "static:BitConverter";
        m.method(bc, "ToString", S, (o, a, t) -> {
            byte[] b = (byte[]) a[0];
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < b.length; k++) {
                if (k > 0) {
                    sb.append('-');
                }
                sb.append(String.format("%02X", b[k] & 0xff));
            }
            return sb.toString();
        }, Type.BYTE_ARRAY);
        m.method(bc, "GetBytes", Type.BYTE_ARRAY, (o, a, t) -> ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i(a[0])).array(), I);
        m.method(bc, "GetBytes", Type.BYTE_ARRAY, (o, a, t) -> ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Ops.asLong(a[0])).array(), L);
        m.method(bc, "ToInt32", I, (o, a, t) -> {
            byte[] b = (byte[]) a[0];
            int off = i(a[1]);
            if (off < 0 || off + 4 > b.length) {
                throw Ops.outOfRange("startIndex", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }, Type.BYTE_ARRAY, I);
    }

    /** Guid. */
    static void registerGuid(Library l) {
        Members m = l.m;
        String g = "static:Guid";
        m.method(g, "NewGuid", l.tGuid, (o, a, t) -> Guid.newGuid());
        m.method(g, "Parse", l.tGuid, (o, a, t) -> {
            try {
                return Guid.parse(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format(e.getMessage());
            }
        }, S);
        m.outMethod(g, "TryParse", B, 1, l.tGuid, (o, a, t) -> {
            try {
                ((Object[]) a[1])[0] = Guid.parse(s(a[0]));
                return true;
            } catch (RuntimeException e) {
                ((Object[]) a[1])[0] = Guid.EMPTY;
                return false;
            }
        }, S, O);
        l.staticProp("Guid", "Empty", l.tGuid, o -> Guid.EMPTY);
        m.method(l.tGuid, "ToString", S, (o, a, t) -> {
            try {
                return ((Guid) o).format(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format(e.getMessage());
            }
        }, S);
        m.method("new:Guid", ".ctor", l.tGuid, (o, a, t) -> {
            try {
                return Guid.parse(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format(e.getMessage());
            }
        }, S);
    }

    static void registerUri(Library l) {
        Members m = l.m;
        uri(l, m);
    }

    /** System.Random. */
    static void registerRandom(Library l) {
        Members m = l.m;
        Type rnd = m.type("Random", DotnetRandom.class);
        m.method("new:Random", ".ctor", rnd, (o, a, x) -> new DotnetRandom());
        m.method("new:Random", ".ctor", rnd, (o, a, x) -> new DotnetRandom(Ops.asInt(a[0])), I);
        m.method(rnd, "Next", I, (o, a, x) -> ((DotnetRandom) o).next());
        m.method(rnd, "Next", I, (o, a, x) -> argumentGuard(() -> ((DotnetRandom) o).next(Ops.asInt(a[0]))), I);
        m.method(rnd, "Next", I, (o, a, x) -> argumentGuard(() -> ((DotnetRandom) o).next(Ops.asInt(a[0]), Ops.asInt(a[1]))), I, I);
        m.method(rnd, "NextDouble", Type.DOUBLE, (o, a, x) -> ((DotnetRandom) o).nextDouble());
    }

    /** Guid bytes, in .NET's mixed-endian layout. */
    static void registerGuidBytes(Library l) {
        Members m = l.m;
        m.method(l.tGuid, "ToByteArray", BA, (o, a, x) -> guidBytes((Guid) o));
        m.method("new:Guid", ".ctor", l.tGuid, (o, a, x) -> guidOf(NsSystemSecurityCryptography.bytes(a[0], "b")), BA);
    }

    /** Convert.ToByte / ToInt16 / ToChar. */
    static void registerConvertNarrowing(Library l) {
        Members m = l.m;
        String cv = "static:Convert";
        m.method(cv, "ToByte", Type.BYTE, (o, a, x) -> checkedRange(a[0], 0, 255, "Byte"), Type.OBJECT);
        m.method(cv, "ToInt16", I, (o, a, x) -> checkedRange(a[0], Short.MIN_VALUE, Short.MAX_VALUE, "Int16"), Type.OBJECT);
        m.method(cv, "ToChar", Type.CHAR, (o, a, x) -> (char) (int) checkedRange(a[0], 0, 65535, "Char"), Type.INT);
    }

    /** Math.Round with MidpointRounding. */
    static void registerMathRound(Library l) {
        Members m = l.m;
        Type mr = m.type("MidpointRounding", java.math.RoundingMode.class);
        l.staticName("MidpointRounding", "MidpointRounding");
        java.util.Map<String, java.math.RoundingMode> modes = new java.util.LinkedHashMap<>();
        modes.put("ToEven", java.math.RoundingMode.HALF_EVEN);
        modes.put("AwayFromZero", java.math.RoundingMode.HALF_UP);
        modes.put("ToZero", java.math.RoundingMode.DOWN);
        modes.put("ToNegativeInfinity", java.math.RoundingMode.FLOOR);
        modes.put("ToPositiveInfinity", java.math.RoundingMode.CEILING);
        modes.forEach((n, rm) -> l.staticProp("MidpointRounding", n, mr, o -> rm));
        m.method("static:Math", "Round", Type.DOUBLE, (o, a, x) -> roundDouble(Ops.asDouble(a[0]), 0, (java.math.RoundingMode) a[1]), Type.DOUBLE, mr);
        m.method("static:Math", "Round", Type.DOUBLE, (o, a, x) -> roundDouble(Ops.asDouble(a[0]), Ops.asInt(a[1]), (java.math.RoundingMode) a[2]), Type.DOUBLE, I, mr);
        m.method("static:Math", "Round", Type.DECIMAL, (o, a, x) -> ((java.math.BigDecimal) a[0]).setScale(0, (java.math.RoundingMode) a[1]), Type.DECIMAL, mr);
        m.method("static:Math", "Round", Type.DECIMAL, (o, a, x) -> ((java.math.BigDecimal) a[0]).setScale(Ops.asInt(a[1]), (java.math.RoundingMode) a[2]), Type.DECIMAL, I, mr);
    }

    /** Exceptions (caught with catch, made with new Exception(message)). */
    static void registerExceptions(Library l) {
        Members m = l.m;
        Type ex = l.tException;
        m.prop(ex, "Message", S, o -> ((ExpressionException) o).getMessage());
        m.prop(ex, "InnerException", ex, o -> null);
        m.prop(ex, "StackTrace", S, o -> "");
        m.prop(ex, "Source", S, o -> "Gatehouse.PolicyExpression");
        m.method(ex, "ToString", S, (o, a, x) -> ((ExpressionException) o).dotNetType() + ": " + ((ExpressionException) o).getMessage());
    }

    /** Array statics that need no lambda. */
    static void registerArray(Library l) {
        Members m = l.m;
        l.staticName("Array", "Array");
        String ar = "static:Array";
        m.method(ar, "Copy", Type.VOID, (o, a, x) -> {
            arrayCopy(a[0], 0, a[1], 0, Ops.asInt(a[2]));
            return null;
        }, Type.OBJECT, Type.OBJECT, I);
        m.method(ar, "Copy", Type.VOID, (o, a, x) -> {
            arrayCopy(a[0], Ops.asInt(a[1]), a[2], Ops.asInt(a[3]), Ops.asInt(a[4]));
            return null;
        }, Type.OBJECT, I, Type.OBJECT, I, I);
        m.method(ar, "IndexOf", I, (o, a, x) -> {
            java.util.List<Object> items = Ops.seq(a[0]);
            for (int k = 0; k < items.size(); k++) {
                if (Ops.equal(items.get(k), a[1])) {
                    return k;
                }
            }
            return -1;
        }, Type.OBJECT, Type.OBJECT);
        m.method(ar, "Reverse", Type.VOID, (o, a, x) -> {
            reverse(a[0]);
            return null;
        }, Type.OBJECT);
    }

    private static String fmt(Object o, String format) {
        try {
            return Dotnet.formatValue(o, format);
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static double round(double v, int digits) {
        if (digits < 0 || digits > 15) {
            throw Ops.outOfRange("digits", "Rounding digits must be between 0 and 15, inclusive.");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    static boolean parseBool(String s) {
        if (s == null) {
            throw Ops.argNull("value");
        }
        String t = s.trim();
        if (t.equalsIgnoreCase("true")) {
            return true;
        }
        if (t.equalsIgnoreCase("false")) {
            return false;
        }
        throw format("String '" + s + "' was not recognized as a valid Boolean.");
    }

    /** int.Parse and friends: invariant culture, leading/trailing white space allowed. */
    static Object parseNumber(String s, Type t) {
        if (s == null) {
            throw Ops.argNull("s");
        }
        String x = s.trim();
        try {
            if (t == Type.INT || t == Type.LONG) {
                long v = Long.parseLong(x.startsWith("+") ? x.substring(1) : x);
                if (t == Type.INT) {
                    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                        throw new ExpressionException("System.OverflowException", "Value was either too large or too small for an Int32.");
                    }
                    return (int) v;
                }
                return v;
            }
            if (x.isEmpty() || !x.matches("[+-]?(\\d[\\d,]*)?(\\.\\d*)?([eE][+-]?\\d+)?")) {
                throw ExpressionException.format();
            }
            BigDecimal bd = new BigDecimal(x.replace(",", ""));
            return t == Type.DOUBLE ? (Object) bd.doubleValue() : bd;
        } catch (NumberFormatException e) {
            if (t == Type.LONG && x.matches("[+-]?\\d+")) {
                throw new ExpressionException("System.OverflowException", "Value was either too large or too small for an Int64.");
            }
            throw new ExpressionException("System.FormatException", "The input string '" + s + "' was not in a correct format.");
        }
    }

    static Object toNumber(Object v, Type t) {
        if (v instanceof JValue jv) {
            v = jv.value();
        }
        if (v == null) {
            return Conv.zero(t);
        }
        if (v instanceof String s) {
            return parseNumber(s, t);
        }
        if (v instanceof Boolean b) {
            return Conv.numeric(b ? 1 : 0, t);
        }
        if (Ops.kind(v) >= 0) {
            if (v instanceof Double dd && (t == Type.INT || t == Type.LONG)) {
                double r = Math.rint(dd);
                if (t == Type.INT && (r > Integer.MAX_VALUE || r < Integer.MIN_VALUE)) {
                    throw new ExpressionException("System.OverflowException", "Value was either too large or too small for an Int32.");
                }
                return Conv.numeric(r, t);
            }
            if (v instanceof BigDecimal bd && (t == Type.INT || t == Type.LONG)) {
                return Conv.numeric(bd.setScale(0, RoundingMode.HALF_EVEN), t);
            }
            return Conv.numeric(v, t);
        }
        throw ExpressionException.invalidCast();
    }

    private static void numberStatics(Members m, String owner, Type t, Object min, Object max) {
        String so = "static:" + owner;
        m.prop(so, "MinValue", t, o -> min);
        m.prop(so, "MaxValue", t, o -> max);
        m.method(so, "Parse", t, (o, a, x) -> parseNumber(s(a[0]), t), Type.STRING);
        m.method(so, "Parse", t, (o, a, x) -> {
            io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(a[1]);
            return parseNumber(c == null || a[0] == null ? s(a[0]) : c.invariantNumber(s(a[0])), t);
        }, Type.STRING, Type.OBJECT);
        m.outMethod(so, "TryParse", Type.BOOL, 1, t, (o, a, x) -> {
            try {
                ((Object[]) a[1])[0] = a[0] == null ? Conv.zero(t) : parseNumber(s(a[0]), t);
                return a[0] != null;
            } catch (ExpressionException e) {
                ((Object[]) a[1])[0] = Conv.zero(t);
                return false;
            }
        }, Type.STRING, Type.OBJECT);
    }

    /** {@code n.ToString(format, provider)}: the invariant text, then the culture's separators or currency. */
    static String cultureNumber(Object o, String format, Object provider) {
        String inv = format.isEmpty() ? Dotnet.toStr(o) : fmt(o, format);
        io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(provider);
        return c == null ? inv : c.number(o, format, inv);
    }

    private static void uri(Library l, Members m) {
        Type S = Type.STRING;
        Type U = l.tUri;
        m.method("new:Uri", ".ctor", U, (o, a, t) -> {
            try {
                return new Uri(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.UriFormatException", e.getMessage());
            }
        }, S);
        m.method("static:Uri", "EscapeDataString", S, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("stringToEscape");
            }
            return java.net.URLEncoder.encode(s(a[0]), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("+", "%20").replace("%7E", "~").replace("*", "%2A");
        }, S);
        m.method("static:Uri", "UnescapeDataString", S, (o, a, t) -> {
            try {
                return java.net.URLDecoder.decode(s(a[0]).replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return s(a[0]);
            }
        }, S);
        m.outMethod("static:Uri", "TryCreate", Type.BOOL, 2, U, (o, a, t) -> {
            try {
                ((Object[]) a[2])[0] = new Uri(s(a[0]));
                return true;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }, S, Type.OBJECT, Type.OBJECT);
        l.staticProp("UriKind", "Absolute", Type.INT, o -> 1);
        m.prop(U, "Scheme", S, o -> ((Uri) o).scheme());
        m.prop(U, "Host", S, o -> ((Uri) o).host());
        m.prop(U, "Port", Type.INT, o -> ((Uri) o).port());
        m.prop(U, "AbsolutePath", S, o -> ((Uri) o).absolutePath());
        m.prop(U, "AbsoluteUri", S, o -> ((Uri) o).absoluteUri());
        m.prop(U, "PathAndQuery", S, o -> ((Uri) o).pathAndQuery());
        m.prop(U, "Query", S, o -> ((Uri) o).query());
        m.prop(U, "Fragment", S, o -> ((Uri) o).fragment());
        m.prop(U, "Authority", S, o -> ((Uri) o).authority());
        m.prop(U, "Segments", Type.STRING_ARRAY, o -> ((Uri) o).segments());
        m.prop(U, "IsAbsoluteUri", Type.BOOL, o -> true);
    }

    private static double roundDouble(double v, int digits, java.math.RoundingMode mode) {
        if (digits < 0 || digits > 15) {
            throw Ops.outOfRange("digits", "Rounding digits must be between 0 and 15, inclusive.");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        return new java.math.BigDecimal(v).setScale(digits, mode).doubleValue();
    }

    private static Object argumentGuard(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    private static int checkedRange(Object v, long min, long max, String type) {
        if (v == null) {
            return 0;
        }
        long n;
        if (v instanceof String str) {
            try {
                n = Long.parseLong(str.trim());
            } catch (NumberFormatException e) {
                throw new ExpressionException("System.FormatException", "The input string '" + str + "' was not in a correct format.");
            }
        } else if (v instanceof Character c) {
            n = c;
        } else if (Ops.kind(v) >= 0) {
            double d = Ops.asDouble(v);
            n = Math.round(d);
            if (Math.abs(d - Math.floor(d) - 0.5) < 1e-12) {
                n = (long) Math.rint(d);
            }
        } else {
            throw ExpressionException.invalidCast();
        }
        if (n < min || n > max) {
            throw new ExpressionException("System.OverflowException", "Value was either too large or too small for "
                    + (type.equals("Byte") ? "an unsigned byte" : type.equals("Char") ? "a character" : "an Int16") + ".");
        }
        return (int) n;
    }

    private static void arrayCopy(Object src, int si, Object dst, int di, int n) {
        if (src == null) {
            throw Ops.argNull("sourceArray");
        }
        if (dst == null) {
            throw Ops.argNull("destinationArray");
        }
        int sl = java.lang.reflect.Array.getLength(src);
        int dl = java.lang.reflect.Array.getLength(dst);
        if (si < 0 || di < 0 || n < 0 || si + n > sl || di + n > dl) {
            throw new ExpressionException("System.ArgumentException",
                    "Source array was not long enough. Check the source index, length, and the array's lower bounds.");
        }
        if (src.getClass() != dst.getClass()) {
            throw new ExpressionException("System.ArrayTypeMismatchException",
                    "Source array type cannot be assigned to destination array type.");
        }
        System.arraycopy(src, si, dst, di, n);
    }

    private static void reverse(Object arr) {
        if (arr instanceof byte[] b) {
            for (int i = 0, j = b.length - 1; i < j; i++, j--) {
                byte t = b[i];
                b[i] = b[j];
                b[j] = t;
            }
        } else if (arr instanceof Object[] a) {
            java.util.Collections.reverse(java.util.Arrays.asList(a));
        } else if (arr == null) {
            throw Ops.argNull("array");
        }
    }

    static byte[] guidBytes(Guid g) {
        UUID u = g.uuid();
        return swapGuidFields(ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array());
    }

    static Guid guidOf(byte[] b) {
        if (b.length != 16) {
            throw new ExpressionException("System.ArgumentException", "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')");
        }
        ByteBuffer buf = ByteBuffer.wrap(swapGuidFields(b)).order(ByteOrder.BIG_ENDIAN);
        return new Guid(new UUID(buf.getLong(), buf.getLong()));
    }

    /**
     * A copy with the byte order of a GUID's first three fields reversed: .NET stores them
     * little-endian, a UUID big-endian. The same swap goes either way.
     */
    private static byte[] swapGuidFields(byte[] b) {
        byte[] out = b.clone();
        out[0] = b[3];
        out[1] = b[2];
        out[2] = b[1];
        out[3] = b[0];
        out[4] = b[5];
        out[5] = b[4];
        out[6] = b[7];
        out[7] = b[6];
        return out;
    }
}
