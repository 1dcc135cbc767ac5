package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.DotNetDayOfWeek;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.CultureInfo;
import io.gatehouse.expr.lib.DotnetEnums.Formatting;
import io.gatehouse.expr.lib.DotnetEnums.RegexOptions;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Json;
import io.gatehouse.expr.lib.RegexMatch;
import io.gatehouse.expr.lib.TextEncoding;
import io.gatehouse.expr.lib.TimeSpan;
import io.gatehouse.expr.lib.Uri;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** DateTime, TimeSpan, Guid, Math, Convert, Encoding, parsing, Regex, Uri, JSON, StringBuilder... */
final class LibTypes {
    private LibTypes() {
    }

    private static String s(Object o) {
        return (String) o;
    }

    private static double d(Object o) {
        return Ops.asDouble(o);
    }

    private static int i(Object o) {
        return Ops.asInt(o);
    }

    private static ExpressionException format(String msg) {
        return new ExpressionException("System.FormatException", msg);
    }

    private static ExpressionException argument(IllegalArgumentException e) {
        return new ExpressionException("System.ArgumentException", e.getMessage());
    }

    static void register(Library l) {
        Members m = l.m;
        Type S = Type.STRING;
        Type I = Type.INT;
        Type L = Type.LONG;
        Type D = Type.DOUBLE;
        Type M = Type.DECIMAL;
        Type B = Type.BOOL;
        Type O = Type.OBJECT;
        Type DT = l.tDateTime;
        Type TS = l.tTimeSpan;

        // ---- every value
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

        // ---- numbers: Parse, TryParse, MinValue/MaxValue
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

        // ---- Math
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

        // ---- Convert
        String cv = "static:Convert";
        m.method(cv, "ToBase64String", S, (o, a, t) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("inArray");
            }
            return Base64.getEncoder().encodeToString((byte[]) a[0]);
        }, Type.BYTE_ARRAY);
        m.method(cv, "FromBase64String", Type.BYTE_ARRAY, (o, a, t) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("s");
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

        // ---- Encoding
        l.staticProp("Encoding", "UTF8", l.tEncoding, o -> TextEncoding.UTF8);
        l.staticProp("Encoding", "ASCII", l.tEncoding, o -> TextEncoding.ASCII);
        l.staticProp("Encoding", "Unicode", l.tEncoding, o -> TextEncoding.UNICODE);
        m.method(l.tEncoding, "GetBytes", Type.BYTE_ARRAY, (o, a, t) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("s");
            }
            return ((TextEncoding) o).getBytes(s(a[0]));
        }, S);
        m.method(l.tEncoding, "GetString", S, (o, a, t) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("bytes");
            }
            byte[] b = (byte[]) a[0];
            return ((TextEncoding) o).getString(b, 0, b.length);
        }, Type.BYTE_ARRAY);
        m.method(l.tEncoding, "GetString", S, (o, a, t) -> {
            byte[] b = (byte[]) a[0];
            int off = i(a[1]);
            int n = i(a[2]);
            if (off < 0 || n < 0 || off + n > b.length) {
                throw LibStrings.range("count", "Index and count must refer to a location within the buffer.");
            }
            return ((TextEncoding) o).getString(b, off, n);
        }, Type.BYTE_ARRAY, I, I);

        // ---- BitConverter
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
                throw LibStrings.range("startIndex", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }, Type.BYTE_ARRAY, I);

        dateTime(l, m, DT, TS);
        timeSpan(l, m, TS);

        // ---- Guid
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

        // ---- enums
        l.enumType("DayOfWeek", l.tDayOfWeek, DotNetDayOfWeek.values());
        l.enumType("DateTimeKind", l.tKind, DateTime.Kind.values());
        l.enumType("Formatting", l.tFormatting, Formatting.values());
        l.enumType("RegexOptions", l.tRegexOptions, RegexOptions.values());
        l.enumType("CultureInfo", l.tCulture, CultureInfo.values());
        l.enumType("JTokenType", l.tJTokenType, JToken.Type.values());

        regex(l, m);
        uri(l, m);
        json(l, m);
        builder(l, m);
        collections(l, m);
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
            throw LibStrings.range("digits", "Rounding digits must be between 0 and 15, inclusive.");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        return new BigDecimal(v).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    static boolean parseBool(String s) {
        if (s == null) {
            throw LibStrings.argNull("value");
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
            throw LibStrings.argNull("s");
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

    private static DateTime dt(Object o) {
        return (DateTime) o;
    }

    private static void dateTime(Library l, Members m, Type DT, Type TS) {
        Type S = Type.STRING;
        Type I = Type.INT;
        Type D = Type.DOUBLE;
        for (String owner : new String[] {"DateTime", "DateTimeOffset"}) {
            l.staticProp(owner, "UtcNow", DT, o -> DateTime.utcNow());
            l.staticProp(owner, "Now", DT, o -> DateTime.utcNow().toLocalTime());
            l.staticProp(owner, "MinValue", DT, o -> DateTime.MIN_VALUE);
            l.staticProp(owner, "MaxValue", DT, o -> DateTime.MAX_VALUE);
            String so = "static:" + owner;
            m.method(so, "Parse", DT, (o, a, t) -> parseDate(s(a[0])), S);
            m.method(so, "Parse", DT, (o, a, t) -> parseDate(s(a[0])), S, l.tCulture);
            m.outMethod(so, "TryParse", Type.BOOL, 1, DT, (o, a, t) -> {
                try {
                    ((Object[]) a[1])[0] = parseDate(s(a[0]));
                    return true;
                } catch (RuntimeException e) {
                    ((Object[]) a[1])[0] = DateTime.MIN_VALUE;
                    return false;
                }
            }, S, Type.OBJECT);
        }
        l.staticProp("DateTime", "Today", DT, o -> DateTime.utcNow().toLocalTime().date());
        m.method("static:DateTime", "DaysInMonth", I, (o, a, t) -> java.time.YearMonth.of(i(a[0]), i(a[1])).lengthOfMonth(), I, I);
        m.method("static:DateTime", "IsLeapYear", Type.BOOL, (o, a, t) -> java.time.Year.isLeap(i(a[0])), I);
        m.method("static:DateTime", "SpecifyKind", DT, (o, a, t) -> new DateTime(dt(a[0]).ticks(), (DateTime.Kind) a[1]), DT, l.tKind);
        m.method("static:DateTimeOffset", "FromUnixTimeSeconds", DT, (o, a, t) -> DateTime.ofInstant(java.time.Instant.ofEpochSecond(Ops.asLong(a[0])), DateTime.Kind.Utc), Type.LONG);
        m.method("static:DateTimeOffset", "FromUnixTimeMilliseconds", DT, (o, a, t) -> DateTime.ofInstant(java.time.Instant.ofEpochMilli(Ops.asLong(a[0])), DateTime.Kind.Utc), Type.LONG);

        String t = DT.name();
        m.prop(t, "Year", I, o -> dt(o).year());
        m.prop(t, "Month", I, o -> dt(o).month());
        m.prop(t, "Day", I, o -> dt(o).day());
        m.prop(t, "Hour", I, o -> dt(o).hour());
        m.prop(t, "Minute", I, o -> dt(o).minute());
        m.prop(t, "Second", I, o -> dt(o).second());
        m.prop(t, "Millisecond", I, o -> dt(o).millisecond());
        m.prop(t, "Ticks", Type.LONG, o -> dt(o).ticks());
        m.prop(t, "DayOfWeek", l.tDayOfWeek, o -> dt(o).dayOfWeek());
        m.prop(t, "DayOfYear", I, o -> dt(o).dayOfYear());
        m.prop(t, "Date", DT, o -> dt(o).date());
        m.prop(t, "TimeOfDay", TS, o -> dt(o).timeOfDay());
        m.prop(t, "Kind", l.tKind, o -> dt(o).kind());
        m.prop(t, "UtcDateTime", DT, o -> dt(o).toUniversalTime());
        m.prop(t, "DateTime", DT, o -> dt(o));
        m.method(t, "AddDays", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_DAY), D);
        m.method(t, "AddHours", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_HOUR), D);
        m.method(t, "AddMinutes", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_MINUTE), D);
        m.method(t, "AddSeconds", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_SECOND), D);
        m.method(t, "AddMilliseconds", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_MS), D);
        m.method(t, "AddTicks", DT, (o, a, x) -> guard(() -> dt(o).addTicks(Ops.asLong(a[0]))), Type.LONG);
        m.method(t, "AddMonths", DT, (o, a, x) -> guard(() -> dt(o).addMonths(i(a[0]))), I);
        m.method(t, "AddYears", DT, (o, a, x) -> guard(() -> dt(o).addYears(i(a[0]))), I);
        m.method(t, "Add", DT, (o, a, x) -> guard(() -> dt(o).add((TimeSpan) a[0])), TS);
        m.method(t, "Subtract", TS, (o, a, x) -> dt(o).subtract(dt(a[0])), DT);
        m.method(t, "Subtract", DT, (o, a, x) -> guard(() -> dt(o).subtract((TimeSpan) a[0])), TS);
        m.method(t, "ToUniversalTime", DT, (o, a, x) -> dt(o).toUniversalTime());
        m.method(t, "ToLocalTime", DT, (o, a, x) -> dt(o).toLocalTime());
        m.method(t, "ToString", S, (o, a, x) -> dateFormat(o, s(a[0])), S);
        m.method(t, "ToString", S, (o, a, x) -> dateFormat(o, s(a[0]), a[1]), S, l.tCulture);
        m.method(t, "ToString", S, (o, a, x) -> io.gatehouse.expr.lib.Culture.from(a[0]) == null ? dt(o).toString()
                : dateFormat(o, "G", a[0]), l.tCulture);
        m.method(t, "ToUnixTimeSeconds", Type.LONG, (o, a, x) -> dt(o).toInstant().getEpochSecond());
        m.method(t, "ToUnixTimeMilliseconds", Type.LONG, (o, a, x) -> dt(o).toInstant().toEpochMilli());
        m.method(t, "CompareTo", I, (o, a, x) -> dt(o).compareTo(dt(a[0])), DT);
        m.method(t, "ToShortDateString", S, (o, a, x) -> dt(o).format("d"));
        m.method(t, "ToShortTimeString", S, (o, a, x) -> dt(o).format("t"));
        m.method(t, "ToLongDateString", S, (o, a, x) -> dt(o).format("D"));
        m.method(t, "ToLongTimeString", S, (o, a, x) -> dt(o).format("T"));
        String nc = "new:DateTime";
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), 0, 0, 0, 0, DateTime.Kind.Unspecified)), I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), 0, DateTime.Kind.Unspecified)), I, I, I, I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), 0, (DateTime.Kind) a[6])), I, I, I, I, I, I, l.tKind);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6]), DateTime.Kind.Unspecified)), I, I, I, I, I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6]), (DateTime.Kind) a[7])), I, I, I, I, I, I, I, l.tKind);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> new DateTime(Ops.asLong(a[0]), DateTime.Kind.Unspecified)), Type.LONG);
    }

    private static Object addUnits(Object o, Object v, long unit) {
        return guard(() -> dt(o).addUnits(d(v), unit));
    }

    private static String dateFormat(Object o, String f) {
        try {
            return dt(o).format(f);
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static String dateFormat(Object o, String f, Object provider) {
        try {
            return dt(o).format(f, io.gatehouse.expr.lib.Culture.from(provider));
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    /** {@code n.ToString(format, provider)}: the invariant text, then the culture's separators or currency. */
    static String cultureNumber(Object o, String format, Object provider) {
        String inv = format.isEmpty() ? Dotnet.toStr(o) : fmt(o, format);
        io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(provider);
        return c == null ? inv : c.number(o, format, inv);
    }

    private static DateTime parseDate(String s) {
        if (s == null) {
            throw LibStrings.argNull("s");
        }
        try {
            return DateTime.parse(s);
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static Object guard(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (ArithmeticException e) {
            throw new ExpressionException("System.OverflowException", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    private static TimeSpan ts(Object o) {
        return (TimeSpan) o;
    }

    private static void timeSpan(Library l, Members m, Type TS) {
        Type D = Type.DOUBLE;
        Type I = Type.INT;
        String so = "static:TimeSpan";
        m.method(so, "FromDays", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_DAY)), D);
        m.method(so, "FromHours", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_HOUR)), D);
        m.method(so, "FromMinutes", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_MINUTE)), D);
        m.method(so, "FromSeconds", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_SECOND)), D);
        m.method(so, "FromMilliseconds", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_MS)), D);
        m.method(so, "FromTicks", TS, (o, a, t) -> new TimeSpan(Ops.asLong(a[0])), Type.LONG);
        m.method(so, "Parse", TS, (o, a, t) -> {
            try {
                return TimeSpan.parse(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format(e.getMessage());
            }
        }, Type.STRING);
        m.outMethod(so, "TryParse", Type.BOOL, 1, TS, (o, a, t) -> {
            try {
                ((Object[]) a[1])[0] = TimeSpan.parse(s(a[0]));
                return true;
            } catch (RuntimeException e) {
                ((Object[]) a[1])[0] = TimeSpan.ZERO;
                return false;
            }
        }, Type.STRING, Type.OBJECT);
        l.staticProp("TimeSpan", "Zero", TS, o -> TimeSpan.ZERO);
        l.staticProp("TimeSpan", "MaxValue", TS, o -> new TimeSpan(Long.MAX_VALUE));
        l.staticProp("TimeSpan", "MinValue", TS, o -> new TimeSpan(Long.MIN_VALUE));
        String t = TS.name();
        m.prop(t, "Days", I, o -> ts(o).days());
        m.prop(t, "Hours", I, o -> ts(o).hours());
        m.prop(t, "Minutes", I, o -> ts(o).minutes());
        m.prop(t, "Seconds", I, o -> ts(o).seconds());
        m.prop(t, "Milliseconds", I, o -> ts(o).milliseconds());
        m.prop(t, "Ticks", Type.LONG, o -> ts(o).ticks());
        m.prop(t, "TotalDays", D, o -> ts(o).totalDays());
        m.prop(t, "TotalHours", D, o -> ts(o).totalHours());
        m.prop(t, "TotalMinutes", D, o -> ts(o).totalMinutes());
        m.prop(t, "TotalSeconds", D, o -> ts(o).totalSeconds());
        m.prop(t, "TotalMilliseconds", D, o -> ts(o).totalMilliseconds());
        m.method(t, "Add", TS, (o, a, x) -> guard(() -> ts(o).add(ts(a[0]))), TS);
        m.method(t, "Subtract", TS, (o, a, x) -> guard(() -> ts(o).subtract(ts(a[0]))), TS);
        m.method(t, "Negate", TS, (o, a, x) -> ts(o).negate());
        m.method(t, "Duration", TS, (o, a, x) -> ts(o).duration());
        m.method(t, "CompareTo", I, (o, a, x) -> ts(o).compareTo(ts(a[0])), TS);
        String nc = "new:TimeSpan";
        m.method(nc, ".ctor", TS, (o, a, x) -> new TimeSpan(Ops.asLong(a[0])), Type.LONG);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(0, i(a[0]), i(a[1]), i(a[2]), 0), I, I, I);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), 0), I, I, I, I);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])), I, I, I, I, I);
    }

    // ---- Regex

    /** Input wrapper that lets a runaway (backtracking) pattern hit the evaluation time limit. */
    private record Guarded(CharSequence s, int[] counter) implements CharSequence {
        @Override
        public int length() {
            return s.length();
        }

        @Override
        public char charAt(int index) {
            if ((++counter[0] & 0xFFF) == 0) {
                Env e = Env.current();
                if (e != null) {
                    e.checkTime();
                }
            }
            return s.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Guarded(s.subSequence(start, end), counter);
        }

        @Override
        public String toString() {
            return s.toString();
        }
    }

    private static CharSequence guarded(String s) {
        if (s == null) {
            throw LibStrings.argNull("input");
        }
        return new Guarded(s, new int[1]);
    }

    static Pattern compile(String pattern, Object opt) {
        if (pattern == null) {
            throw LibStrings.argNull("pattern");
        }
        java.util.Set<RegexOptions> set = opt instanceof io.gatehouse.expr.lib.DotnetEnums.RegexFlags f ? f.options()
                : opt instanceof RegexOptions o ? java.util.Set.of(o) : java.util.Set.of();
        int flags = 0;
        for (RegexOptions o : set) {
            flags |= switch (o) {
                case IgnoreCase -> Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
                case Multiline -> Pattern.MULTILINE;
                case Singleline -> Pattern.DOTALL;
                case IgnorePatternWhitespace -> Pattern.COMMENTS;
                default -> 0;
            };
        }
        try {
            return Pattern.compile(pattern, flags);
        } catch (PatternSyntaxException e) {
            throw new ExpressionException("System.Text.RegularExpressions.RegexParseException",
                    "Invalid pattern '" + pattern + "' at offset " + Math.max(e.getIndex(), 0) + ". " + e.getDescription() + ".");
        }
    }

    static RegexMatch match(Matcher mt, Pattern p) {
        if (!mt.find()) {
            return RegexMatch.EMPTY;
        }
        List<RegexMatch> groups = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k <= mt.groupCount(); k++) {
            String v = mt.group(k);
            groups.add(new RegexMatch(v != null, v == null ? "" : v, v == null ? 0 : mt.start(k), v == null ? 0 : v.length(),
                    List.of(), List.of()));
            names.add(Integer.toString(k));
        }
        p.namedGroups().forEach((name, idx) -> names.set(idx, name));
        return new RegexMatch(true, mt.group(), mt.start(), mt.group().length(), groups, names);
    }

    private static String replace(Pattern p, String input, String replacement) {
        if (replacement == null) {
            throw LibStrings.argNull("replacement");
        }
        try {
            return Ops.checkLength(p.matcher(guarded(input)).replaceAll(replacement.replace("\\", "\\\\").replace("$0", "$0")));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new ExpressionException("System.ArgumentException", "Invalid replacement pattern: " + e.getMessage());
        }
    }

    private static List<Object> matches(Pattern p, String input) {
        List<Object> out = new ArrayList<>();
        Matcher mt = p.matcher(guarded(input));
        while (true) {
            RegexMatch rm = match(mt, p);
            if (!rm.success()) {
                return out;
            }
            out.add(rm);
        }
    }

    private static void regex(Library l, Members m) {
        Type S = Type.STRING;
        Type B = Type.BOOL;
        Type RO = l.tRegexOptions;
        Type RX = l.tRegex;
        Type MT = l.tMatch;
        String so = "static:Regex";
        m.method(so, "IsMatch", B, (o, a, t) -> compile(s(a[1]), null).matcher(guarded(s(a[0]))).find(), S, S);
        m.method(so, "IsMatch", B, (o, a, t) -> compile(s(a[1]), a[2]).matcher(guarded(s(a[0]))).find(), S, S, RO);
        m.method(so, "Match", MT, (o, a, t) -> {
            Pattern p = compile(s(a[1]), null);
            return match(p.matcher(guarded(s(a[0]))), p);
        }, S, S);
        m.method(so, "Match", MT, (o, a, t) -> {
            Pattern p = compile(s(a[1]), a[2]);
            return match(p.matcher(guarded(s(a[0]))), p);
        }, S, S, RO);
        m.method(so, "Matches", Type.realListOf(MT), (o, a, t) -> matches(compile(s(a[1]), null), s(a[0])), S, S);
        m.method(so, "Replace", S, (o, a, t) -> replace(compile(s(a[1]), null), s(a[0]), s(a[2])), S, S, S);
        m.method(so, "Replace", S, (o, a, t) -> replace(compile(s(a[1]), a[3]), s(a[0]), s(a[2])), S, S, S, RO);
        m.method(so, "Split", Type.STRING_ARRAY, (o, a, t) -> compile(s(a[1]), null).split(guarded(s(a[0])), -1), S, S);
        m.method(so, "Escape", S, (o, a, t) -> s(a[0]).replaceAll("([\\\\*+?|{\\[()^$.#\\s])", "\\\\$1"), S);
        m.method("new:Regex", ".ctor", RX, (o, a, t) -> compile(s(a[0]), null), S);
        m.method("new:Regex", ".ctor", RX, (o, a, t) -> compile(s(a[0]), a[1]), S, RO);
        m.method(RX, "IsMatch", B, (o, a, t) -> ((Pattern) o).matcher(guarded(s(a[0]))).find(), S);
        m.method(RX, "Match", MT, (o, a, t) -> match(((Pattern) o).matcher(guarded(s(a[0]))), (Pattern) o), S);
        m.method(RX, "Matches", Type.realListOf(MT), (o, a, t) -> matches((Pattern) o, s(a[0])), S);
        m.method(RX, "Replace", S, (o, a, t) -> replace((Pattern) o, s(a[0]), s(a[1])), S, S);
        m.method(RX, "Split", Type.STRING_ARRAY, (o, a, t) -> ((Pattern) o).split(guarded(s(a[0])), -1), S);
        m.method(RX, "ToString", S, (o, a, t) -> ((Pattern) o).pattern());
        m.prop(MT, "Success", B, o -> ((RegexMatch) o).success());
        m.prop(MT, "Value", S, o -> ((RegexMatch) o).value());
        m.prop(MT, "Index", Type.INT, o -> ((RegexMatch) o).index());
        m.prop(MT, "Length", Type.INT, o -> ((RegexMatch) o).length());
        m.prop(MT, "Groups", l.tGroups, o -> o);
        l.indexer(l.tGroups, Type.OBJECT, MT, (o, k) -> {
            RegexMatch whole = (RegexMatch) o;
            if (k instanceof String name) {
                return whole.group(name);
            }
            if (Ops.kind(k) == 0) {
                return whole.group(Ops.asInt(k));
            }
            throw ExpressionException.invalidCast();
        }, null);
        m.prop(l.tGroups.name(), "Count", Type.INT, o -> ((RegexMatch) o).groups().size());
    }

    // ---- Uri

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
                throw LibStrings.argNull("stringToEscape");
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

    // ---- JSON

    private static JToken parseJson(Object s) {
        if (s == null) {
            throw LibStrings.argNull("json");
        }
        try {
            return Json.parse(s(s));
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonReaderException", e.getMessage());
        }
    }

    private static JToken jget(Object o, Object key) {
        try {
            return ((JToken) o).get(key instanceof Character c ? c.toString() : key);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.InvalidOperationException", e.getMessage());
        } catch (IndexOutOfBoundsException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    /** Newtonsoft's Value&lt;T&gt;: converts a JValue; null stays null for reference types. */
    static Object valueAs(JToken tok, Type t) {
        if (tok == null) {
            return Conv.zero(t) == null ? null : Conv.zero(t);
        }
        if (t.isDynamic() || JToken.class.isAssignableFrom(t.cls())) {
            return tok instanceof JValue jv && t.isDynamic() ? jv.value() : tok;
        }
        if (!(tok instanceof JValue)) {
            throw new ExpressionException("System.InvalidCastException", "Cannot cast " + tok.getClass().getSimpleName()
                    + " to " + tok.getClass().getSimpleName().replace("JObject", "JToken") + ".");
        }
        return Conv.cast(tok, t, false);
    }

    static JToken selectToken(JToken root, String path) {
        String p = path.trim();
        if (p.startsWith("$")) {
            p = p.substring(1);
        }
        JToken cur = root;
        int k = 0;
        while (k < p.length() && cur != null) {
            char c = p.charAt(k);
            if (c == '.') {
                k++;
                continue;
            }
            if (c == '[') {
                int end = p.indexOf(']', k);
                if (end < 0) {
                    throw new ExpressionException("Newtonsoft.Json.JsonException", "Path ended with open indexer.");
                }
                String inner = p.substring(k + 1, end).trim();
                if (inner.startsWith("'") && inner.endsWith("'") && inner.length() >= 2) {
                    cur = cur instanceof JObject o ? o.get(inner.substring(1, inner.length() - 1)) : null;
                } else {
                    try {
                        int idx = Integer.parseInt(inner);
                        cur = cur instanceof JArray a && idx >= 0 && idx < a.count() ? a.items().get(idx) : null;
                    } catch (NumberFormatException e) {
                        throw new ExpressionException("Newtonsoft.Json.JsonException", "Unexpected character while parsing path indexer: " + inner);
                    }
                }
                k = end + 1;
                continue;
            }
            int end = k;
            while (end < p.length() && p.charAt(end) != '.' && p.charAt(end) != '[') {
                end++;
            }
            String name = p.substring(k, end);
            cur = cur instanceof JObject o ? o.get(name) : null;
            k = end;
        }
        return cur;
    }

    private static void json(Library l, Members m) {
        Type S = Type.STRING;
        Type O = Type.OBJECT;
        Type T = l.tJToken;
        Type JO = l.tJObject;
        Type JA = l.tJArray;
        m.method("static:JObject", "Parse", JO, (o, a, t) -> {
            JToken tok = parseJson(a[0]);
            if (!(tok instanceof JObject)) {
                throw new ExpressionException("Newtonsoft.Json.JsonReaderException",
                        "Error reading JObject from JsonReader. Current JsonReader item is not an object: " + tok.type() + ". Path '', line 1, position 1.");
            }
            return tok;
        }, S);
        m.method("static:JArray", "Parse", JA, (o, a, t) -> {
            JToken tok = parseJson(a[0]);
            if (!(tok instanceof JArray)) {
                throw new ExpressionException("Newtonsoft.Json.JsonReaderException",
                        "Error reading JArray from JsonReader. Current JsonReader item is not an array: " + tok.type() + ". Path '', line 1, position 1.");
            }
            return tok;
        }, S);
        m.method("static:JToken", "Parse", T, (o, a, t) -> parseJson(a[0]), S);
        m.method("static:JObject", "FromObject", T, (o, a, t) -> JToken.from(a[0]), O);
        m.method("static:JToken", "FromObject", T, (o, a, t) -> JToken.from(a[0]), O);
        l.indexer(T, O, T, LibTypes::jget, (o, k, v) -> {
            try {
                ((JToken) o).set(k instanceof Character c ? c.toString() : k, JToken.from(v));
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.InvalidOperationException", e.getMessage());
            } catch (IndexOutOfBoundsException e) {
                throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
            }
        });
        l.element(T, T);
        String t = T.name();
        m.generic(t, "Value", (x, args, ta) -> ta, (o, a, ta) -> valueAs(jget(o, a[0]), ta), O);
        m.generic(t, "Value", (x, args, ta) -> ta, (o, a, ta) -> valueAs((JToken) o, ta));
        m.generic(t, "ToObject", (x, args, ta) -> ta, (o, a, ta) -> valueAs((JToken) o, ta));
        m.method(t, "ToString", S, (o, a, x) -> ((JToken) o) instanceof JValue jv ? Dotnet.toStr(jv) : ((JToken) o).toString(true));
        m.method(t, "ToString", S, (o, a, x) -> ((JToken) o).toString(a[0] == Formatting.Indented), l.tFormatting);
        m.method(t, "SelectToken", T, (o, a, x) -> selectToken((JToken) o, s(a[0])), S);
        m.method(t, "DeepClone", T, (o, a, x) -> ((JToken) o).deepClone());
        m.method(t, "Children", Type.listOf(T), (o, a, x) -> new ArrayList<Object>(((JToken) o).children()));
        m.prop(t, "Type", l.tJTokenType, o -> ((JToken) o).type());
        m.prop(t, "HasValues", Type.BOOL, o -> !((JToken) o).children().isEmpty());
        m.prop(t, "First", T, o -> {
            List<JToken> c = ((JToken) o).children();
            return c.isEmpty() ? null : c.get(0);
        });
        m.prop(t, "Last", T, o -> {
            List<JToken> c = ((JToken) o).children();
            return c.isEmpty() ? null : c.get(c.size() - 1);
        });
        String jo = JO.name();
        m.prop(jo, "Count", Type.INT, o -> ((JObject) o).count());
        m.method(jo, "Add", Type.VOID, (o, a, x) -> {
            try {
                ((JObject) o).add(s(a[0]), a[1]);
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.ArgumentException", e.getMessage());
            }
            return null;
        }, S, O);
        m.method(jo, "Add", Type.VOID, (o, a, x) -> {
            try {
                ((JObject) o).addToken(a[0]);
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.ArgumentException", e.getMessage());
            }
            return null;
        }, O);
        m.method(jo, "Remove", Type.BOOL, (o, a, x) -> ((JObject) o).remove(s(a[0])), S);
        m.method(jo, "ContainsKey", Type.BOOL, (o, a, x) -> ((JObject) o).properties().containsKey(s(a[0])), S);
        m.method(jo, "Property", l.tJProperty, (o, a, x) -> ((JObject) o).property(s(a[0])), S);
        m.method(jo, "Properties", Type.listOf(l.tJProperty), (o, a, x) -> new ArrayList<Object>(((JObject) o).children()));
        m.outMethod(jo, "TryGetValue", Type.BOOL, 1, T, (o, a, x) -> {
            JToken v = ((JObject) o).get(s(a[0]));
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, S, O);
        l.element(JO, l.tJProperty);
        String ja = JA.name();
        m.prop(ja, "Count", Type.INT, o -> ((JArray) o).count());
        m.method(ja, "Add", Type.VOID, (o, a, x) -> {
            ((JArray) o).add(a[0]);
            return null;
        }, O);
        m.method(ja, "RemoveAt", Type.VOID, (o, a, x) -> {
            JArray arr = (JArray) o;
            int idx = i(a[0]);
            if (idx < 0 || idx >= arr.count()) {
                throw LibStrings.range("index", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            arr.items().remove(idx);
            return null;
        }, Type.INT);
        m.prop(l.tJProperty, "Name", S, o -> ((JProperty) o).name());
        m.prop(l.tJProperty, "Value", T, o -> ((JProperty) o).value());
        m.prop(l.tJValue, "Value", O, o -> ((JValue) o).value());
        m.method("new:JObject", ".ctor", JO, (o, a, x) -> new JObject());
        for (int n = 1; n <= LibStrings.MAX_PARAMS; n++) {
            Type[] ps = new Type[n];
            java.util.Arrays.fill(ps, O);
            m.method("new:JObject", ".ctor", JO, (o, a, x) -> {
                JObject obj = new JObject();
                try {
                    for (Object c : a) {
                        obj.addToken(c);
                    }
                } catch (IllegalArgumentException e) {
                    throw new ExpressionException("System.ArgumentException", e.getMessage());
                }
                return obj;
            }, ps);
            m.method("new:JArray", ".ctor", JA, (o, a, x) -> {
                JArray arr = new JArray();
                for (Object c : a) {
                    if (n(a) == 1 && (c instanceof Object[] || c instanceof List<?> || c instanceof String[])) {
                        for (Object item : Ops.seq(c)) {
                            arr.add(item);
                        }
                    } else {
                        arr.add(c);
                    }
                }
                return arr;
            }, ps);
        }
        m.method("new:JArray", ".ctor", JA, (o, a, x) -> new JArray());
        m.method("new:JProperty", ".ctor", l.tJProperty, (o, a, x) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("name");
            }
            return new JProperty(s(a[0]), a[1]);
        }, S, O);
        m.method("new:JValue", ".ctor", l.tJValue, (o, a, x) -> new JValue(a[0] instanceof Integer v ? (long) v : a[0]), O);
    }

    private static int n(Object[] a) {
        return a.length;
    }

    // ---- StringBuilder

    private static StringBuilder sb(Object o) {
        return (StringBuilder) o;
    }

    private static StringBuilder grow(StringBuilder b) {
        if (b.length() > Ops.MAX_STRING) {
            throw Ops.tooLong();
        }
        return b;
    }

    private static void builder(Library l, Members m) {
        Type SB = l.tBuilder;
        Type S = Type.STRING;
        m.method("new:StringBuilder", ".ctor", SB, (o, a, t) -> new StringBuilder());
        m.method("new:StringBuilder", ".ctor", SB, (o, a, t) -> new StringBuilder(a[0] == null ? "" : s(a[0])), S);
        m.method(SB, "Append", SB, (o, a, t) -> grow(sb(o).append(Dotnet.toStr(a[0]))), Type.OBJECT);
        m.method(SB, "AppendLine", SB, (o, a, t) -> grow(sb(o).append('\n')));
        m.method(SB, "AppendLine", SB, (o, a, t) -> grow(sb(o).append(a[0] == null ? "" : s(a[0])).append('\n')), S);
        m.method(SB, "AppendFormat", SB, (o, a, t) -> grow(sb(o).append(Dotnet.compositeFormat(s(a[0]), new Object[] {a[1]}))), S, Type.OBJECT);
        m.method(SB, "Insert", SB, (o, a, t) -> {
            int at = i(a[0]);
            if (at < 0 || at > sb(o).length()) {
                throw LibStrings.range("index", "Index was out of range. Must be non-negative and less than or equal to the size of the collection.");
            }
            return grow(sb(o).insert(at, Dotnet.toStr(a[1])));
        }, Type.INT, Type.OBJECT);
        m.method(SB, "Clear", SB, (o, a, t) -> {
            sb(o).setLength(0);
            return o;
        });
        m.method(SB, "Replace", SB, (o, a, t) -> {
            String r = sb(o).toString().replace(s(a[0]), a[1] == null ? "" : s(a[1]));
            sb(o).setLength(0);
            return grow(sb(o).append(r));
        }, S, S);
        m.method(SB, "ToString", S, (o, a, t) -> sb(o).toString());
        m.prop(SB, "Length", Type.INT, o -> sb(o).length());
    }

    // ---- arrays and lists

    private static void collections(Library l, Members m) {
        m.prop("Array", "Length", Type.INT, o -> o instanceof byte[] b ? b.length : ((Object[]) o).length);
        m.prop("List", "Count", Type.INT, o -> ((List<?>) o).size());
    }
}
