package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.internal.Ast.Call;
import io.gatehouse.expr.internal.Ast.Expr;
import io.gatehouse.expr.internal.Ast.Lambda;
import io.gatehouse.expr.internal.Ast.Member;
import io.gatehouse.expr.internal.Compiler.C;
import io.gatehouse.expr.internal.Compiler.Fn;
import io.gatehouse.expr.internal.Compiler.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/** The LINQ operators over arrays, lists, JArray and strings, with lambdas compiled like any expression. */
final class Linq {
    private Linq() {
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

    static C compile(Compiler c, Call call, Member m, C recv, Type elem) {
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
        Fn fn = lambda ? c.lambda(arg, elem) : null;
        Node value = arg != null && !lambda ? c.valueOf(arg).n() : null;
        Type bool = Type.BOOL;
        Type listOfElem = Type.listOf(elem);
        Op op;
        Type ret;
        if (lambda && needsBool(name) && fn.ret() != Type.BOOL && !fn.ret().isDynamic()) {
            return c.failAt(arg.pos(), "the lambda of '" + name + "' must return a bool but returns '" + fn.ret().name() + "'");
        }
        switch (name) {
            case "Any" -> {
                ret = bool;
                op = fn == null ? (env, it) -> !it.isEmpty() : (env, it) -> {
                    for (Object x : it) {
                        if (Ops.truth(fn.apply(env, x))) {
                            return true;
                        }
                    }
                    return false;
                };
                if (value != null) {
                    return c.failAt(arg.pos(), "'Any' takes a lambda such as 'x => x == 1'");
                }
            }
            case "All" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'All' takes a lambda such as 'x => x > 0'");
                }
                ret = bool;
                op = (env, it) -> {
                    for (Object x : it) {
                        if (!Ops.truth(fn.apply(env, x))) {
                            return false;
                        }
                    }
                    return true;
                };
            }
            case "Count" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'Count' takes a lambda such as 'x => x > 0'");
                }
                ret = Type.INT;
                op = fn == null ? (env, it) -> it.size() : (env, it) -> {
                    int n = 0;
                    for (Object x : it) {
                        if (Ops.truth(fn.apply(env, x))) {
                            n++;
                        }
                    }
                    return n;
                };
            }
            case "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'" + name + "' takes a lambda such as 'x => x > 0'");
                }
                boolean orDefault = name.endsWith("OrDefault");
                boolean last = name.startsWith("Last");
                boolean single = name.startsWith("Single");
                ret = elem;
                Object zero = Conv.zero(elem);
                op = (env, it) -> {
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
            case "Where" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'Where' takes a lambda such as 'x => x > 0'");
                }
                ret = listOfElem;
                op = (env, it) -> {
                    List<Object> out = new ArrayList<>();
                    for (Object x : it) {
                        if (Ops.truth(fn.apply(env, x))) {
                            out.add(x);
                        }
                    }
                    return out;
                };
            }
            case "Select" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'Select' takes a lambda such as 'x => x.Name'");
                }
                if (fn.ret() == Type.VOID) {
                    return c.failAt(arg.pos(), "the lambda of 'Select' must produce a value");
                }
                ret = Type.listOf(fn.ret() == Type.NULL ? Type.OBJECT : fn.ret());
                op = (env, it) -> {
                    List<Object> out = new ArrayList<>(it.size());
                    for (Object x : it) {
                        out.add(fn.apply(env, x));
                    }
                    return out;
                };
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
                op = (env, it) -> {
                    List<Object> out = new ArrayList<>();
                    for (Object x : it) {
                        out.addAll(Ops.seq(fn.apply(env, x)));
                    }
                    return out;
                };
            }
            case "OrderBy", "OrderByDescending" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x.Name'");
                }
                boolean desc = name.endsWith("Descending");
                ret = listOfElem;
                op = (env, it) -> {
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
            case "Contains" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Contains' takes the value to look for");
                }
                ret = bool;
                op = (env, it) -> {
                    Object v = value.eval(env);
                    for (Object x : it) {
                        env.tick();
                        if (Ops.equal(x, v)) {
                            return true;
                        }
                    }
                    return false;
                };
            }
            case "Skip", "Take", "ElementAt" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a count");
                }
                String nm = name;
                ret = name.equals("ElementAt") ? elem : listOfElem;
                op = (env, it) -> {
                    int n = Ops.asInt(value.eval(env));
                    if (nm.equals("ElementAt")) {
                        if (n < 0 || n >= it.size()) {
                            throw new ExpressionException("System.ArgumentOutOfRangeException",
                                    "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')");
                        }
                        return it.get(n);
                    }
                    int k = Math.max(0, Math.min(n, it.size()));
                    return new ArrayList<>(nm.equals("Skip") ? it.subList(k, it.size()) : it.subList(0, k));
                };
            }
            case "Concat" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Concat' takes another collection");
                }
                ret = listOfElem;
                op = (env, it) -> {
                    List<Object> out = new ArrayList<>(it);
                    out.addAll(Ops.seq(value.eval(env)));
                    return out;
                };
            }
            case "Distinct", "Reverse", "ToList", "ToArray" -> {
                if (argc != 0) {
                    return c.failAt(m.namePos(), "'" + name + "' takes no arguments");
                }
                String nm = name;
                ret = name.equals("ToArray") ? Type.arrayOf(elem) : name.equals("ToList") ? Type.realListOf(elem) : listOfElem;
                op = (env, it) -> switch (nm) {
                    case "Distinct" -> new ArrayList<>(new LinkedHashSet<>(it));
                    case "Reverse" -> {
                        List<Object> out = new ArrayList<>(it);
                        java.util.Collections.reverse(out);
                        yield out;
                    }
                    case "ToArray" -> Conv.toArray(it.toArray(), elem);
                    default -> it;
                };
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
                String nm = name;
                ret = name.equals("Average") ? (t == Type.DECIMAL ? Type.DECIMAL : Type.DOUBLE)
                        : t.rank() == 0 && t != Type.INT ? Type.INT : t;
                Type rt = ret;
                op = (env, it) -> {
                    List<Object> vals = new ArrayList<>();
                    for (Object x : it) {
                        vals.add(fn == null ? x : fn.apply(env, x));
                    }
                    switch (nm) {
                        case "Sum" -> {
                            Object acc = Conv.zero(rt.isDynamic() ? Type.INT : rt);
                            for (Object v : vals) {
                                acc = Operator.ADD.apply(acc, v);
                            }
                            return acc;
                        }
                        case "Average" -> {
                            if (vals.isEmpty()) {
                                throw noElements();
                            }
                            Object acc = rt == Type.DECIMAL ? (Object) java.math.BigDecimal.ZERO : (Object) 0.0;
                            for (Object v : vals) {
                                acc = Operator.ADD.apply(acc, v);
                            }
                            return Operator.DIV.apply(acc, rt == Type.DECIMAL ? (Object) java.math.BigDecimal.valueOf(vals.size())
                                    : (Object) (double) vals.size());
                        }
                        default -> {
                            if (vals.isEmpty()) {
                                throw noElements();
                            }
                            Object best = vals.get(0);
                            for (Object v : vals) {
                                int cmp = compare(v, best);
                                if (nm.equals("Max") ? cmp > 0 : cmp < 0) {
                                    best = v;
                                }
                            }
                            return best;
                        }
                    }
                };
            }
            default -> {
                return c.failAt(m.namePos(), "unknown method '" + name + "'");
            }
        }
        Node rn = recv.n();
        boolean nc = m.nullConditional();
        Op fop = op;
        return new C(env -> {
            Object o = rn.eval(env);
            if (o == null) {
                if (nc) {
                    return null;
                }
                throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'source')");
            }
            return fop.run(env, Ops.seq(o));
        }, ret);
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
