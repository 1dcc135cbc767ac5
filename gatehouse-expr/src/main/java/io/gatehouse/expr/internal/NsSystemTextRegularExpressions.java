package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DotnetEnums.RegexOptions;
import io.gatehouse.expr.lib.RegexMatch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import static io.gatehouse.expr.internal.Args.s;

/**
 * {@code System.Text.RegularExpressions}: {@code Regex}, {@code Match}, {@code RegexOptions}; every
 * match honours the evaluation time limit.
 */
final class NsSystemTextRegularExpressions {
    private NsSystemTextRegularExpressions() {
    }

    /** Enum values as static members. */
    static void registerEnums(Library l) {
        l.enumType("RegexOptions", l.tRegexOptions, RegexOptions.values());
    }

    static void registerRegex(Library l) {
        Members m = l.m;
        regex(l, m);
    }

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
            throw Ops.argNull("input");
        }
        return new Guarded(s, new int[1]);
    }

    static Pattern compile(String pattern, Object opt) {
        if (pattern == null) {
            throw Ops.argNull("pattern");
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

    static RegexMatch match(Matcher mt, Pattern p, String input) {
        if (!mt.find()) {
            return RegexMatch.EMPTY;
        }
        return current(mt, p, input);
    }

    /** The match the matcher stands on, as a .NET Match. */
    private static RegexMatch current(Matcher mt, Pattern p, String input) {
        List<RegexMatch> groups = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int k = 0; k <= mt.groupCount(); k++) {
            String v = mt.group(k);
            java.util.function.Supplier<List<RegexMatch>> captures = null;
            if (v != null && k > 0) {
                int group = k;
                int ms = mt.start();
                int me = mt.end();
                int gs = mt.start(k);
                int ge = mt.end(k);
                List<List<RegexMatch>> memo = new ArrayList<>(1);
                captures = () -> {
                    if (memo.isEmpty()) {
                        memo.add(RegexCaptures.of(p, input, ms, me, group, gs, ge));
                    }
                    return memo.get(0);
                };
            }
            groups.add(new RegexMatch(v != null, v == null ? "" : v, v == null ? 0 : mt.start(k), v == null ? 0 : v.length(),
                    List.of(), List.of(), null, captures));
            names.add(Integer.toString(k));
        }
        p.namedGroups().forEach((name, idx) -> names.set(idx, name));
        return new RegexMatch(true, mt.group(), mt.start(), mt.group().length(), groups, names, input);
    }

    private static String replace(Pattern p, String input, String replacement) {
        if (replacement == null) {
            throw Ops.argNull("replacement");
        }
        try {
            return Ops.checkLength(p.matcher(guarded(input)).replaceAll(replacement.replace("\\", "\\\\").replace("$0", "$0")));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new ExpressionException("System.ArgumentException", "Invalid replacement pattern: " + e.getMessage());
        }
    }

    /**
     * {@code Regex.Replace} with a {@code MatchEvaluator}: each of the first {@code count} matches (all when -1) from
     * {@code startat} is replaced by what the evaluator returns for it (null adds nothing), left to right.
     */
    private static String replace(Env env, Pattern p, String input, Planner.Fn evaluator, int count, int startat) {
        if (input == null) {
            throw Ops.argNull("input");
        }
        if (count < -1) {
            throw Ops.outOfRange("count", "Count cannot be less than -1.");
        }
        if (startat < 0 || startat > input.length()) {
            throw Ops.outOfRange("startat", "Start index cannot be less than 0 or greater than input length.");
        }
        Matcher mt = p.matcher(guarded(input));
        StringBuilder out = new StringBuilder();
        int last = 0;
        int done = 0;
        if (count != 0 && mt.find(startat)) {
            do {
                RegexMatch rm = current(mt, p, input);
                out.append(input, last, mt.start());
                Object r = evaluator.apply(env, rm);
                if (r != null) {
                    out.append((String) r);
                }
                if (out.length() > Ops.MAX_STRING) {
                    throw Ops.tooLong();
                }
                last = mt.end();
                done++;
            } while ((count < 0 || done < count) && mt.find());
        }
        out.append(input, last, input.length());
        return Ops.checkLength(out.toString());
    }

    private static List<Object> matches(Pattern p, String input) {
        List<Object> out = new ArrayList<>();
        Matcher mt = p.matcher(guarded(input));
        while (true) {
            RegexMatch rm = match(mt, p, input);
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
            return match(p.matcher(guarded(s(a[0]))), p, s(a[0]));
        }, S, S);
        m.method(so, "Match", MT, (o, a, t) -> {
            Pattern p = compile(s(a[1]), a[2]);
            return match(p.matcher(guarded(s(a[0]))), p, s(a[0]));
        }, S, S, RO);
        m.method(so, "Matches", Type.realListOf(MT), (o, a, t) -> matches(compile(s(a[1]), null), s(a[0])), S, S);
        m.method(so, "Replace", S, (o, a, t) -> replace(compile(s(a[1]), null), s(a[0]), s(a[2])), S, S, S);
        m.method(so, "Replace", S, (o, a, t) -> replace(compile(s(a[1]), a[3]), s(a[0]), s(a[2])), S, S, S, RO);
        // MatchEvaluator overloads: Regex.Replace(input, pattern, m => ...[, options]) and regex.Replace(input, m => ...[, count[, startat]])
        Type[] evalParams = {MT};
        l.lambdaMethod(so, "Replace", new Library.LambdaMethod(new Type[] {S, S, null}, evalParams, S, S,
                (env, o, a, fn) -> replace(env, compile(s(a[1]), null), s(a[0]), fn, -1, 0)));
        l.lambdaMethod(so, "Replace", new Library.LambdaMethod(new Type[] {S, S, null, RO}, evalParams, S, S,
                (env, o, a, fn) -> replace(env, compile(s(a[1]), a[2]), s(a[0]), fn, -1, 0)));
        l.lambdaMethod(RX.name(), "Replace", new Library.LambdaMethod(new Type[] {S, null}, evalParams, S, S,
                (env, o, a, fn) -> replace(env, (Pattern) o, s(a[0]), fn, -1, 0)));
        l.lambdaMethod(RX.name(), "Replace", new Library.LambdaMethod(new Type[] {S, null, Type.INT}, evalParams, S, S,
                (env, o, a, fn) -> replace(env, (Pattern) o, s(a[0]), fn, Ops.asInt(a[1]), 0)));
        l.lambdaMethod(RX.name(), "Replace", new Library.LambdaMethod(new Type[] {S, null, Type.INT, Type.INT}, evalParams, S, S,
                (env, o, a, fn) -> replace(env, (Pattern) o, s(a[0]), fn, Ops.asInt(a[1]), Ops.asInt(a[2]))));
        m.method(so, "Split", Type.STRING_ARRAY, (o, a, t) -> compile(s(a[1]), null).split(guarded(s(a[0])), -1), S, S);
        m.method(so, "Escape", S, (o, a, t) -> s(a[0]).replaceAll("([\\\\*+?|{\\[()^$.#\\s])", "\\\\$1"), S);
        m.method(so, "Unescape", S, (o, a, t) -> unescape(s(a[0])), S);
        m.method(MT, "Result", S, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("replacement");
            }
            RegexMatch rm = (RegexMatch) o;
            if (!rm.success()) {
                throw new ExpressionException("System.NotSupportedException", "Result cannot be called on a failed Match.");
            }
            return Ops.checkLength(rm.result(s(a[0])));
        }, S);
        l.staticProp("Match", "Empty", MT, x -> RegexMatch.EMPTY);
        l.staticName("Match", "Match");
        m.method("new:Regex", ".ctor", RX, (o, a, t) -> compile(s(a[0]), null), S);
        m.method("new:Regex", ".ctor", RX, (o, a, t) -> compile(s(a[0]), a[1]), S, RO);
        m.method(RX, "IsMatch", B, (o, a, t) -> ((Pattern) o).matcher(guarded(s(a[0]))).find(), S);
        m.method(RX, "Match", MT, (o, a, t) -> match(((Pattern) o).matcher(guarded(s(a[0]))), (Pattern) o, s(a[0])), S);
        m.method(RX, "Matches", Type.realListOf(MT), (o, a, t) -> matches((Pattern) o, s(a[0])), S);
        m.method(RX, "Replace", S, (o, a, t) -> replace((Pattern) o, s(a[0]), s(a[1])), S, S);
        m.method(RX, "Split", Type.STRING_ARRAY, (o, a, t) -> ((Pattern) o).split(guarded(s(a[0])), -1), S);
        m.method(RX, "ToString", S, (o, a, t) -> ((Pattern) o).pattern());
        m.prop(MT, "Success", B, o -> ((RegexMatch) o).success());
        m.prop(MT, "Value", S, o -> ((RegexMatch) o).value());
        m.prop(MT, "Index", Type.INT, o -> ((RegexMatch) o).index());
        m.prop(MT, "Length", Type.INT, o -> ((RegexMatch) o).length());
        m.prop(MT, "Groups", l.tGroups, o -> o);
        if (m.named("Capture") == null) {
            m.alias("Capture", MT);
        }
        m.prop(MT, "Captures", Type.realListOf(MT), o -> new ArrayList<Object>(((RegexMatch) o).captures()));
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

    /**
     * {@code Regex.Unescape}: turns the escapes a pattern may hold back into characters ({@code \\n},
     * {@code \\t}, {@code \\x41}, {@code \\u0041}, octal {@code \\101}, {@code \\cA}, and a backslash
     * before any other character stands for that character), as .NET's RegexParser does.
     */
    static String unescape(String in) {
        if (in == null) {
            throw Ops.argNull("str");
        }
        if (in.indexOf('\\') < 0) {
            return in;
        }
        StringBuilder out = new StringBuilder(in.length());
        int k = 0;
        while (k < in.length()) {
            char c = in.charAt(k++);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (k >= in.length()) {
                throw new ExpressionException("System.Text.RegularExpressions.RegexParseException",
                        "Invalid pattern '" + in + "' at offset " + in.length() + ". Illegal \\\\ at end of pattern.");
            }
            char d = in.charAt(k++);
            switch (d) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'e' -> out.append('\u001B');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case 'x', 'u' -> {
                    int n = d == 'x' ? 2 : 4;
                    if (k + n > in.length() || !in.substring(k, k + n).chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                        throw new ExpressionException("System.Text.RegularExpressions.RegexParseException",
                                "Invalid pattern '" + in + "' at offset " + Math.min(k + n, in.length()) + ". Insufficient or invalid hexadecimal digits.");
                    }
                    out.append((char) Integer.parseInt(in.substring(k, k + n), 16));
                    k += n;
                }
                case 'c' -> {
                    if (k >= in.length() || !Character.isLetter(in.charAt(k))) {
                        throw new ExpressionException("System.Text.RegularExpressions.RegexParseException",
                                "Invalid pattern '" + in + "' at offset " + Math.min(k + 1, in.length()) + ". Unrecognized control character.");
                    }
                    out.append((char) (Character.toUpperCase(in.charAt(k++)) - '@'));
                }
                default -> {
                    if (d >= '0' && d <= '7') {
                        int v = d - '0';
                        int digits = 1;
                        while (digits < 3 && k < in.length() && in.charAt(k) >= '0' && in.charAt(k) <= '7') {
                            v = v * 8 + (in.charAt(k++) - '0');
                            digits++;
                        }
                        out.append((char) (v & 0xFF));
                    } else {
                        out.append(d);
                    }
                }
            }
        }
        return out.toString();
    }
}
