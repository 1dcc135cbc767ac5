package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.StringComparison;
import io.gatehouse.expr.lib.DotnetEnums.StringSplitOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.gatehouse.expr.internal.Args.i;
import static io.gatehouse.expr.internal.Args.s;

/** {@code System.String}: {@code string} members and the static {@code String} methods, with .NET's ordinal semantics. */
final class NsSystemString {
    private static final Type B = Type.BOOL;
    private static final Type C = Type.CHAR;
    private static final Type I = Type.INT;
    private static final Type O = Type.OBJECT;
    private static final Type S = Type.STRING;

    private NsSystemString() {
    }

    private static boolean ic(Object cmp) {
        return ((StringComparison) cmp).ignoreCase();
    }

    private static int indexOf(String s, String v, int from, boolean ignoreCase) {
        if (v == null) {
            throw Ops.argNull("value");
        }
        if (from < 0 || from > s.length()) {
            throw Ops.outOfRange("startIndex", "Index was out of range. Must be non-negative and less than or equal to the size of the collection.");
        }
        if (!ignoreCase) {
            return s.indexOf(v, from);
        }
        for (int k = from; k + v.length() <= s.length(); k++) {
            if (s.regionMatches(true, k, v, 0, v.length())) {
                return k;
            }
        }
        return -1;
    }

    private static int lastIndexOf(String s, String v, boolean ignoreCase) {
        if (v == null) {
            throw Ops.argNull("value");
        }
        if (!ignoreCase) {
            return s.lastIndexOf(v);
        }
        for (int k = s.length() - v.length(); k >= 0; k--) {
            if (s.regionMatches(true, k, v, 0, v.length())) {
                return k;
            }
        }
        return -1;
    }

    private static boolean startsWith(String s, String v, boolean ignoreCase) {
        if (v == null) {
            throw Ops.argNull("value");
        }
        return s.regionMatches(ignoreCase, 0, v, 0, v.length());
    }

    private static boolean endsWith(String s, String v, boolean ignoreCase) {
        if (v == null) {
            throw Ops.argNull("value");
        }
        return s.length() >= v.length() && s.regionMatches(ignoreCase, s.length() - v.length(), v, 0, v.length());
    }

    private static String trim(String s, String chars, boolean start, boolean end) {
        int a = 0;
        int b = s.length();
        while (start && a < b && (chars == null ? Character.isWhitespace(s.charAt(a)) : chars.indexOf(s.charAt(a)) >= 0)) {
            a++;
        }
        while (end && b > a && (chars == null ? Character.isWhitespace(s.charAt(b - 1)) : chars.indexOf(s.charAt(b - 1)) >= 0)) {
            b--;
        }
        return s.substring(a, b);
    }

    static String chars(Object[] arr) {
        StringBuilder sb = new StringBuilder();
        for (Object o : arr) {
            sb.append((char) (Character) o);
        }
        return sb.toString();
    }

    /** .NET String.Split over any of the separators (each a String), with options. */
    static String[] split(String s, List<String> seps, StringSplitOptions opt, int max) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int k = 0;
        if (seps.isEmpty() || seps.stream().allMatch(String::isEmpty)) {
            seps = List.of(" ", "\t", "\n", "\r");
        }
        while (k <= s.length() && out.size() < max - 1) {
            String hit = null;
            for (String sep : seps) {
                if (!sep.isEmpty() && s.startsWith(sep, k)) {
                    hit = sep;
                    break;
                }
            }
            if (hit != null) {
                add(out, s.substring(start, k), opt);
                k += hit.length();
                start = k;
            } else {
                k++;
            }
        }
        if (opt == StringSplitOptions.RemoveEmptyEntries && out.size() == max - 1) {
            // the count is reached: .NET skips the empty entries before the last part
            boolean skipped = true;
            while (skipped && start < s.length()) {
                skipped = false;
                for (String sep : seps) {
                    if (!sep.isEmpty() && s.startsWith(sep, start)) {
                        start += sep.length();
                        skipped = true;
                        break;
                    }
                }
            }
        }
        add(out, s.substring(Math.min(start, s.length())), opt);
        return out.toArray(String[]::new);
    }

    /** .NET Split with a count: at most {@code count} parts, the last holding the rest; 0 gives none, below 0 throws. */
    static String[] splitCount(String s, List<String> seps, StringSplitOptions opt, int count) {
        if (count < 0) {
            throw Ops.outOfRange("count", "Count cannot be less than zero.");
        }
        if (count == 0 || (s.isEmpty() && opt == StringSplitOptions.RemoveEmptyEntries)) {
            return new String[0];
        }
        return split(s, seps, opt, count);
    }

    private static void add(List<String> out, String part, StringSplitOptions opt) {
        if (opt == StringSplitOptions.TrimEntries) {
            part = part.trim();
        }
        if (opt == StringSplitOptions.RemoveEmptyEntries && part.isEmpty()) {
            return;
        }
        out.add(part);
    }

    private static String pad(String s, int width, char c, boolean left) {
        if (width < 0) {
            throw Ops.outOfRange("totalWidth", "Non-negative number required.");
        }
        if (width > Ops.MAX_STRING) {
            throw Ops.tooLong();
        }
        if (s.length() >= width) {
            return s;
        }
        String p = String.valueOf(c).repeat(width - s.length());
        return left ? p + s : s + p;
    }

    private static String substring(String s, int start, int len) {
        if (start < 0 || start > s.length()) {
            throw Ops.outOfRange("startIndex", "startIndex cannot be larger than length of string.");
        }
        if (len < 0 || start + len > s.length()) {
            throw Ops.outOfRange("length", "Index and length must refer to a location within the string.");
        }
        return s.substring(start, start + len);
    }

    static String join(String sep, Object values) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object o : Ops.seq(values)) {
            if (!first) {
                sb.append(sep == null ? "" : sep);
            }
            first = false;
            sb.append(Dotnet.toStr(o));
            if (sb.length() > Ops.MAX_STRING) {
                throw Ops.tooLong();
            }
        }
        return sb.toString();
    }

    static int compare(String a, String b, boolean ignoreCase) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        int c = ignoreCase ? a.compareToIgnoreCase(b) : a.compareTo(b);
        return Integer.signum(c);
    }

    static void register(Library l) {
        Members m = l.m;
        Type cmp = l.tComparison;
        Type opt = l.tSplit;
        Type charArr = Type.arrayOf(C);
        String st = "string";

        m.prop(st, "Length", I, o -> s(o).length());
        m.method(st, "Substring", S, (o, a, t) -> substring(s(o), i(a[0]), s(o).length() - Math.min(Math.max(i(a[0]), 0), s(o).length())), I);
        m.method(st, "Substring", S, (o, a, t) -> substring(s(o), i(a[0]), i(a[1])), I, I);
        m.method(st, "IndexOf", I, (o, a, t) -> s(o).indexOf((Character) a[0]), C);
        m.method(st, "IndexOf", I, (o, a, t) -> indexOf(s(o), s(a[0]), 0, false), S);
        m.method(st, "IndexOf", I, (o, a, t) -> {
            int from = i(a[1]);
            if (from < 0 || from > s(o).length()) {
                throw Ops.outOfRange("startIndex", "Index was out of range. Must be non-negative and less than or equal to the size of the collection.");
            }
            return s(o).indexOf((Character) a[0], from);
        }, C, I);
        m.method(st, "IndexOf", I, (o, a, t) -> indexOf(s(o), s(a[0]), i(a[1]), false), S, I);
        m.method(st, "IndexOf", I, (o, a, t) -> indexOf(s(o), s(a[0]), 0, ic(a[1])), S, cmp);
        m.method(st, "LastIndexOf", I, (o, a, t) -> s(o).lastIndexOf((Character) a[0]), C);
        m.method(st, "LastIndexOf", I, (o, a, t) -> lastIndexOf(s(o), s(a[0]), false), S);
        m.method(st, "LastIndexOf", I, (o, a, t) -> lastIndexOf(s(o), s(a[0]), ic(a[1])), S, cmp);
        m.method(st, "IndexOfAny", I, (o, a, t) -> {
            String cs = chars((Object[]) a[0]);
            for (int k = 0; k < s(o).length(); k++) {
                if (cs.indexOf(s(o).charAt(k)) >= 0) {
                    return k;
                }
            }
            return -1;
        }, charArr);
        m.method(st, "StartsWith", B, (o, a, t) -> startsWith(s(o), s(a[0]), false), S);
        m.method(st, "StartsWith", B, (o, a, t) -> !s(o).isEmpty() && s(o).charAt(0) == (Character) a[0], C);
        m.method(st, "StartsWith", B, (o, a, t) -> startsWith(s(o), s(a[0]), ic(a[1])), S, cmp);
        m.method(st, "EndsWith", B, (o, a, t) -> endsWith(s(o), s(a[0]), false), S);
        m.method(st, "EndsWith", B, (o, a, t) -> !s(o).isEmpty() && s(o).charAt(s(o).length() - 1) == (Character) a[0], C);
        m.method(st, "EndsWith", B, (o, a, t) -> endsWith(s(o), s(a[0]), ic(a[1])), S, cmp);
        m.method(st, "Contains", B, (o, a, t) -> indexOf(s(o), s(a[0]), 0, false) >= 0, S);
        m.method(st, "Contains", B, (o, a, t) -> s(o).indexOf((Character) a[0]) >= 0, C);
        m.method(st, "Contains", B, (o, a, t) -> indexOf(s(o), s(a[0]), 0, ic(a[1])) >= 0, S, cmp);
        m.method(st, "Equals", B, (o, a, t) -> a[0] instanceof String x && x.equals(o), S);
        m.method(st, "Equals", B, (o, a, t) -> a[0] != null && (ic(a[1]) ? s(o).equalsIgnoreCase(s(a[0])) : s(o).equals(a[0])), S, cmp);
        m.method(st, "CompareTo", I, (o, a, t) -> compare(s(o), s(a[0]), false), S);
        for (String name : new String[] {"ToUpper", "ToUpperInvariant"}) {
            m.method(st, name, S, (o, a, t) -> s(o).toUpperCase(Locale.ROOT));
        }
        for (String name : new String[] {"ToLower", "ToLowerInvariant"}) {
            m.method(st, name, S, (o, a, t) -> s(o).toLowerCase(Locale.ROOT));
        }
        String[] trims = {"Trim", "TrimStart", "TrimEnd"};
        for (int k = 0; k < 3; k++) {
            boolean start = k != 2;
            boolean end = k != 1;
            m.method(st, trims[k], S, (o, a, t) -> trim(s(o), null, start, end));
            m.method(st, trims[k], S, (o, a, t) -> trim(s(o), String.valueOf((char) (Character) a[0]), start, end), C);
            m.method(st, trims[k], S, (o, a, t) -> trim(s(o), "" + a[0] + a[1], start, end), C, C);
            m.method(st, trims[k], S, (o, a, t) -> trim(s(o), "" + a[0] + a[1] + a[2], start, end), C, C, C);
            m.method(st, trims[k], S, (o, a, t) -> trim(s(o), a[0] == null ? null : chars((Object[]) a[0]), start, end), charArr);
        }
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0].toString()), StringSplitOptions.None, Integer.MAX_VALUE), C);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0].toString(), a[1].toString()), StringSplitOptions.None, Integer.MAX_VALUE), C, C);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0].toString(), a[1].toString(), a[2].toString()), StringSplitOptions.None, Integer.MAX_VALUE), C, C, C);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), charList(a[0]), StringSplitOptions.None, Integer.MAX_VALUE), charArr);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0] == null ? "" : s(a[0])), StringSplitOptions.None, Integer.MAX_VALUE), S);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0].toString()), (StringSplitOptions) a[1], Integer.MAX_VALUE), C, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), List.of(a[0] == null ? "" : s(a[0])), (StringSplitOptions) a[1], Integer.MAX_VALUE), S, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), charList(a[0]), (StringSplitOptions) a[1], Integer.MAX_VALUE), charArr, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> split(s(o), strList(a[0]), (StringSplitOptions) a[1], Integer.MAX_VALUE), Type.STRING_ARRAY, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), List.of(a[0].toString()), StringSplitOptions.None, i(a[1])), C, I);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), List.of(a[0].toString()), (StringSplitOptions) a[2], i(a[1])), C, I, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), charList(a[0]), StringSplitOptions.None, i(a[1])), charArr, I);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), charList(a[0]), (StringSplitOptions) a[2], i(a[1])), charArr, I, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), List.of(a[0] == null ? "" : s(a[0])), (StringSplitOptions) a[2], i(a[1])), S, I, opt);
        m.method(st, "Split", Type.STRING_ARRAY, (o, a, t) -> splitCount(s(o), strList(a[0]), (StringSplitOptions) a[2], i(a[1])), Type.STRING_ARRAY, I, opt);
        m.method(st, "Replace", S, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("oldValue");
            }
            if (s(a[0]).isEmpty()) {
                throw new ExpressionException("System.ArgumentException", "String cannot be of zero length. (Parameter 'oldValue')");
            }
            return Ops.checkLength(s(o).replace(s(a[0]), a[1] == null ? "" : s(a[1])));
        }, S, S);
        m.method(st, "Replace", S, (o, a, t) -> s(o).replace((Character) a[0], (Character) a[1]), C, C);
        m.method(st, "PadLeft", S, (o, a, t) -> pad(s(o), i(a[0]), ' ', true), I);
        m.method(st, "PadLeft", S, (o, a, t) -> pad(s(o), i(a[0]), (Character) a[1], true), I, C);
        m.method(st, "PadRight", S, (o, a, t) -> pad(s(o), i(a[0]), ' ', false), I);
        m.method(st, "PadRight", S, (o, a, t) -> pad(s(o), i(a[0]), (Character) a[1], false), I, C);
        m.method(st, "Insert", S, (o, a, t) -> {
            int at = i(a[0]);
            if (at < 0 || at > s(o).length()) {
                throw Ops.outOfRange("startIndex", "Index was out of range. Must be non-negative and less than or equal to the size of the collection.");
            }
            return Ops.checkLength(s(o).substring(0, at) + s(a[1]) + s(o).substring(at));
        }, I, S);
        m.method(st, "Remove", S, (o, a, t) -> {
            int at = i(a[0]);
            if (at < 0 || at > s(o).length()) {
                throw Ops.outOfRange("startIndex", "startIndex must be less than length of string.");
            }
            return s(o).substring(0, at);
        }, I);
        m.method(st, "Remove", S, (o, a, t) -> {
            int at = i(a[0]);
            int n = i(a[1]);
            if (at < 0 || n < 0 || at + n > s(o).length()) {
                throw Ops.outOfRange("count", "Index and count must refer to a location within the string.");
            }
            return s(o).substring(0, at) + s(o).substring(at + n);
        }, I, I);
        m.method(st, "ToCharArray", charArr, (o, a, t) -> {
            String x = s(o);
            Object[] out = new Object[x.length()];
            for (int k = 0; k < out.length; k++) {
                out[k] = x.charAt(k);
            }
            return out;
        });
        m.method(st, "Normalize", S, (o, a, t) -> java.text.Normalizer.normalize(s(o), java.text.Normalizer.Form.NFC));

        Type jwt = l.m.type("Jwt", io.gatehouse.expr.lib.Jwt.class);
        Type basic = l.m.type("BasicAuthCredentials", io.gatehouse.expr.lib.BasicAuthCredentials.class);
        Type claims = new Type("IReadOnlyDictionary<string, string[]> (claims)", java.util.Map.class, null);
        m.method(st, "AsJwt", jwt, (o, a, t) -> io.gatehouse.expr.lib.Jwt.parse(s(o)));
        m.outMethod(st, "TryParseJwt", B, 0, jwt, (o, a, t) -> {
            io.gatehouse.expr.lib.Jwt j = io.gatehouse.expr.lib.Jwt.parse(s(o));
            ((Object[]) a[0])[0] = j;
            return j != null;
        }, O);
        m.method(st, "AsBasic", basic, (o, a, t) -> io.gatehouse.expr.lib.BasicAuthCredentials.parse(s(o)));
        m.prop(basic, "UserId", S, o -> ((io.gatehouse.expr.lib.BasicAuthCredentials) o).userId());
        m.prop(basic, "Password", S, o -> ((io.gatehouse.expr.lib.BasicAuthCredentials) o).password());
        m.prop(jwt, "Id", S, o -> ((io.gatehouse.expr.lib.Jwt) o).id());
        m.prop(jwt, "Issuer", S, o -> ((io.gatehouse.expr.lib.Jwt) o).issuer());
        m.prop(jwt, "Subject", S, o -> ((io.gatehouse.expr.lib.Jwt) o).subject());
        m.prop(jwt, "Algorithm", S, o -> ((io.gatehouse.expr.lib.Jwt) o).algorithm());
        m.prop(jwt, "Audiences", Type.STRING_ARRAY, o -> ((io.gatehouse.expr.lib.Jwt) o).audiences());
        m.prop(jwt, "ExpirationTime", l.tDateTime, o -> ((io.gatehouse.expr.lib.Jwt) o).expirationTime());
        m.prop(jwt, "NotBefore", l.tDateTime, o -> ((io.gatehouse.expr.lib.Jwt) o).notBefore());
        m.prop(jwt, "IssuedAt", l.tDateTime, o -> ((io.gatehouse.expr.lib.Jwt) o).issuedAt());
        m.prop(jwt, "Claims", claims, o -> ((io.gatehouse.expr.lib.Jwt) o).claims());
        m.method(claims, "GetValueOrDefault", S, (o, a, t) -> {
            List<?> v = (List<?>) ((java.util.Map<?, ?>) o).get(a[0]);
            return v == null ? a[1] : String.join(",", v.stream().map(String::valueOf).toList());
        }, S, S);
        m.method(claims, "GetValueOrDefault", S, (o, a, t) -> {
            List<?> v = (List<?>) ((java.util.Map<?, ?>) o).get(a[0]);
            return v == null ? null : String.join(",", v.stream().map(String::valueOf).toList());
        }, S);
        // the generic IReadOnlyDictionary<string, string[]>.GetValueOrDefault(key, defaultValue) (CollectionExtensions)
        m.method(claims, "GetValueOrDefault", Type.STRING_ARRAY, (o, a, t) -> {
            List<?> v = (List<?>) ((java.util.Map<?, ?>) o).get(a[0]);
            return v == null ? a[1] : v.stream().map(String::valueOf).toArray(String[]::new);
        }, S, Type.STRING_ARRAY);
        m.method(claims, "ContainsKey", B, (o, a, t) -> ((java.util.Map<?, ?>) o).containsKey(a[0]), S);
        m.prop(claims, "Count", I, o -> ((java.util.Map<?, ?>) o).size());
        m.prop(claims, "Keys", Type.STRING_ARRAY, o -> ((java.util.Map<?, ?>) o).keySet().toArray(String[]::new));
        l.indexer(claims, S, Type.STRING_ARRAY, (o, k) -> {
            List<?> v = (List<?>) ((java.util.Map<?, ?>) o).get(k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v.toArray(String[]::new);
        }, null);

        String ss = "static:String";
        m.prop(ss, "Empty", S, o -> "");
        m.method(ss, "IsNullOrEmpty", B, (o, a, t) -> a[0] == null || s(a[0]).isEmpty(), S);
        m.method(ss, "IsNullOrWhiteSpace", B, (o, a, t) -> a[0] == null || s(a[0]).isBlank(), S);
        Type[] objs = new Type[Ops.MAX_PARAMS];
        java.util.Arrays.fill(objs, O);
        for (int n = 0; n < Ops.MAX_PARAMS; n++) {
            Type[] ps = new Type[n + 1];
            ps[0] = S;
            System.arraycopy(objs, 0, ps, 1, n);
            int count = n;
            m.method(ss, "Format", S, (o, a, t) -> {
                if (a[0] == null) {
                    throw Ops.argNull("format");
                }
                Object[] rest = new Object[count];
                System.arraycopy(a, 1, rest, 0, count);
                if (count == 1 && a[1] instanceof Object[] arr && !(a[1] instanceof String[])) {
                    rest = arr;
                }
                try {
                    return Ops.checkLength(Dotnet.compositeFormat(s(a[0]), rest));
                } catch (IllegalArgumentException e) {
                    throw new ExpressionException("System.FormatException", e.getMessage());
                }
            }, ps);
        }
        m.method(ss, "Join", S, (o, a, t) -> join(s(a[0]), a[1]), S, O);
        for (int n = 2; n < Ops.MAX_PARAMS; n++) {
            Type[] ps = new Type[n + 1];
            ps[0] = S;
            System.arraycopy(objs, 0, ps, 1, n);
            m.method(ss, "Join", S, (o, a, t) -> {
                Object[] rest = new Object[a.length - 1];
                System.arraycopy(a, 1, rest, 0, rest.length);
                return join(s(a[0]), rest);
            }, ps);
        }
        m.method(ss, "Join", S, (o, a, t) -> join(String.valueOf(a[0]), a[1]), C, O);
        m.method(ss, "Concat", S, (o, a, t) -> a[0] instanceof String x ? x : join("", a[0]), O);
        for (int n = 2; n < Ops.MAX_PARAMS; n++) {
            Type[] ps = new Type[n];
            System.arraycopy(objs, 0, ps, 0, n);
            m.method(ss, "Concat", S, (o, a, t) -> join("", a), ps);
        }
        m.method(ss, "Compare", I, (o, a, t) -> compare(s(a[0]), s(a[1]), false), S, S);
        m.method(ss, "Compare", I, (o, a, t) -> compare(s(a[0]), s(a[1]), (Boolean) a[2]), S, S, B);
        m.method(ss, "Compare", I, (o, a, t) -> compare(s(a[0]), s(a[1]), ic(a[2])), S, S, cmp);
        m.method(ss, "CompareOrdinal", I, (o, a, t) -> compare(s(a[0]), s(a[1]), false), S, S);
        m.method(ss, "Equals", B, (o, a, t) -> java.util.Objects.equals(a[0], a[1]), S, S);
        m.method(ss, "Equals", B, (o, a, t) -> a[0] == null ? a[1] == null
                : a[1] != null && (ic(a[2]) ? s(a[0]).equalsIgnoreCase(s(a[1])) : a[0].equals(a[1])), S, S, cmp);
        l.enumType("StringComparison", cmp, io.gatehouse.expr.lib.DotnetEnums.StringComparison.values());
        l.enumType("StringSplitOptions", opt, StringSplitOptions.values());

        String sc = "static:Char";
        m.method(sc, "IsDigit", B, (o, a, t) -> Character.isDigit((Character) a[0]), C);
        m.method(sc, "IsLetter", B, (o, a, t) -> Character.isLetter((Character) a[0]), C);
        m.method(sc, "IsLetterOrDigit", B, (o, a, t) -> Character.isLetterOrDigit((Character) a[0]), C);
        m.method(sc, "IsWhiteSpace", B, (o, a, t) -> Character.isWhitespace((Character) a[0]), C);
        m.method(sc, "IsUpper", B, (o, a, t) -> Character.isUpperCase((Character) a[0]), C);
        m.method(sc, "IsLower", B, (o, a, t) -> Character.isLowerCase((Character) a[0]), C);
        m.method(sc, "ToUpper", C, (o, a, t) -> Character.toUpperCase((Character) a[0]), C);
        m.method(sc, "ToLower", C, (o, a, t) -> Character.toLowerCase((Character) a[0]), C);
        m.method(sc, "ToString", S, (o, a, t) -> String.valueOf((char) (Character) a[0]), C);
    }

    /** A string[] separator argument: null and null or empty entries are skipped (whitespace when none remain), as .NET does. */
    private static List<String> strList(Object arr) {
        List<String> out = new ArrayList<>();
        if (arr != null) {
            for (Object c : (Object[]) arr) {
                if (c != null && !c.toString().isEmpty()) {
                    out.add(c.toString());
                }
            }
        }
        return out;
    }

    private static List<String> charList(Object arr) {
        List<String> out = new ArrayList<>();
        for (Object c : (Object[]) arr) {
            out.add(c.toString());
        }
        return out;
    }
}
