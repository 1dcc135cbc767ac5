package io.gatehouse.expr.lib;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;

/** How .NET prints values: {@code ToString()}, numeric format strings and composite formatting. */
public final class Dotnet {
    private Dotnet() {
    }

    /** C#'s {@code ToString()} of a value; null prints as the empty string (as string concatenation does). */
    public static String toStr(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Double d) {
            return formatDouble(d);
        }
        if (v instanceof Float f) {
            return formatDouble(f.doubleValue());
        }
        if (v instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof JValue jv) {
            Object o = jv.value();
            return o instanceof Boolean b ? (b ? "True" : "False") : o instanceof Double d ? formatDouble(d) : toStr(o);
        }
        if (v instanceof String[] a) {
            return "System.String[]";
        }
        if (v instanceof byte[]) {
            return "System.Byte[]";
        }
        if (v instanceof Object[]) {
            return "System.Object[]";
        }
        if (v instanceof java.util.List<?>) {
            return "System.Collections.Generic.List`1[System.Object]";
        }
        return v.toString();
    }

    /** .NET Core 3.0+ double formatting: shortest round-trip, exponent form outside 1e-5 .. 1e15. */
    public static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "∞" : "-∞";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0" : "0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        int exponent = bd.precision() - bd.scale() - 1;
        if (exponent >= 15 || exponent < -4) {
            String digits = bd.unscaledValue().abs().toString();
            StringBuilder sb = new StringBuilder();
            if (d < 0) {
                sb.append('-');
            }
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('E').append(exponent < 0 ? '-' : '+');
            int ae = Math.abs(exponent);
            sb.append(ae < 10 ? "0" + ae : Integer.toString(ae));
            return sb.toString();
        }
        return bd.toPlainString();
    }

    /** The C# name of a runtime value's type, for messages. */
    public static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        return switch (v) {
            case String s -> "string";
            case Integer i -> "int";
            case Long l -> "long";
            case Double d -> "double";
            case BigDecimal d -> "decimal";
            case Boolean b -> "bool";
            case Character c -> "char";
            case String[] a -> "string[]";
            case byte[] a -> "byte[]";
            default -> v.getClass().getSimpleName();
        };
    }

    /** {@code value.ToString(format)} for numbers: D, N, F, X, E, P, G, R and custom "0.00"/"#,##0". */
    public static String formatNumber(Object value, String format) {
        if (format == null || format.isEmpty()) {
            return toStr(value);
        }
        char spec = Character.toUpperCase(format.charAt(0));
        String rest = format.substring(1);
        boolean standard = "DNFXEPGRC".indexOf(spec) >= 0 && rest.chars().allMatch(Character::isDigit) && rest.length() <= 2;
        if (!standard) {
            return custom(toDecimal(value), format);
        }
        Integer prec = rest.isEmpty() ? null : Integer.parseInt(rest);
        boolean integral = value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte;
        switch (spec) {
            case 'D' -> {
                if (!integral) {
                    throw new IllegalArgumentException("Format specifier was invalid.");
                }
                long l = ((Number) value).longValue();
                String digits = Long.toString(Math.abs(l));
                if (l == Long.MIN_VALUE) {
                    digits = digits.substring(1);
                }
                if (prec != null && digits.length() < prec) {
                    digits = "0".repeat(prec - digits.length()) + digits;
                }
                return (l < 0 ? "-" : "") + digits;
            }
            case 'X' -> {
                if (!integral) {
                    throw new IllegalArgumentException("Format specifier was invalid.");
                }
                String hex = value instanceof Integer i ? Integer.toHexString(i) : Long.toHexString(((Number) value).longValue());
                if (prec != null && hex.length() < prec) {
                    hex = "0".repeat(prec - hex.length()) + hex;
                }
                return Character.isUpperCase(format.charAt(0)) ? hex.toUpperCase(Locale.ROOT) : hex;
            }
            case 'F', 'N' -> {
                BigDecimal bd = toDecimal(value).setScale(prec == null ? 2 : prec, RoundingMode.HALF_EVEN);
                if (spec == 'F') {
                    return bd.toPlainString();
                }
                return String.format(Locale.ROOT, "%,." + bd.scale() + "f", bd);
            }
            case 'P' -> {
                BigDecimal bd = toDecimal(value).movePointRight(2).setScale(prec == null ? 2 : prec, RoundingMode.HALF_EVEN);
                return String.format(Locale.ROOT, "%,." + bd.scale() + "f", bd) + " %";
            }
            case 'C' -> {
                BigDecimal bd = toDecimal(value).setScale(prec == null ? 2 : prec, RoundingMode.HALF_EVEN);
                return "¤" + String.format(Locale.ROOT, "%,." + bd.scale() + "f", bd);
            }
            case 'E' -> {
                int p = prec == null ? 6 : prec;
                String s = String.format(Locale.ROOT, "%." + p + "E", toDecimal(value));
                int e = s.indexOf('E');
                String mant = s.substring(0, e);
                String exp = s.substring(e + 1);
                char sign = exp.charAt(0) == '-' ? '-' : '+';
                String digits = exp.replaceAll("^[+-]", "");
                while (digits.length() < 3) {
                    digits = "0" + digits;
                }
                String r = mant + "E" + sign + digits;
                return Character.isUpperCase(format.charAt(0)) ? r : r.replace('E', 'e');
            }
            default -> {
                return toStr(value);
            }
        }
    }

    static BigDecimal toDecimal(Object v) {
        if (v instanceof BigDecimal d) {
            return d;
        }
        if (v instanceof Double d) {
            return new BigDecimal(Double.toString(d));
        }
        if (v instanceof Number n) {
            return BigDecimal.valueOf(n.longValue());
        }
        throw new IllegalArgumentException("Format specifier was invalid.");
    }

    private static String custom(BigDecimal v, String fmt) {
        int dot = fmt.indexOf('.');
        String intPart = dot < 0 ? fmt : fmt.substring(0, dot);
        String fracPart = dot < 0 ? "" : fmt.substring(dot + 1);
        if (!intPart.matches("[#0,]*") || !fracPart.matches("[#0]*")) {
            return fmt;
        }
        int minFrac = (int) fracPart.chars().filter(c -> c == '0').count();
        int maxFrac = fracPart.length();
        BigDecimal r = v.setScale(maxFrac, RoundingMode.HALF_EVEN);
        boolean neg = r.signum() < 0;
        r = r.abs();
        BigInteger ip = r.toBigInteger();
        String frac = r.subtract(new BigDecimal(ip)).setScale(maxFrac, RoundingMode.HALF_EVEN).toPlainString();
        frac = frac.contains(".") ? frac.substring(frac.indexOf('.') + 1) : "";
        while (frac.length() > minFrac && frac.endsWith("0")) {
            frac = frac.substring(0, frac.length() - 1);
        }
        int minInt = (int) intPart.chars().filter(c -> c == '0').count();
        String is = ip.toString();
        if (is.equals("0") && minInt == 0) {
            is = "";
        }
        while (is.length() < minInt) {
            is = "0" + is;
        }
        if (intPart.contains(",") && !is.isEmpty()) {
            is = String.format(Locale.ROOT, "%,d", new BigInteger(is));
        }
        return (neg ? "-" : "") + is + (frac.isEmpty() ? "" : "." + frac);
    }

    /** Formats one value with an optional format string, as {@code {0:fmt}} in String.Format does. */
    public static String formatValue(Object v, String format) {
        if (v instanceof Culture.Bound b) {
            return b.format(format);
        }
        if (format == null || format.isEmpty()) {
            return toStr(v);
        }
        if (v instanceof DateTime d) {
            return d.format(format);
        }
        if (v instanceof Number) {
            return formatNumber(v, format);
        }
        if (v instanceof Guid g) {
            return g.format(format);
        }
        return toStr(v);
    }

    /** .NET composite formatting: {@code "{0,-5:D3} {{literal}}"}. */
    public static String compositeFormat(String format, Object[] args) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '{') {
                if (i + 1 < format.length() && format.charAt(i + 1) == '{') {
                    sb.append('{');
                    i += 2;
                    continue;
                }
                int end = format.indexOf('}', i);
                if (end < 0) {
                    throw new IllegalArgumentException("Input string was not in a correct format.");
                }
                String hole = format.substring(i + 1, end);
                String fmt = null;
                int colon = hole.indexOf(':');
                if (colon >= 0) {
                    fmt = hole.substring(colon + 1);
                    hole = hole.substring(0, colon);
                }
                int align = 0;
                int comma = hole.indexOf(',');
                try {
                    if (comma >= 0) {
                        align = Integer.parseInt(hole.substring(comma + 1).trim());
                        hole = hole.substring(0, comma);
                    }
                    int idx = Integer.parseInt(hole.trim());
                    if (idx < 0 || idx >= args.length) {
                        throw new IllegalArgumentException(
                                "Index (zero based) must be greater than or equal to zero and less than the size of the argument list.");
                    }
                    sb.append(align(formatValue(args[idx], fmt), align));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Input string was not in a correct format.");
                }
                i = end + 1;
            } else if (c == '}') {
                if (i + 1 < format.length() && format.charAt(i + 1) == '}') {
                    sb.append('}');
                    i += 2;
                    continue;
                }
                throw new IllegalArgumentException("Input string was not in a correct format.");
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    public static String align(String s, int align) {
        if (align > 0 && s.length() < align) {
            return " ".repeat(align - s.length()) + s;
        }
        if (align < 0 && s.length() < -align) {
            return s + " ".repeat(-align - s.length());
        }
        return s;
    }
}
