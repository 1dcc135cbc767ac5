package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;

import java.util.ArrayList;
import java.util.List;

/**
 * The JSONPath that Newtonsoft's {@code SelectToken}/{@code SelectTokens} read: {@code $}, {@code .name},
 * {@code ['name']}, {@code ['a','b']}, {@code [0]}, {@code [0,2]}, {@code [*]}, {@code .*}, slices
 * {@code [start:end:step]} and recursive descent {@code ..name}, {@code ..*}; with {@code errorWhenNoMatch} a step
 * that finds nothing fails with Newtonsoft's message. Filter expressions {@code [?(...)]} are refused with a
 * JsonException naming them.
 */
final class JsonPath {
    private JsonPath() {
    }

    private static ExpressionException error(String message) {
        return new ExpressionException("Newtonsoft.Json.JsonException", message);
    }

    private interface Step {
        List<JToken> apply(List<JToken> current, boolean errors);
    }

    static List<JToken> select(JToken root, String path, boolean errorWhenNoMatch) {
        if (path == null) {
            throw Ops.argNull("path");
        }
        List<JToken> current = new ArrayList<>();
        current.add(root);
        for (Step s : parse(path)) {
            current = s.apply(current, errorWhenNoMatch);
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
            throw error("Filter expressions in paths are not supported by Gatehouse: " + p);
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
            return (cur, err) -> {
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
        return (cur, err) -> {
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
        Step plain = (cur, err) -> {
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
        return (cur, err) -> next.apply(every.apply(cur, false), err);
    }

    private static Step all() {
        return (cur, err) -> {
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
        return (cur, err) -> {
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
        return (cur, err) -> {
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
