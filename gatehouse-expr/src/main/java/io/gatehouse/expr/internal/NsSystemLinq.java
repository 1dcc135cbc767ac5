package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.internal.Ast.Call;
import io.gatehouse.expr.internal.Ast.Expr;
import io.gatehouse.expr.internal.Ast.Lambda;
import io.gatehouse.expr.internal.Ast.Member;
import io.gatehouse.expr.internal.Checker.C;
import io.gatehouse.expr.internal.Planner.Fn;
import io.gatehouse.expr.internal.Planner.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code System.Linq}: the LINQ operators over arrays, lists, JArray and strings, with lambdas checked like any
 * expression: {@link #check} resolves a call for the checker, {@link #plan} builds what runs.
 */
final class NsSystemLinq {
    private NsSystemLinq() {
    }

    private static ExpressionException noElements() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains no elements");
    }

    private static ExpressionException noMatch() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains no matching element");
    }

    private static ExpressionException moreThanOne() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains more than one element");
    }

    private interface Op {
        Object run(Env env, List<Object> items);
    }

    /** Checks a LINQ call on a sequence of {@code elem}: its argument, lambda and result type. */
    static C check(Checker c, Call call, Member m, C recv, Type elem) {
        String name = m.name();
        int argc = call.args().size();
        if (!call.typeArgs().isEmpty()) {
            return c.failAt(m.namePos(), "'" + name + "' is used without type arguments here");
        }
        for (var a : call.args()) {
            if (a.out()) {
                return c.failAt(a.pos(), "'" + name + "' does not take 'out' arguments");
            }
        }
        Expr arg = argc == 1 ? call.args().get(0).expr() : null;
        boolean lambda = arg instanceof Lambda;
        if (argc > 1) {
            return c.failAt(m.namePos(), "'" + name + "' takes at most 1 argument here, not " + argc);
        }
        Checked.Lambda fn = lambda ? c.lambda(arg, elem) : null;
        Checked.Expr value = arg != null && !lambda ? c.valueOf(arg).e() : null;
        Type listOfElem = Type.listOf(elem);
        Type ret;
        if (lambda && needsBool(name) && fn.ret() != Type.BOOL && !fn.ret().isDynamic()) {
            return c.failAt(arg.pos(), "the lambda of '" + name + "' must return a bool but returns '" + fn.ret().name() + "'");
        }
        switch (name) {
            case "Any", "Count", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'" + name + "' takes a lambda such as 'x => " + (name.equals("Any") ? "x == 1" : "x > 0") + "'");
                }
                ret = name.equals("Any") ? Type.BOOL : name.equals("Count") ? Type.INT : elem;
            }
            case "All", "Where" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x > 0'");
                }
                ret = name.equals("All") ? Type.BOOL : listOfElem;
            }
            case "Select" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'Select' takes a lambda such as 'x => x.Name'");
                }
                if (fn.ret() == Type.VOID) {
                    return c.failAt(arg.pos(), "the lambda of 'Select' must produce a value");
                }
                ret = Type.listOf(fn.ret() == Type.NULL ? Type.OBJECT : fn.ret());
            }
            case "SelectMany" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'SelectMany' takes a lambda such as 'x => x.Items'");
                }
                Type inner = c.elementType(fn.ret());
                if (inner == null) {
                    return c.failAt(arg.pos(), "the lambda of 'SelectMany' must produce a collection");
                }
                ret = Type.listOf(inner);
            }
            case "OrderBy", "OrderByDescending" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x.Name'");
                }
                ret = listOfElem;
            }
            case "Contains" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Contains' takes the value to look for");
                }
                ret = Type.BOOL;
            }
            case "Skip", "Take", "ElementAt" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a count");
                }
                ret = name.equals("ElementAt") ? elem : listOfElem;
            }
            case "Concat" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Concat' takes another collection");
                }
                ret = listOfElem;
            }
            case "Distinct", "Reverse", "ToList", "ToArray" -> {
                if (argc != 0) {
                    return c.failAt(m.namePos(), "'" + name + "' takes no arguments");
                }
                ret = name.equals("ToArray") ? Type.arrayOf(elem) : name.equals("ToList") ? Type.realListOf(elem) : listOfElem;
            }
            case "Sum", "Max", "Min", "Average" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'" + name + "' takes a lambda such as 'x => x.Price'");
                }
                Type t = fn == null ? elem : fn.ret();
                boolean numeric = t.isNumeric() || t.isDynamic();
                boolean orderable = numeric || t == Type.STRING || t.name().equals("DateTime") || t.name().equals("TimeSpan");
                if (name.equals("Sum") || name.equals("Average") ? !numeric : !orderable) {
                    return c.failAt(m.namePos(), "'" + name + "' needs numbers but the values are '" + t.name() + "'");
                }
                ret = name.equals("Average") ? (t == Type.DECIMAL ? Type.DECIMAL : Type.DOUBLE)
                        : t.rank() == 0 && t != Type.INT ? Type.INT : t;
            }
            default -> {
                return c.failAt(m.namePos(), "unknown method '" + name + "'");
            }
        }
        return new C(new Checked.Linq(name, recv.e(), fn, value, elem, ret, m.nullConditional()), ret);
    }

    /** Builds a checked LINQ call: its source, planned lambda (or null) and planned argument (or null). */
    static Node plan(Checked.Linq l, Node source, Fn fn, Node value) {
        Op op = op(l.name(), fn, value, l.elem(), l.ret());
        boolean nc = l.nullConditional();
        return env -> {
            Object o = source.eval(env);
            if (o == null) {
                if (nc) {
                    return null;
                }
                throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'source')");
            }
            return op.run(env, Ops.seq(o));
        };
    }

    private static Op op(String name, Fn fn, Node value, Type elem, Type rt) {
        return switch (name) {
            case "Any" -> fn == null ? (env, it) -> !it.isEmpty() : (env, it) -> {
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        return true;
                    }
                }
                return false;
            };
            case "All" -> (env, it) -> {
                for (Object x : it) {
                    if (!Ops.truth(fn.apply(env, x))) {
                        return false;
                    }
                }
                return true;
            };
            case "Count" -> fn == null ? (env, it) -> it.size() : (env, it) -> {
                int n = 0;
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        n++;
                    }
                }
                return n;
            };
            case "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault" -> {
                boolean orDefault = name.endsWith("OrDefault");
                boolean last = name.startsWith("Last");
                boolean single = name.startsWith("Single");
                Object zero = Conv.zero(elem);
                yield (env, it) -> {
                    List<Object> hits = new ArrayList<>();
                    for (Object x : it) {
                        if (fn == null || Ops.truth(fn.apply(env, x))) {
                            hits.add(x);
                            if (!last && !single) {
                                break;
                            }
                            if (single && hits.size() > 1) {
                                throw moreThanOne();
                            }
                        }
                    }
                    if (hits.isEmpty()) {
                        if (orDefault) {
                            return zero;
                        }
                        throw fn == null ? noElements() : noMatch();
                    }
                    return last ? hits.get(hits.size() - 1) : hits.get(0);
                };
            }
            case "Where" -> (env, it) -> {
                List<Object> out = new ArrayList<>();
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        out.add(x);
                    }
                }
                return out;
            };
            case "Select" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it.size());
                for (Object x : it) {
                    out.add(fn.apply(env, x));
                }
                return out;
            };
            case "SelectMany" -> (env, it) -> {
                List<Object> out = new ArrayList<>();
                for (Object x : it) {
                    out.addAll(Ops.seq(fn.apply(env, x)));
                }
                return out;
            };
            case "OrderBy", "OrderByDescending" -> {
                boolean desc = name.endsWith("Descending");
                yield (env, it) -> {
                    List<Object[]> keyed = new ArrayList<>();
                    for (Object x : it) {
                        keyed.add(new Object[] {fn.apply(env, x), x});
                    }
                    Comparator<Object[]> cmp = (a, b) -> compare(a[0], b[0]);
                    keyed.sort(desc ? cmp.reversed() : cmp);
                    List<Object> out = new ArrayList<>();
                    for (Object[] k : keyed) {
                        out.add(k[1]);
                    }
                    return out;
                };
            }
            case "Contains" -> (env, it) -> {
                Object v = value.eval(env);
                for (Object x : it) {
                    env.tick();
                    if (Ops.equal(x, v)) {
                        return true;
                    }
                }
                return false;
            };
            case "ElementAt" -> (env, it) -> {
                int n = Ops.asInt(value.eval(env));
                if (n < 0 || n >= it.size()) {
                    throw new ExpressionException("System.ArgumentOutOfRangeException",
                            "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')");
                }
                return it.get(n);
            };
            case "Skip", "Take" -> {
                boolean skip = name.equals("Skip");
                yield (env, it) -> {
                    int n = Ops.asInt(value.eval(env));
                    int k = Math.max(0, Math.min(n, it.size()));
                    return new ArrayList<>(skip ? it.subList(k, it.size()) : it.subList(0, k));
                };
            }
            case "Concat" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it);
                out.addAll(Ops.seq(value.eval(env)));
                return out;
            };
            case "Distinct" -> (env, it) -> new ArrayList<>(new LinkedHashSet<>(it));
            case "Reverse" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it);
                java.util.Collections.reverse(out);
                return out;
            };
            case "ToArray" -> (env, it) -> Conv.toArray(it.toArray(), elem);
            case "ToList" -> (env, it) -> it;
            case "Sum" -> (env, it) -> {
                List<Object> vals = values(env, it, fn);
                Object acc = Conv.zero(rt.isDynamic() ? Type.INT : rt);
                for (Object v : vals) {
                    acc = Operator.ADD.apply(acc, v);
                }
                return acc;
            };
            case "Average" -> (env, it) -> {
                List<Object> vals = values(env, it, fn);
                if (vals.isEmpty()) {
                    throw noElements();
                }
                Object acc = rt == Type.DECIMAL ? (Object) java.math.BigDecimal.ZERO : (Object) 0.0;
                for (Object v : vals) {
                    acc = Operator.ADD.apply(acc, v);
                }
                return Operator.DIV.apply(acc, rt == Type.DECIMAL ? (Object) java.math.BigDecimal.valueOf(vals.size())
                        : (Object) (double) vals.size());
            };
            case "Max", "Min" -> {
                boolean max = name.equals("Max");
                yield (env, it) -> {
                    List<Object> vals = values(env, it, fn);
                    if (vals.isEmpty()) {
                        throw noElements();
                    }
                    Object best = vals.get(0);
                    for (Object v : vals) {
                        int cmp = compare(v, best);
                        if (max ? cmp > 0 : cmp < 0) {
                            best = v;
                        }
                    }
                    return best;
                };
            }
            default -> throw new IllegalStateException("unchecked LINQ method " + name);
        };
    }

    private static List<Object> values(Env env, List<Object> it, Fn fn) {
        List<Object> vals = new ArrayList<>();
        for (Object x : it) {
            vals.add(fn == null ? x : fn.apply(env, x));
        }
        return vals;
    }
    private static boolean needsBool(String name) {
        return switch (name) {
            case "Any", "All", "Count", "Where", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single",
                "SingleOrDefault" -> true;
            default -> false;
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compare(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (Ops.kind(a) >= 0 && Ops.kind(b) >= 0) {
            return Operator.LT.compare(a, b) ? -1 : Ops.equal(a, b) ? 0 : 1;
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        if (a instanceof Comparable ca && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        throw new ExpressionException("System.InvalidOperationException", "Failed to compare two elements in the array.");
    }
}
