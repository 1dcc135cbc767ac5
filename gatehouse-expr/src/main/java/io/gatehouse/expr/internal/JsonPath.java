package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSONPath that Newtonsoft's {@code SelectToken}/{@code SelectTokens} read: {@code $}, {@code .name},
 * {@code ['name']}, {@code ['a','b']}, {@code [0]}, {@code [0,2]}, {@code [*]}, {@code .*}, slices
 * {@code [start:end:step]}, recursive descent {@code ..name}, {@code ..*}, and filters {@code [?(...)]}; with
 * {@code errorWhenNoMatch} a step that finds nothing fails with Newtonsoft's message.
 */
final class JsonPath {
    private JsonPath() {
    }

    private static ExpressionException error(String message) {
        return new ExpressionException("Newtonsoft.Json.JsonException", message);
    }

    private interface Step {
        List<JToken> apply(List<JToken> current, boolean errors, JToken root);
    }

    static List<JToken> select(JToken root, String path, boolean errorWhenNoMatch) {
        if (path == null) {
            throw Ops.argNull("path");
        }
        List<JToken> current = new ArrayList<>();
        current.add(root);
        for (Step s : parse(path)) {
            current = s.apply(current, errorWhenNoMatch, root);
        }
        return current;
    }

    private static List<Step> parse(String p) {
        List<Step> steps = new ArrayList<>();
        int k = 0;
        int n = p.length();
        while (k < n && p.charAt(k) == ' ') {
            k++;
        }
        if (k < n && p.charAt(k) == '$') {
            k++;
        }
        boolean scan = false;
        boolean afterDot = false;
        boolean first = true;
        while (k < n) {
            char c = p.charAt(k);
            if (c == '[') {
                int[] end = new int[1];
                Step s = indexer(p, k + 1, end, scan);
                steps.add(s);
                k = end[0];
                scan = false;
                afterDot = false;
            } else if (c == '.') {
                if (afterDot) {
                    throw error("Unexpected end while parsing path.");
                }
                if (k + 1 < n && p.charAt(k + 1) == '.') {
                    scan = true;
                    k += 2;
                } else {
                    k++;
                }
                afterDot = true;
                if (k >= n) {
                    throw error("Unexpected end while parsing path.");
                }
            } else if (c == ' ') {
                int j = k;
                while (j < n && p.charAt(j) == ' ') {
                    j++;
                }
                if (j < n) {
                    throw error("Unexpected character while parsing path: " + p.charAt(j));
                }
                k = j;
            } else if (c == ']' || c == '(' || c == ')') {
                throw error("Unexpected character while parsing path: " + c);
            } else {
                if (!afterDot && !first) {
                    throw error("Unexpected character following indexer: " + c);
                }
                int j = k;
                while (j < n && ".[]() ".indexOf(p.charAt(j)) < 0) {
                    j++;
                }
                String name = p.substring(k, j);
                steps.add(name.equals("*") ? field(null, scan) : field(name, scan));
                k = j;
                scan = false;
                afterDot = false;
            }
            first = false;
        }
        if (scan) {
            throw error("Unexpected end while parsing path.");
        }
        return steps;
    }

    /** Reads an indexer after '[' (at {@code k}) up to its ']' ({@code end[0]} is the index after it). */
    private static Step indexer(String p, int k, int[] end, boolean scan) {
        int n = p.length();
        while (k < n && p.charAt(k) == ' ') {
            k++;
        }
        if (k >= n) {
            throw error("Path ended with open indexer.");
        }
        char c = p.charAt(k);
        if (c == '?') {
            Filter f = new Filter(p, k + 1);
            Cond cond = f.top();
            int j = f.k;
            while (j < n && p.charAt(j) == ' ') {
                j++;
            }
            if (j >= n || p.charAt(j) != ']') {
                throw error("Path ended with open indexer.");
            }
            end[0] = j + 1;
            return (cur, err, top) -> {
                List<JToken> out = new ArrayList<>();
                for (JToken t : cur) {
                    // as Newtonsoft's QueryFilter: the filter tests what the token enumerates (array items; an object's
                    // properties); after '..' (QueryScanFilter) the token itself and every token below it
                    List<JToken> candidates;
                    if (scan) {
                        candidates = new ArrayList<>();
                        candidates.add(t);
                        candidates.addAll(t.descendants());
                    } else {
                        candidates = t instanceof JArray || t instanceof JObject ? t.children() : List.of();
                    }
                    for (JToken v : candidates) {
                        if (cond.test(top, v)) {
                            out.add(v);
                        }
                    }
                }
                return out;
            };
        }
        if (c == '\'' || c == '"') {
            List<String> names = new ArrayList<>();
            while (true) {
                char q = p.charAt(k);
                StringBuilder sb = new StringBuilder();
                int j = k + 1;
                while (j < n && p.charAt(j) != q) {
                    if (p.charAt(j) == '\\' && j + 1 < n) {
                        char e = p.charAt(++j);
                        sb.append(switch (e) {
                            case 'b' -> '\b';
                            case 't' -> '\t';
                            case 'n' -> '\n';
                            case 'f' -> '\f';
                            case 'r' -> '\r';
                            case '\\', '"', '\'', '/' -> e;
                            default -> throw error("Unknown escape character: \\" + e);
                        });
                    } else {
                        sb.append(p.charAt(j));
                    }
                    j++;
                }
                if (j >= n) {
                    throw error("Path ended with an open string.");
                }
                names.add(sb.toString());
                j++;
                while (j < n && p.charAt(j) == ' ') {
                    j++;
                }
                if (j < n && p.charAt(j) == ',') {
                    j++;
                    while (j < n && p.charAt(j) == ' ') {
                        j++;
                    }
                    if (j >= n || p.charAt(j) != '\'' && p.charAt(j) != '"') {
                        throw error("Unexpected character while parsing path indexer: " + (j < n ? p.charAt(j) : ' '));
                    }
                    k = j;
                    continue;
                }
                if (j >= n || p.charAt(j) != ']') {
                    throw error("Unexpected character while parsing path indexer: " + (j < n ? p.charAt(j) : ' '));
                }
                end[0] = j + 1;
                if (names.size() == 1) {
                    return field(names.get(0), scan);
                }
                return fields(names, scan);
            }
        }
        int close = p.indexOf(']', k);
        if (close < 0) {
            throw error("Path ended with open indexer.");
        }
        end[0] = close + 1;
        String inner = p.substring(k, close).trim();
        Step base;
        if (inner.equals("*")) {
            base = all();
        } else if (inner.contains(":")) {
            String[] parts = inner.split(":", -1);
            if (parts.length > 3) {
                throw error("Unexpected character while parsing path indexer: :");
            }
            Integer start = number(parts[0]);
            Integer stop = number(parts[1]);
            Integer step = parts.length == 3 ? number(parts[2]) : null;
            if (step != null && step == 0) {
                throw error("Step cannot be zero.");
            }
            base = slice(start, stop, step);
        } else {
            List<Integer> indexes = new ArrayList<>();
            for (String part : inner.split(",", -1)) {
                Integer i = number(part);
                if (i == null) {
                    throw error("Array index expected.");
                }
                indexes.add(i);
            }
            base = indexes(indexes);
        }
        return scan ? scanThen(base) : base;
    }

    /** A filter's condition on a candidate token ({@code @}), with the path's root for {@code $}. */
    private interface Cond {
        boolean test(JToken root, JToken candidate);
    }

    /** An operand of a comparison: the tokens it stands for. */
    private interface Operand {
        List<JToken> eval(JToken root, JToken candidate);
    }

    /**
     * {@code ?( ... )}: comparisons ({@code == != < <= > >=}) between {@code @}/{@code $} paths and literals (numbers,
     * quoted strings, true, false, null), a path alone (it exists), {@code &&}, {@code ||} and parentheses, matched as
     * Newtonsoft's BooleanQueryExpression does: some left token and some right token satisfy the operator.
     */
    private static final class Filter {
        final String p;
        int k;

        Filter(String p, int k) {
            this.p = p;
            this.k = k;
        }

        private void ws() {
            while (k < p.length() && p.charAt(k) == ' ') {
                k++;
            }
        }

        private boolean eat(String s) {
            ws();
            if (p.startsWith(s, k)) {
                k += s.length();
                return true;
            }
            return false;
        }

        Cond top() {
            if (!eat("(")) {
                throw error("Unexpected character while parsing path indexer: " + (k < p.length() ? p.charAt(k) : ' '));
            }
            Cond c = or();
            if (!eat(")")) {
                throw error("Path ended with open query.");
            }
            return c;
        }

        private Cond or() {
            Cond left = and();
            while (eat("||")) {
                Cond a = left;
                Cond b = and();
                left = (r, t) -> a.test(r, t) || b.test(r, t);
            }
            return left;
        }

        private Cond and() {
            Cond left = unary();
            while (eat("&&")) {
                Cond a = left;
                Cond b = unary();
                left = (r, t) -> a.test(r, t) && b.test(r, t);
            }
            return left;
        }

        private Cond unary() {
            ws();
            if (k < p.length() && p.charAt(k) == '(') {
                k++;
                Cond c = or();
                if (!eat(")")) {
                    throw error("Path ended with open query.");
                }
                return c;
            }
            Operand left = operand();
            ws();
            String op = null;
            for (String o : new String[] {"===", "!==", "==", "!=", "<=", ">=", "<", ">"}) {
                if (p.startsWith(o, k)) {
                    op = o;
                    k += o.length();
                    break;
                }
            }
            if (op == null) {
                return (r, t) -> !left.eval(r, t).isEmpty();
            }
            Operand right = operand();
            String o = op;
            return (r, t) -> {
                for (JToken a : left.eval(r, t)) {
                    for (JToken b : right.eval(r, t)) {
                        if (match(o, a, b)) {
                            return true;
                        }
                    }
                }
                return false;
            };
        }

        private Operand operand() {
            ws();
            if (k >= p.length()) {
                throw error("Path ended with open query.");
            }
            char c = p.charAt(k);
            if (c == '@' || c == '$') {
                int start = k + 1;
                int j = start;
                int depth = 0;
                while (j < p.length()) {
                    char d = p.charAt(j);
                    if (d == '[') {
                        depth++;
                    } else if (d == ']') {
                        if (depth == 0) {
                            break;
                        }
                        depth--;
                    } else if (depth == 0 && (d == ' ' || d == ')' || "=!<>&|".indexOf(d) >= 0)) {
                        break;
                    }
                    j++;
                }
                List<Step> steps = parse(p.substring(start, j));
                k = j;
                boolean fromRoot = c == '$';
                return (r, t) -> {
                    List<JToken> cur = new ArrayList<>();
                    cur.add(fromRoot ? r : t);
                    for (Step s : steps) {
                        cur = s.apply(cur, false, r);
                    }
                    return cur;
                };
            }
            JToken literal;
            if (c == '\'' || c == '"') {
                int j = p.indexOf(c, k + 1);
                if (j < 0) {
                    throw error("Path ended with an open string.");
                }
                literal = new JValue(p.substring(k + 1, j));
                k = j + 1;
            } else if (p.startsWith("true", k) || p.startsWith("false", k) || p.startsWith("null", k)) {
                String w = p.startsWith("true", k) ? "true" : p.startsWith("false", k) ? "false" : "null";
                literal = new JValue(w.equals("null") ? null : (Object) Boolean.valueOf(w));
                k += w.length();
            } else {
                int j = k;
                while (j < p.length() && "-+.eE0123456789".indexOf(p.charAt(j)) >= 0) {
                    j++;
                }
                String num = p.substring(k, j);
                try {
                    literal = num.contains(".") || num.contains("e") || num.contains("E")
                            ? new JValue(Double.parseDouble(num)) : new JValue(Long.parseLong(num));
                } catch (NumberFormatException e) {
                    throw error("Could not read query value.");
                }
                k = j;
            }
            JToken lit = literal;
            return (r, t) -> List.of(lit);
        }
    }

    private static boolean match(String op, JToken a, JToken b) {
        if (!(a instanceof JValue x) || !(b instanceof JValue y)) {
            return op.equals("!=") || op.equals("!==");
        }
        Object u = x.value();
        Object v = y.value();
        boolean numbers = u instanceof Number && v instanceof Number;
        int cmp;
        if (numbers) {
            cmp = new java.math.BigDecimal(u.toString()).compareTo(new java.math.BigDecimal(v.toString()));
        } else if (u instanceof String s && v instanceof String w) {
            cmp = s.compareTo(w);
        } else if (u instanceof Boolean s && v instanceof Boolean w) {
            cmp = Boolean.compare(s, w);
        } else if (u == null && v == null) {
            cmp = 0;
        } else {
            return op.equals("!=") || op.equals("!==");
        }
        boolean strictTypes = !op.equals("===") && !op.equals("!==") || x.type() == y.type();
        return switch (op) {
            case "==" -> cmp == 0;
            case "===" -> strictTypes && cmp == 0;
            case "!=" -> cmp != 0;
            case "!==" -> !strictTypes || cmp != 0;
            case "<" -> !(u == null) && cmp < 0;
            case "<=" -> !(u == null) && cmp <= 0;
            case ">" -> !(u == null) && cmp > 0;
            default -> !(u == null) && cmp >= 0;
        };
    }

    private static Integer number(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return null;
        }
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw error("Unexpected character while parsing path indexer: " + t.charAt(0));
        }
    }

    private static String typeName(JToken t) {
        return t.getClass().getSimpleName();
    }

    /** {@code .name} (null for {@code *}); after {@code ..} every descendant property of that name. */
    private static Step field(String name, boolean scan) {
        if (scan) {
            return (cur, err, top) -> {
                List<JToken> out = new ArrayList<>();
                for (JToken c : cur) {
                    if (name == null) {
                        out.add(c);
                    }
                    for (JToken d : c.descendants()) {
                        if (d instanceof JProperty p) {
                            if (p.name().equals(name)) {
                                out.add(p.value());
                            }
                        } else if (name == null) {
                            out.add(d);
                        }
                    }
                }
                return out;
            };
        }
        return (cur, err, top) -> {
            List<JToken> out = new ArrayList<>();
            for (JToken t : cur) {
                if (t instanceof JObject o) {
                    if (name == null) {
                        out.addAll(o.properties().values());
                    } else {
                        JToken v = o.get(name);
                        if (v != null) {
                            out.add(v);
                        } else if (err) {
                            throw error("Property '" + name + "' does not exist on JObject.");
                        }
                    }
                } else if (err) {
                    throw error("Property '" + (name == null ? "*" : name) + "' not valid on " + typeName(t) + ".");
                }
            }
            return out;
        };
    }

    private static Step fields(List<String> names, boolean scan) {
        Step plain = (cur, err, top) -> {
            List<JToken> out = new ArrayList<>();
            for (JToken t : cur) {
                if (t instanceof JObject o) {
                    for (String name : names) {
                        JToken v = o.get(name);
                        if (v != null) {
                            out.add(v);
                        } else if (err) {
                            throw error("Property '" + name + "' does not exist on JObject.");
                        }
                    }
                } else if (err) {
                    throw error("Properties " + String.join(", ", names.stream().map(x -> "'" + x + "'").toList())
                            + " not valid on " + typeName(t) + ".");
                }
            }
            return out;
        };
        return scan ? scanThen(plain) : plain;
    }

    /** {@code ..[...]}: every token below (and the token itself), then the indexer. */
    private static Step scanThen(Step next) {
        Step every = field(null, true);
        return (cur, err, top) -> next.apply(every.apply(cur, false, top), err, top);
    }

    private static Step all() {
        return (cur, err, top) -> {
            List<JToken> out = new ArrayList<>();
            for (JToken t : cur) {
                if (t instanceof JArray a) {
                    out.addAll(a.items());
                } else if (err) {
                    throw error("Index * not valid on " + typeName(t) + ".");
                }
            }
            return out;
        };
    }

    private static Step indexes(List<Integer> indexes) {
        return (cur, err, top) -> {
            List<JToken> out = new ArrayList<>();
            for (JToken t : cur) {
                for (int i : indexes) {
                    if (t instanceof JArray a) {
                        if (i < 0 || i >= a.count()) {
                            if (err) {
                                throw error("Index " + i + " outside the bounds of JArray.");
                            }
                        } else {
                            out.add(a.items().get(i));
                        }
                    } else if (err) {
                        throw error("Index " + i + " not valid on " + typeName(t) + ".");
                    }
                }
            }
            return out;
        };
    }

    /** {@code [start:end:step]} with Python's rules for negative and missing bounds, as Newtonsoft's ArraySliceFilter. */
    private static Step slice(Integer start, Integer stop, Integer step) {
        return (cur, err, top) -> {
            List<JToken> out = new ArrayList<>();
            for (JToken t : cur) {
                if (!(t instanceof JArray a)) {
                    if (err) {
                        throw error("Array slice is not valid on " + typeName(t) + ".");
                    }
                    continue;
                }
                int count = a.count();
                int st = step == null ? 1 : step;
                int from = start == null ? (st > 0 ? 0 : count - 1) : start;
                int to = stop == null ? (st > 0 ? count : -1) : stop;
                if (start != null && start < 0) {
                    from = count + from;
                }
                if (stop != null && stop < 0) {
                    to = count + to;
                }
                from = Math.max(from, st > 0 ? 0 : Integer.MIN_VALUE);
                from = Math.min(from, st > 0 ? count : count - 1);
                to = Math.max(to, -1);
                to = Math.min(to, count);
                boolean positive = st > 0;
                if (positive ? from < to : from > to) {
                    for (int i = from; positive ? i < to : i > to; i += st) {
                        out.add(a.items().get(i));
                    }
                } else if (err) {
                    throw error("Array slice of " + (start == null ? "*" : start) + " to " + (stop == null ? "*" : stop)
                            + " returned no results.");
                }
            }
            return out;
        };
    }
}
