package io.gatehouse.policy.elements.liquid;

import io.gatehouse.policy.elements.liquid.Ast.*;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders compiled nodes for one request: variable scopes ({@code assign} and {@code capture}
 * write to the outermost, a {@code for} loop gets its own), {@code break}/{@code continue}, and the
 * step and output limits. One renderer per rendering; not thread-safe.
 */
final class Renderer {
    private final Deque<Map<String, Object>> scopes = new ArrayDeque<>();
    final StringBuilder out = new StringBuilder();
    private int steps;
    private Boolean jump; // TRUE = break, FALSE = continue, null = none

    Renderer(Map<String, Object> globals) {
        scopes.push(new HashMap<>(globals));
    }

    void step() {
        if (++steps > LiquidTemplate.MAX_STEPS) {
            throw new LiquidException("the template took more than " + LiquidTemplate.MAX_STEPS + " steps");
        }
    }

    void write(String s) {
        if (out.length() + s.length() > LiquidTemplate.MAX_OUTPUT) {
            throw new LiquidException("the template produced more than " + LiquidTemplate.MAX_OUTPUT + " characters");
        }
        out.append(s);
    }

    void block(List<Node> nodes) {
        for (Node n : nodes) {
            if (jump != null) {
                return;
            }
            step();
            node(n);
        }
    }

    private void node(Node n) {
        switch (n) {
            case Text t -> write(t.text());
            case Output o -> write(Values.str(eval(o.value())));
            case If f -> {
                for (Branch b : f.branches()) {
                    if (test(b.cond())) {
                        block(b.body());
                        return;
                    }
                }
                block(f.otherwise());
            }
            case Case c -> {
                Object v = eval(c.subject());
                for (When w : c.whens()) {
                    for (Expr e : w.values()) {
                        if (Values.equal(v, eval(e))) {
                            block(w.body());
                            return;
                        }
                    }
                }
                block(c.otherwise());
            }
            case For f -> loop(f);
            case Assign a -> scopes.getLast().put(a.name(), eval(a.value()));
            case Capture c -> {
                int mark = out.length();
                block(c.body());
                String captured = out.substring(mark);
                out.setLength(mark);
                scopes.getLast().put(c.name(), captured);
            }
            case Jump j -> jump = j.isBreak();
        }
    }

    private void loop(For f) {
        List<Object> items = Values.iterable(eval(f.collection()));
        int offset = f.offset() == null ? 0 : intArg(eval(f.offset()), "offset");
        int from = Math.min(Math.max(offset, 0), items.size());
        int to = items.size();
        if (f.limit() != null) {
            to = Math.min(to, from + Math.max(0, intArg(eval(f.limit()), "limit")));
        }
        List<Object> slice = new ArrayList<>(items.subList(from, to));
        if (f.reversed()) {
            Collections.reverse(slice);
        }
        if (slice.isEmpty()) {
            block(f.otherwise());
            return;
        }
        Map<String, Object> scope = new HashMap<>();
        scopes.push(scope);
        try {
            int len = slice.size();
            for (int k = 0; k < len; k++) {
                step();
                if (f.jsonArray() && k > 0) {
                    write(",");
                }
                Map<String, Object> forloop = new LinkedHashMap<>();
                forloop.put("index", (long) k + 1);
                forloop.put("index0", (long) k);
                forloop.put("rindex", (long) (len - k));
                forloop.put("rindex0", (long) (len - k - 1));
                forloop.put("first", k == 0);
                forloop.put("last", k == len - 1);
                forloop.put("length", (long) len);
                scope.put("forloop", forloop);
                scope.put(f.var(), slice.get(k));
                block(f.body());
                if (jump != null) {
                    boolean brk = jump;
                    jump = null;
                    if (brk) {
                        break;
                    }
                }
            }
        } finally {
            scopes.pop();
        }
    }

    private static int intArg(Object v, String what) {
        Number n = Values.number(v);
        if (n == null) {
            throw new LiquidException(what + ": '" + Values.str(v) + "' is not a number");
        }
        return n.intValue();
    }

    private boolean test(Cond c) {
        return switch (c) {
            case Not n -> !test(n.cond());
            case Logic l -> l.and() ? test(l.left()) && test(l.right()) : test(l.left()) || test(l.right());
            case Compare cmp when cmp.op() == null -> Values.truthy(eval(cmp.left()));
            case Compare cmp -> {
                Object a = eval(cmp.left());
                Object b = eval(cmp.right());
                yield switch (cmp.op()) {
                    case "==" -> Values.equal(a, b);
                    case "!=", "<>" -> !Values.equal(a, b);
                    case "contains" -> Values.contains(a, b);
                    default -> {
                        Integer r = Values.compare(a, b);
                        if (r == null) {
                            yield false;
                        }
                        yield switch (cmp.op()) {
                            case "<" -> r < 0;
                            case ">" -> r > 0;
                            case "<=" -> r <= 0;
                            default -> r >= 0;
                        };
                    }
                };
            }
        };
    }

    private Object eval(Filtered f) {
        Object v = eval(f.base());
        for (FilterCall call : f.filters()) {
            List<Object> args = new ArrayList<>(call.args().size());
            for (Expr a : call.args()) {
                args.add(eval(a));
            }
            try {
                v = Filters.apply(call.name(), v, args);
            } catch (LiquidException e) {
                throw new LiquidException(call.at() + ": " + call.name() + ": " + e.getMessage());
            }
        }
        return v;
    }

    private Object eval(Expr e) {
        return switch (e) {
            case Literal l -> l.value();
            case RangeExpr r -> {
                int a = intArg(eval(r.from()), "range start");
                int b = intArg(eval(r.to()), "range end");
                if ((long) b - a >= LiquidTemplate.MAX_RANGE) {
                    throw new LiquidException("range (" + a + ".." + b + ") is too long");
                }
                List<Object> l = new ArrayList<>();
                for (long k = a; k <= b; k++) {
                    l.add(k);
                }
                yield l;
            }
            case PathExpr p -> {
                Object v = lookup(p.root());
                for (Object seg : p.segments()) {
                    v = Values.member(v, seg instanceof Expr x ? eval(x) : seg);
                }
                yield v;
            }
        };
    }

    private Object lookup(String name) {
        for (Map<String, Object> scope : scopes) {
            if (scope.containsKey(name)) {
                return scope.get(name);
            }
        }
        return null;
    }
}
