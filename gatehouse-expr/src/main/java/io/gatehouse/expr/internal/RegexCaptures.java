package io.gatehouse.expr.internal;

import io.gatehouse.expr.lib.RegexMatch;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Group.Captures}: every capture a group made in a match, in order. Java's regular expressions keep only a
 * group's last capture, so a group that repeats is worked out from the pattern. The repeated part (the group itself,
 * {@code (X)+}, or one quantified part around it, {@code (?:(X),?)+}) has the text of all its repetitions found by
 * matching again with that part wrapped in a group; that text is split into repetitions from the left (each the first
 * that lets the rest still be repetitions, the choice .NET's backtracking makes), and each repetition is matched alone
 * to find the group in it. A group that does not repeat has its one capture. A group repeated at two levels, or in a
 * pattern with backreferences or comments, has only its last capture known, and Captures holds that one.
 */
final class RegexCaptures {
    private RegexCaptures() {
    }

    /** A parenthesised part of a pattern. */
    private static final class Part {
        final Part parent;
        final int open;
        final int number;
        final int headLength;
        int quantEnd;
        boolean quantified;

        Part(Part parent, int open, int number, int headLength) {
            this.parent = parent;
            this.open = open;
            this.number = number;
            this.headLength = headLength;
        }

        boolean insideRepeated() {
            for (Part p = parent; p != null; p = p.parent) {
                if (p.quantified) {
                    return true;
                }
            }
            return false;
        }
    }

    private record Shape(List<Part> parts, boolean backrefs) {
    }

    static RegexMatch capture(String input, int start, int end) {
        return new RegexMatch(true, input.substring(start, end), start, end - start, List.of(), List.of());
    }

    static List<RegexMatch> of(Pattern p, String input, int matchStart, int matchEnd, int group, int groupStart, int groupEnd) {
        List<RegexMatch> last = List.of(capture(input, groupStart, groupEnd));
        String src = p.pattern();
        if ((p.flags() & Pattern.COMMENTS) != 0 || src.contains("(?x") || src.contains("(?-x")) {
            return last;
        }
        Shape shape = shape(src);
        if (shape == null) {
            return last;
        }
        Part g = null;
        for (Part part : shape.parts()) {
            if (part.number == group) {
                g = part;
            }
        }
        if (g == null || !g.quantified && !g.insideRepeated()) {
            return last;
        }
        // the repeated part: the group itself, or the one quantified part around it
        Part rep = g;
        if (!g.quantified) {
            rep = g.parent;
            while (!rep.quantified) {
                rep = rep.parent;
            }
        }
        if (rep.insideRepeated() || shape.backrefs()) {
            return last;
        }
        try {
            List<int[]> spans = iterations(p, src, shape, rep, input, matchStart, matchEnd);
            if (spans == null) {
                return last;
            }
            List<RegexMatch> out = new ArrayList<>();
            if (rep == g) {
                for (int[] sp : spans) {
                    out.add(capture(input, sp[0], sp[1]));
                }
            } else {
                // each repetition of the part again, alone and to its end: where the group matched in it
                int rel = g.number - capturingBefore(shape, rep.open);
                Matcher one = Pattern.compile(unnamed(src, rep, shape) + "\\z", p.flags()).matcher(input);
                one.useTransparentBounds(true);
                one.useAnchoringBounds(true);
                for (int[] sp : spans) {
                    one.region(sp[0], sp[1]);
                    if (!one.lookingAt()) {
                        return last;
                    }
                    if (one.start(rel) >= 0) {
                        out.add(capture(input, one.start(rel), one.end(rel)));
                    }
                }
            }
            if (out.isEmpty()) {
                return last;
            }
            RegexMatch end = out.get(out.size() - 1);
            if (end.index() != groupStart || end.index() + end.length() != groupEnd) {
                return last;
            }
            return out;
        } catch (RuntimeException e) {
            if (e instanceof io.gatehouse.expr.ExpressionException) {
                throw e;
            }
            return last;
        }
    }

    private static int capturingBefore(Shape shape, int at) {
        int n = 0;
        for (Part part : shape.parts()) {
            if (part.number > 0 && part.open < at) {
                n++;
            }
        }
        return n;
    }

    /**
     * The spans of a quantified part's repetitions in the match: the whole run found by matching again with the part
     * wrapped in a group, split from the left into repetitions. Null when that does not reproduce the match.
     */
    private static List<int[]> iterations(Pattern p, String src, Shape shape, Part rep, String input, int matchStart, int matchEnd) {
        int wrapper = capturingBefore(shape, rep.open) + 1;
        String wrapped = src.substring(0, rep.open) + "(" + src.substring(rep.open, rep.quantEnd) + ")" + src.substring(rep.quantEnd);
        Matcher m2 = Pattern.compile(wrapped, p.flags()).matcher(input);
        m2.region(matchStart, input.length());
        m2.useTransparentBounds(true);
        m2.useAnchoringBounds(false);
        if (!m2.lookingAt() || m2.end() != matchEnd || m2.start(wrapper) < 0) {
            return null;
        }
        int from = m2.start(wrapper);
        int to = m2.end(wrapper);
        String body = unnamed(src, rep, shape);
        Matcher it = Pattern.compile(body + "(?=" + body + "*\\z)", p.flags()).matcher(input);
        // opaque bounds: with transparent ones a lookahead sees past the region, and its \z would be the text's end
        it.useTransparentBounds(false);
        it.useAnchoringBounds(true);
        List<int[]> out = new ArrayList<>();
        int pos = from;
        while (pos < to) {
            Env e = Env.current();
            if (e != null) {
                e.tick();
            }
            it.region(pos, to);
            if (!it.lookingAt()) {
                return null;
            }
            out.add(new int[] {pos, it.end()});
            if (it.end() == pos) {
                break;
            }
            pos = it.end();
        }
        if (out.isEmpty()) {
            out.add(new int[] {from, to});
        }
        return out;
    }

    /** The part as written, up to its closing parenthesis, with the names of named groups in it dropped (they would be defined twice). */
    private static String unnamed(String src, Part g, Shape shape) {
        int end = src.lastIndexOf(')', g.quantEnd - 1) + 1;
        StringBuilder sb = new StringBuilder();
        int k = g.open;
        for (Part part : shape.parts()) {
            if (part.open >= g.open && part.open < end && part.number > 0 && part.headLength > 1) {
                sb.append(src, k, part.open).append('(');
                k = part.open + part.headLength;
            }
        }
        sb.append(src, k, end);
        return sb.toString();
    }

    /** The parenthesised parts of a pattern (capturing ones numbered from 1), or null when it cannot be read. */
    private static Shape shape(String s) {
        List<Part> parts = new ArrayList<>();
        Part open = null;
        int number = 0;
        boolean backrefs = false;
        int n = s.length();
        int k = 0;
        while (k < n) {
            char c = s.charAt(k);
            if (c == '\\') {
                if (k + 1 >= n) {
                    return null;
                }
                char d = s.charAt(k + 1);
                if (d >= '1' && d <= '9' || d == 'k') {
                    backrefs = true;
                }
                if (d == 'Q') {
                    int e = s.indexOf("\\E", k + 2);
                    k = e < 0 ? n : e + 2;
                    continue;
                }
                k += 2;
            } else if (c == '[') {
                int depth = 1;
                k++;
                if (k < n && s.charAt(k) == '^') {
                    k++;
                }
                if (k < n && s.charAt(k) == ']') {
                    k++;
                }
                while (k < n && depth > 0) {
                    char d = s.charAt(k);
                    if (d == '\\') {
                        k += 2;
                        continue;
                    }
                    if (d == '[') {
                        depth++;
                    } else if (d == ']') {
                        depth--;
                    }
                    k++;
                }
            } else if (c == '(') {
                boolean capturing;
                int head = 1;
                if (k + 1 < n && s.charAt(k + 1) == '?') {
                    capturing = k + 3 < n && s.charAt(k + 2) == '<' && Character.isLetter(s.charAt(k + 3));
                    if (capturing) {
                        int close = s.indexOf('>', k);
                        if (close < 0) {
                            return null;
                        }
                        head = close - k + 1;
                    }
                } else {
                    capturing = true;
                }
                open = new Part(open, k, capturing ? ++number : 0, head);
                parts.add(open);
                k += head;
            } else if (c == ')') {
                if (open == null) {
                    return null;
                }
                int q = k + 1;
                if (q < n && (s.charAt(q) == '*' || s.charAt(q) == '+' || s.charAt(q) == '?')) {
                    q++;
                    open.quantified = true;
                } else if (q < n && s.charAt(q) == '{') {
                    int close = s.indexOf('}', q);
                    if (close > 0 && s.substring(q + 1, close).matches("\\d+(,\\d*)?")) {
                        q = close + 1;
                        open.quantified = true;
                    }
                }
                if (open.quantified && q < n && (s.charAt(q) == '?' || s.charAt(q) == '+')) {
                    q++;
                }
                open.quantEnd = q;
                open = open.parent;
                k++;
            } else {
                k++;
            }
        }
        return open == null ? new Shape(parts, backrefs) : null;
    }
}
