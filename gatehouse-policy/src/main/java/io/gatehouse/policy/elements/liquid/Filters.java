package io.gatehouse.policy.elements.liquid;

import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.policy.spi.Suggest;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Liquid filters APIM lists for set-body, by their Pascal-case names, with DotLiquid's
 * behaviour at its 2.1 syntax level: integer math stays integer and truncates as C# does, other
 * math is decimal, nil in gives nil out, numeric strings count as numbers, {@code Replace} is
 * literal, {@code Round} rounds half to even, {@code Default} also replaces blank text, and
 * {@code Date} takes .NET format strings. (DotLiquid's older 2.0 level, which APIM may run,
 * differs in three places: {@code Replace} takes a regex, and {@code Plus}/{@code Times} on a
 * string concatenate/repeat it.)
 */
final class Filters {
    private Filters() {
    }

    /** Filter name to {min, max} argument count. */
    private static final Map<String, int[]> ARITY = new TreeMap<>(Map.ofEntries(
            Map.entry("Abs", new int[] {0, 0}), Map.entry("Append", new int[] {1, 1}), Map.entry("AtLeast", new int[] {1, 1}),
            Map.entry("AtMost", new int[] {1, 1}), Map.entry("Capitalize", new int[] {0, 0}), Map.entry("Compact", new int[] {0, 0}),
            Map.entry("Currency", new int[] {0, 1}), Map.entry("Date", new int[] {1, 1}), Map.entry("Default", new int[] {1, 1}),
            Map.entry("DividedBy", new int[] {1, 1}), Map.entry("Downcase", new int[] {0, 0}), Map.entry("Escape", new int[] {0, 0}),
            Map.entry("First", new int[] {0, 0}), Map.entry("H", new int[] {0, 0}), Map.entry("Join", new int[] {0, 1}),
            Map.entry("Last", new int[] {0, 0}), Map.entry("Lstrip", new int[] {0, 0}), Map.entry("Map", new int[] {1, 1}),
            Map.entry("Minus", new int[] {1, 1}), Map.entry("Modulo", new int[] {1, 1}), Map.entry("NewlineToBr", new int[] {0, 0}),
            Map.entry("Plus", new int[] {1, 1}), Map.entry("Prepend", new int[] {1, 1}), Map.entry("Remove", new int[] {1, 1}),
            Map.entry("RemoveFirst", new int[] {1, 1}), Map.entry("Replace", new int[] {1, 2}), Map.entry("ReplaceFirst", new int[] {1, 2}),
            Map.entry("Round", new int[] {0, 1}), Map.entry("Rstrip", new int[] {0, 0}), Map.entry("Size", new int[] {0, 0}),
            Map.entry("Slice", new int[] {1, 2}), Map.entry("Sort", new int[] {0, 1}), Map.entry("Split", new int[] {1, 1}),
            Map.entry("Strip", new int[] {0, 0}), Map.entry("StripHtml", new int[] {0, 0}), Map.entry("StripNewlines", new int[] {0, 0}),
            Map.entry("Times", new int[] {1, 1}), Map.entry("Truncate", new int[] {0, 2}), Map.entry("TruncateWords", new int[] {0, 2}),
            Map.entry("Uniq", new int[] {0, 0}), Map.entry("Upcase", new int[] {0, 0}), Map.entry("UrlDecode", new int[] {0, 0}),
            Map.entry("UrlEncode", new int[] {0, 0})));

    /** The filter names, sorted. */
    static List<String> names() {
        return List.copyOf(ARITY.keySet());
    }

    /** Null when {@code name} exists and takes {@code argc} arguments; otherwise what is wrong, in words. */
    static String check(String name, int argc) {
        int[] a = ARITY.get(name);
        if (a == null) {
            String pascal = pascal(name);
            if (ARITY.containsKey(pascal)) {
                return "unknown filter '" + name + "': APIM's Liquid uses Pascal-case filter names, write '" + pascal + "'";
            }
            String s = Suggest.closest(name, ARITY.keySet());
            return "unknown filter '" + name + "'" + (s == null ? "" : " (did you mean '" + s + "'?)")
                    + "; APIM supports: " + String.join(", ", ARITY.keySet());
        }
        if (argc < a[0] || argc > a[1]) {
            String want = a[0] == a[1] ? String.valueOf(a[0]) : a[0] + " to " + a[1];
            return "filter '" + name + "' takes " + want + " argument" + (a[1] == 1 && a[0] == 1 ? "" : "s") + ", found " + argc;
        }
        return null;
    }

    /** {@code at_least} or {@code upcase} as APIM spells it: {@code AtLeast}, {@code Upcase}. */
    private static String pascal(String name) {
        StringBuilder sb = new StringBuilder();
        boolean up = true;
        for (char c : name.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }

    /** .NET decimal precision: 28-29 significant digits. */
    private static final MathContext DECIMAL = new MathContext(29, RoundingMode.HALF_EVEN);

    private static final Pattern HTML_BLOCKS = Pattern.compile("(?is)<script.*?</script>|<style.*?</style>|<!--.*?-->");
    private static final Pattern HTML_TAG = Pattern.compile("(?s)<[^>]*>");

    static Object apply(String name, Object in, List<Object> args) {
        String s = Values.str(in);
        return switch (name) {
            case "Abs" -> math(in, null, "Abs");
            case "Append" -> s + Values.str(args.get(0));
            case "Prepend" -> Values.str(args.get(0)) + s;
            case "AtLeast", "AtMost" -> {
                Number a = Values.number(in);
                Number b = Values.number(args.get(0));
                if (a == null || b == null) {
                    yield in; // as DotLiquid: a value that is not a number is left as it is
                }
                int c = Values.compare(a, b);
                yield name.equals("AtLeast") ? (c < 0 ? b : a) : (c > 0 ? b : a);
            }
            case "Capitalize" -> s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
            case "Downcase" -> in == null ? null : s.toLowerCase(Locale.ROOT);
            case "Upcase" -> in == null ? null : s.toUpperCase(Locale.ROOT);
            case "Compact" -> in instanceof List<?> l ? l.stream().filter(Objects::nonNull).toList() : in;
            case "Currency" -> currency(in, args.isEmpty() ? null : Values.str(args.get(0)));
            case "Date" -> date(in, Values.str(args.get(0)));
            case "Default" -> in == null || Boolean.FALSE.equals(in) || s.isBlank() && !(in instanceof Map<?, ?>) ? args.get(0) : in;
            case "DividedBy", "Minus", "Plus", "Times", "Modulo" -> math(in, args.get(0), name);
            case "Escape", "H" -> in == null ? null : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("\"", "&quot;").replace("'", "&#39;");
            case "First" -> in instanceof List<?> l ? (l.isEmpty() ? null : l.get(0)) : in instanceof String t && !t.isEmpty() ? t.substring(0, 1) : null;
            case "Last" -> in instanceof List<?> l ? (l.isEmpty() ? null : l.get(l.size() - 1))
                    : in instanceof String t && !t.isEmpty() ? t.substring(t.length() - 1) : null;
            case "Join" -> {
                String sep = args.isEmpty() ? " " : Values.str(args.get(0));
                yield in instanceof List<?> l ? String.join(sep, l.stream().map(Values::str).toList()) : s;
            }
            case "Lstrip" -> s.stripLeading();
            case "Rstrip" -> s.stripTrailing();
            case "Strip" -> s.strip();
            case "Map" -> in instanceof List<?> l ? l.stream().map(x -> Values.member(x, args.get(0))).toList() : Values.member(in, args.get(0));
            case "NewlineToBr" -> s.replace("\r\n", "\n").replace("\n", "<br />\n");
            case "Remove" -> s.replace(Values.str(args.get(0)), "");
            case "RemoveFirst" -> replaceFirst(s, Values.str(args.get(0)), "");
            case "Replace" -> s.replace(Values.str(args.get(0)), args.size() > 1 ? Values.str(args.get(1)) : "");
            case "ReplaceFirst" -> replaceFirst(s, Values.str(args.get(0)), args.size() > 1 ? Values.str(args.get(1)) : "");
            case "Round" -> {
                Number n = Values.number(in);
                if (n == null) {
                    yield null; // as DotLiquid: what cannot be rounded becomes nil
                }
                int places = args.isEmpty() ? 0 : Values.number(args.get(0)) == null ? 0 : Values.number(args.get(0)).intValue();
                BigDecimal r = Values.decimal(n).setScale(Math.max(0, places), RoundingMode.HALF_EVEN);
                yield places <= 0 ? (Object) r.longValue() : r;
            }
            case "Size" -> in instanceof List<?> l ? (long) l.size() : in instanceof Map<?, ?> m ? (long) m.size() : in == null ? 0L : (long) s.length();
            case "Slice" -> slice(in, s, args);
            case "Sort" -> sort(in, args.isEmpty() ? null : args.get(0));
            case "Split" -> {
                String sep = Values.str(args.get(0));
                if (s.isBlank()) {
                    yield in == null ? List.of() : List.of(s);
                }
                // empty parts are dropped, as DotLiquid does
                yield sep.isEmpty() ? s.codePoints().mapToObj(Character::toString).toList()
                        : Arrays.stream(s.split(Pattern.quote(sep))).filter(x -> !x.isEmpty()).toList();
            }
            case "StripHtml" -> HTML_TAG.matcher(HTML_BLOCKS.matcher(s).replaceAll("")).replaceAll("");
            case "StripNewlines" -> s.replace("\r", "").replace("\n", "");
            case "Truncate" -> {
                int len = args.isEmpty() ? 50 : intOf(args.get(0), "length");
                String ell = args.size() > 1 ? Values.str(args.get(1)) : "...";
                if (s.length() <= len) {
                    yield s;
                }
                yield s.substring(0, Math.max(0, len - ell.length())) + ell;
            }
            case "TruncateWords" -> {
                int words = args.isEmpty() ? 15 : intOf(args.get(0), "words");
                String ell = args.size() > 1 ? Values.str(args.get(1)) : "...";
                if (s.isEmpty()) {
                    yield in;
                }
                if (words <= 0) {
                    yield ell;
                }
                String[] w = s.split(" ", -1);
                yield w.length <= words ? s : String.join(" ", Arrays.copyOf(w, words)) + ell;
            }
            case "Uniq" -> in instanceof List<?> l ? List.copyOf(new LinkedHashSet<>(l.stream().map(x -> x == null ? "" : x).toList())) : in;
            case "UrlDecode" -> in == null ? null : URLDecoder.decode(s, StandardCharsets.UTF_8);
            case "UrlEncode" -> in == null ? null : URLEncoder.encode(s, StandardCharsets.UTF_8);
            default -> throw new LiquidException("unknown filter");
        };
    }

    private static String replaceFirst(String s, String what, String with) {
        int i = what.isEmpty() ? -1 : s.indexOf(what);
        return i < 0 ? s : s.substring(0, i) + with + s.substring(i + what.length());
    }

    private static Number num(Object v) {
        Number n = Values.number(v == null ? 0L : v);
        if (n == null) {
            throw new LiquidException("'" + Values.str(v) + "' is not a number");
        }
        return n;
    }

    private static int intOf(Object v, String what) {
        Number n = Values.number(v);
        if (n == null) {
            throw new LiquidException(what + " '" + Values.str(v) + "' is not a number");
        }
        return n.intValue();
    }

    private static Object math(Object in, Object arg, String op) {
        if (in == null || !op.equals("Abs") && arg == null) {
            return null;
        }
        Number a = num(in);
        if (op.equals("Abs")) {
            return a instanceof Long l ? (Object) Math.abs(l) : Values.decimal(a).abs();
        }
        Number b = num(arg);
        if (a instanceof Long x && b instanceof Long y) {
            return switch (op) {
                case "Plus" -> Math.addExact(x, y);
                case "Minus" -> Math.subtractExact(x, y);
                case "Times" -> Math.multiplyExact(x, y);
                // C# integer division and remainder, as DotLiquid computes them: truncated toward zero
                case "DividedBy" -> {
                    if (y == 0) {
                        throw new LiquidException("divided by 0");
                    }
                    yield x / y;
                }
                default -> {
                    if (y == 0) {
                        throw new LiquidException("divided by 0");
                    }
                    yield x % y;
                }
            };
        }
        BigDecimal x = Values.decimal(a);
        BigDecimal y = Values.decimal(b);
        return switch (op) {
            case "Plus" -> x.add(y);
            case "Minus" -> x.subtract(y);
            case "Times" -> x.multiply(y);
            case "DividedBy" -> {
                if (y.signum() == 0) {
                    throw new LiquidException("divided by 0");
                }
                yield x.divide(y, DECIMAL).stripTrailingZeros();
            }
            default -> {
                if (y.signum() == 0) {
                    throw new LiquidException("divided by 0");
                }
                yield x.remainder(y);
            }
        };
    }

    private static Object date(Object in, String format) {
        DateTime d;
        if (in instanceof DateTime dt) {
            d = dt;
        } else if (in instanceof String s && (s.equalsIgnoreCase("now") || s.equalsIgnoreCase("today"))) {
            d = DateTime.utcNow();
            if (s.equalsIgnoreCase("today")) {
                d = d.date();
            }
        } else if (in instanceof String s && !s.isBlank()) {
            try {
                d = DateTime.parse(s.strip());
            } catch (RuntimeException e) {
                return in; // as DotLiquid: a value that is not a date is left as it is
            }
        } else {
            return in;
        }
        if (format.isEmpty()) {
            return d.toString();
        }
        try {
            return d.format(format);
        } catch (RuntimeException e) {
            throw new LiquidException("'" + format + "' is not a .NET date format");
        }
    }

    /**
     * A number as currency: in the gateway's invariant culture ({@code ¤1,234.50}, as the
     * expression library formats {@code "C"}), or in the culture a language tag names.
     */
    private static Object currency(Object in, String languageTag) {
        Number n = Values.number(in);
        if (n == null) {
            return in;
        }
        BigDecimal d = Values.decimal(n);
        if (languageTag == null || languageTag.isBlank()) {
            return Dotnet.formatNumber(d, "C");
        }
        java.text.NumberFormat f = java.text.NumberFormat.getCurrencyInstance(Locale.forLanguageTag(languageTag.strip()));
        return f.format(d);
    }

    private static Object slice(Object in, String s, List<Object> args) {
        int off = intOf(args.get(0), "offset");
        int len = args.size() > 1 ? intOf(args.get(1), "length") : 1;
        int size = in instanceof List<?> l ? l.size() : s.length();
        int from = off < 0 ? Math.max(0, size + off) : Math.min(off, size);
        int to = Math.min(size, from + Math.max(0, len));
        return in instanceof List<?> l ? List.copyOf(l.subList(from, to).stream().map(x -> x == null ? "" : x).toList()) : s.substring(from, to);
    }

    private static Object sort(Object in, Object property) {
        if (!(in instanceof List<?> l)) {
            return in;
        }
        List<Object> out = new ArrayList<>(l);
        Comparator<Object> byValue = (a, b) -> {
            Object x = property == null ? a : Values.member(a, property);
            Object y = property == null ? b : Values.member(b, property);
            if (x == null || y == null) {
                return x == null ? (y == null ? 0 : 1) : -1;
            }
            if (x instanceof String a1 && y instanceof String b1) {
                return a1.compareToIgnoreCase(b1); // DotLiquid 2.1 sorts text ignoring case
            }
            Integer r = Values.compare(x, y);
            return r != null ? r : Values.str(x).compareToIgnoreCase(Values.str(y));
        };
        out.sort(byValue);
        return out;
    }
}
