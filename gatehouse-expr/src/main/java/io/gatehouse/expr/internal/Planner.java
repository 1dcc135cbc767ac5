package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.internal.Checked.*;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.Xml;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Turns the checked tree into what runs: a tree of closures ({@link Node} for values, {@link Exec}
 * for statements, {@link Matcher} for patterns) that reads locals by slot and calls resolved
 * members and operator implementations, with no lookups and no type tests beyond the values' own.
 * Reports nothing: everything that can be wrong was reported by {@link Checker}.
 */
public final class Planner {
    /** One planned expression. */
    @FunctionalInterface
    public interface Node {
        Object eval(Env env);
    }

    /** One planned statement: returns null to continue, or BREAK/CONTINUE/RETURN. */
    @FunctionalInterface
    interface Exec {
        Object exec(Env env);
    }

    /** Matches a value against a planned pattern, binding pattern variables in env. */
    @FunctionalInterface
    interface Matcher {
        boolean test(Env env, Object v);
    }

    static final Object BREAK = new Object();
    static final Object CONTINUE = new Object();
    static final Object RETURN = new Object();

    /** A planned one-parameter lambda: the slot its parameter lives in and its body. */
    record Fn(int slot, Node body) {
        Object apply(Env env, Object arg) {
            env.tick();
            env.locals[slot] = arg;
            return body.eval(env);
        }

        /** A two-parameter lambda: the parameters' slots follow each other. */
        Object apply(Env env, Object first, Object second) {
            env.tick();
            env.locals[slot] = first;
            env.locals[slot + 1] = second;
            return body.eval(env);
        }
    }

    /** A local function's body, set where it is declared; calls planned before that read it when they run. */
    private static final class FnBody {
        Node body;
    }

    private final Map<LocalFn, FnBody> functions = new IdentityHashMap<>();

    public Node plan(Expr e) {
        if (e == null) {
            // A type name used as a call in a statement (`int(7);`) checks without a value or an
            // error, as it did before checker and planner were split; it fails only when it runs.
            return env -> {
                throw new NullPointerException();
            };
        }
        return switch (e) {
            case Const c -> {
                Object v = c.value();
                yield env -> v;
            }
            case Interp i -> interpolation(i);
            case Local l -> {
                int slot = l.slot();
                yield env -> env.locals[slot];
            }
            case Context c -> env -> env.ctx;
            case DynamicProp p -> {
                Node tn = plan(p.target());
                String name = p.name();
                boolean nc = p.nullConditional();
                yield env -> {
                    Object o = receiver(tn, env, nc);
                    if (o == null) {
                        return null;
                    }
                    return Library.INSTANCE.dynamicProp(o, name);
                };
            }
            case Prop p -> {
                Node tn = plan(p.target());
                Members.Getter g = p.getter();
                if (p.nullConditional()) {
                    yield env -> {
                        Object o = tn.eval(env);
                        return o == null ? null : g.get(o);
                    };
                }
                yield env -> {
                    Object o = tn.eval(env);
                    if (o == null) {
                        throw ExpressionException.nullReference();
                    }
                    return g.get(o);
                };
            }
            case StaticProp p -> {
                Members.Getter g = p.getter();
                yield env -> g.get(null);
            }
            case IndexGet i -> indexGet(i);
            case PropRaw p -> {
                Node on = plan(p.target());
                Members.Getter getter = p.getter();
                yield env -> getter == null ? null : getter.get(on.eval(env));
            }
            case DynamicCall c -> dynamicCall(c);
            case Invoke c -> invoke(c);
            case CallLocal c -> callLocal(c);
            case Checked.Linq l -> NsSystemLinq.plan(l, plan(l.source()), l.fn() == null ? null : lambda(l.fn()),
                    l.value() == null ? null : plan(l.value()));
            case Checked.FnCall f -> fnCall(f);
            case Checked.LinqN l -> NsSystemLinq.planN(l, plan(l.source()), l.values().stream().map(this::plan).toList(),
                    l.fns().stream().map(this::lambda).toList());
            case Not n -> {
                Node in = plan(n.operand());
                yield env -> !Ops.truth(in.eval(env));
            }
            case UnaryOp u -> {
                Node in = plan(u.operand());
                PrefixOperator op = u.op();
                yield env -> op.apply(in.eval(env));
            }
            case BinaryOp b -> {
                Node ln = plan(b.left());
                Node rn = plan(b.right());
                yield b.impl().node(ln, rn);
            }
            case Logical l -> {
                Node ln = plan(l.left());
                Node rn = plan(l.right());
                if (l.and()) {
                    yield env -> Ops.truth(ln.eval(env)) && Ops.truth(rn.eval(env));
                }
                yield env -> Ops.truth(ln.eval(env)) || Ops.truth(rn.eval(env));
            }
            case Coalesce c -> {
                Node ln = plan(c.left());
                Node rn = plan(c.right());
                yield env -> {
                    Object v = ln.eval(env);
                    return v != null ? v : rn.eval(env);
                };
            }
            case IsNull i -> {
                Node n = plan(i.operand());
                if (i.negated()) {
                    yield env -> n.eval(env) != null;
                }
                yield env -> n.eval(env) == null;
            }
            case XNamePlus x -> {
                Node ln = plan(x.ns());
                Node rn = plan(x.local());
                yield env -> {
                    Object ns = ln.eval(env);
                    Object local = rn.eval(env);
                    if (ns == null || local == null) {
                        throw Ops.argNull(ns == null ? "ns" : "localName");
                    }
                    return ((Xml.XNamespace) ns).plus((String) local);
                };
            }
            case Conditional c -> {
                Node cond = plan(c.cond());
                Node an = plan(c.then());
                Node bn = plan(c.otherwise());
                yield env -> Ops.truth(cond.eval(env)) ? an.eval(env) : bn.eval(env);
            }
            case Truth t -> {
                Node n = plan(t.operand());
                yield env -> Ops.truth(n.eval(env));
            }
            case ToStr t -> {
                Node n = plan(t.operand());
                yield env -> {
                    Object v = n.eval(env);
                    return v == null ? null : Dotnet.toStr(v);
                };
            }
            case Implicit i -> Conv.implicit(plan(i.operand()), i.from(), i.to());
            case Cast c -> {
                Node n = plan(c.operand());
                Type to = c.to();
                boolean unbox = c.unbox();
                yield env -> Conv.cast(n.eval(env), to, unbox);
            }
            case As a -> {
                Node n = plan(a.operand());
                Type to = a.to();
                yield env -> {
                    Object o = n.eval(env);
                    return Conv.isInstance(o, to) ? o : null;
                };
            }
            case IsType i -> {
                Node n = plan(i.operand());
                Type to = i.to();
                boolean neg = i.negated();
                yield env -> Conv.isInstance(n.eval(env), to) != neg;
            }
            case IsBind i -> {
                Node n = plan(i.operand());
                Type to = i.to();
                int slot = i.slot();
                yield env -> {
                    Object o = n.eval(env);
                    if (Conv.isInstance(o, to)) {
                        env.locals[slot] = o;
                        return true;
                    }
                    return false;
                };
            }
            case IsPattern ip -> {
                Matcher mt = pattern(ip.pattern());
                Node vn = plan(ip.operand());
                yield env -> mt.test(env, vn.eval(env));
            }
            case ToJToken t -> {
                Node n = plan(t.operand());
                yield env -> JToken.from(n.eval(env));
            }
            case ToXName t -> {
                Node n = plan(t.operand());
                boolean name = t.name();
                yield env -> {
                    Object v = n.eval(env);
                    if (v == null) {
                        return null;
                    }
                    return name ? NsSystemXml.name(v) : new Xml.XNamespace((String) v);
                };
            }
            case StoreLocal s -> {
                Node vn = plan(s.value());
                int slot = s.slot();
                yield env -> {
                    Object v = vn.eval(env);
                    env.locals[slot] = v;
                    return v;
                };
            }
            case IndexSet s -> {
                Node on = plan(s.target());
                Node kn = plan(s.key());
                Node vn = plan(s.value());
                Library.Indexer.Set set = s.set();
                yield env -> {
                    Object o = on.eval(env);
                    if (o == null) {
                        throw ExpressionException.nullReference();
                    }
                    Object k = kn.eval(env);
                    Object v = vn.eval(env);
                    set.set(o, k, v);
                    return v;
                };
            }
            case PropSet s -> {
                Node on = plan(s.target());
                Node vn = plan(s.value());
                Library.Setter.Set set = s.set();
                yield env -> {
                    Object o = on.eval(env);
                    if (o == null) {
                        throw ExpressionException.nullReference();
                    }
                    Object v = vn.eval(env);
                    set.set(o, v);
                    return v;
                };
            }
            case IncDec i -> {
                int slot = i.slot();
                Type t = i.type();
                int delta = i.delta();
                boolean prefix = i.prefix();
                yield env -> {
                    Object old = env.locals[slot];
                    Object nv = Conv.cast(Operator.ADD.apply(old, delta), t, false);
                    env.locals[slot] = nv;
                    return prefix ? nv : old;
                };
            }
            case NewArray a -> newArray(a);
            case NewCollection c -> newCollection(c);
            case Initialize i -> {
                Node mn = plan(i.made());
                Node[] sa = plan(i.steps());
                int slot = i.slot();
                yield env -> {
                    Object o = mn.eval(env);
                    env.locals[slot] = o;
                    for (Node x : sa) {
                        x.eval(env);
                    }
                    return o;
                };
            }
            case NewException n -> {
                Node msg = n.message() == null ? null : plan(n.message());
                String dotnet = n.dotnetType();
                String paramPrefix = n.paramPrefix();
                yield env -> {
                    Object m = msg == null ? null : msg.eval(env);
                    String text = m == null ? null : Dotnet.toStr(m);
                    if (paramPrefix != null) {
                        text = paramPrefix + (text == null ? "" : " (Parameter '" + text + "')");
                    }
                    return new ExpressionException(dotnet, text);
                };
            }
            case Anonymous an -> {
                String[] names = an.names().toArray(String[]::new);
                Node[] values = plan(an.values());
                yield env -> {
                    JObject o = new JObject();
                    for (int k = 0; k < names.length; k++) {
                        o.add(names[k], JToken.from(values[k].eval(env)));
                    }
                    return o;
                };
            }
            case Thrown t -> {
                Node n = plan(t.value());
                yield env -> {
                    Object v = n.eval(env);
                    if (v instanceof ExpressionException x) {
                        return x;
                    }
                    if (v == null) {
                        return ExpressionException.nullReference();
                    }
                    return ExpressionException.invalidCast();
                };
            }
            case ThrowExpr t -> {
                Node n = plan(t.thrown());
                yield env -> {
                    throw (ExpressionException) n.eval(env);
                };
            }
            case SwitchExpr s -> switchExpression(s);
            case BlockResult b -> {
                Exec body = plan(b.body());
                yield env -> {
                    Object r = body.exec(env);
                    if (r != RETURN) {
                        throw new ExpressionException("System.InvalidOperationException", "The block ended without a return.");
                    }
                    return env.returned;
                };
            }
            case BlockValue b -> {
                Exec body = plan(b.body());
                yield env -> {
                    Object r = body.exec(env);
                    return r == RETURN ? env.returned : null;
                };
            }
        };
    }

    /**
     * The value of a member access's target: throws NullReferenceException for null unless the
     * access is null-conditional ({@code ?.}, {@code ?[]}), when null comes back for the whole access.
     */
    private static Object receiver(Node target, Env env, boolean nullConditional) {
        Object o = target.eval(env);
        if (o == null && !nullConditional) {
            throw ExpressionException.nullReference();
        }
        return o;
    }

    private Node[] plan(List<Expr> es) {
        Node[] out = new Node[es.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = plan(es.get(k));
        }
        return out;
    }

    private Node fnCall(Checked.FnCall f) {
        Node target = f.target() == null ? null : plan(f.target());
        Node[] values = f.values().stream().map(this::plan).toArray(Node[]::new);
        Fn fn = lambda(f.fn());
        Checked.FnImpl impl = f.impl();
        boolean nc = f.nullConditional();
        return env -> {
            Object t = null;
            if (target != null) {
                t = target.eval(env);
                if (t == null) {
                    if (nc) {
                        return null;
                    }
                    throw ExpressionException.nullReference();
                }
            }
            Object[] a = new Object[values.length];
            for (int k = 0; k < a.length; k++) {
                a[k] = values[k].eval(env);
            }
            return impl.run(env, t, a, fn);
        };
    }

    Fn lambda(Lambda l) {
        return new Fn(l.slot(), plan(l.body()));
    }

    private Node interpolation(Interp i) {
        List<Node> nodes = new ArrayList<>();
        for (Object part : i.parts()) {
            if (part instanceof String s) {
                nodes.add(env -> s);
            } else {
                Hole h = (Hole) part;
                Node n = plan(h.value());
                String fmt = h.format();
                int align = h.align();
                nodes.add(env -> Dotnet.align(Dotnet.formatValue(n.eval(env), fmt), align));
            }
        }
        Node[] arr = nodes.toArray(Node[]::new);
        return env -> {
            StringBuilder sb = new StringBuilder();
            for (Node n : arr) {
                sb.append((String) n.eval(env));
                if (sb.length() > Ops.MAX_STRING) {
                    throw Ops.tooLong();
                }
            }
            return sb.toString();
        };
    }

    private Node indexGet(IndexGet i) {
        Node tn = plan(i.target());
        Node kn = plan(i.key());
        Library.Indexer.Get get = i.get();
        if (!i.checked()) {
            return env -> get.get(tn.eval(env), kn.eval(env));
        }
        boolean nc = i.nullConditional();
        return env -> {
            Object o = receiver(tn, env, nc);
            if (o == null) {
                return null;
            }
            return get.get(o, kn.eval(env));
        };
    }

    private Node dynamicCall(DynamicCall c) {
        Node rn = plan(c.target());
        Node[] an = plan(c.args());
        String name = c.name();
        boolean nc = c.nullConditional();
        Type typeArg = c.typeArg();
        return env -> {
            Object o = receiver(rn, env, nc);
            if (o == null) {
                return null;
            }
            Object[] vals = new Object[an.length];
            for (int k = 0; k < an.length; k++) {
                vals[k] = an[k].eval(env);
            }
            return Library.INSTANCE.dynamicCall(o, name, vals, typeArg);
        };
    }

    private Node invoke(Invoke c) {
        Members.Invoker inv = c.invoker();
        Node rn = c.target() == null ? null : plan(c.target());
        Node[] an = new Node[c.args().size()];
        for (int k = 0; k < an.length; k++) {
            Expr a = c.args().get(k);
            an[k] = a == null ? null : plan(a);
        }
        int oi = c.outIndex();
        int os = c.outSlot();
        Type ta = c.typeArg();
        boolean isStatic = rn == null;
        boolean nullConditional = c.nullConditional();
        return env -> {
            Object o = null;
            if (!isStatic) {
                o = receiver(rn, env, nullConditional);
                if (o == null) {
                    return null;
                }
            }
            Object[] vals = new Object[an.length];
            for (int k = 0; k < an.length; k++) {
                vals[k] = k == oi ? new Object[1] : an[k].eval(env);
            }
            Object result = inv.call(o, vals, ta);
            if (oi >= 0) {
                env.locals[os] = ((Object[]) vals[oi])[0];
            }
            return result;
        };
    }

    private FnBody bodyOf(LocalFn fn) {
        return functions.computeIfAbsent(fn, k -> new FnBody());
    }

    private Node callLocal(CallLocal c) {
        Node[] an = plan(c.args());
        LocalFn f = c.fn();
        FnBody fb = bodyOf(f);
        String name = f.name;
        int guardSlot = f.guardSlot;
        int[] slots = f.slots;
        return env -> {
            if (env.locals[guardSlot] != null) {
                throw new ExpressionException("System.InvalidOperationException",
                        "Local function '" + name + "' was called while it was running: recursion is not supported.");
            }
            Object[] vals = new Object[an.length];
            for (int k = 0; k < an.length; k++) {
                vals[k] = an[k].eval(env);
            }
            env.tick();
            env.locals[guardSlot] = Boolean.TRUE;
            try {
                for (int k = 0; k < vals.length; k++) {
                    env.locals[slots[k]] = vals[k];
                }
                return fb.body.eval(env);
            } finally {
                env.locals[guardSlot] = null;
            }
        };
    }

    private Node newArray(NewArray a) {
        Node[] arr = plan(a.items());
        Node sn = a.size() == null ? null : plan(a.size());
        Type et = a.elem();
        return env -> {
            int size = arr.length;
            if (sn != null) {
                size = Ops.asInt(sn.eval(env));
                if (size < 0) {
                    throw new ExpressionException("System.OverflowException", "Arithmetic operation resulted in an overflow.");
                }
                if (size > Ops.MAX_STRING) {
                    throw Ops.tooLong();
                }
                if (arr.length > 0 && arr.length != size) {
                    throw new ExpressionException("System.ArgumentException", "An array initializer of length "
                            + size + " is expected.");
                }
            }
            Object[] vals = new Object[size];
            for (int k = 0; k < arr.length; k++) {
                vals[k] = arr[k].eval(env);
            }
            for (int k = arr.length; k < size; k++) {
                vals[k] = Conv.zero(et);
            }
            return Conv.toArray(vals, et);
        };
    }

    private Node newCollection(NewCollection c) {
        Node an = c.source() == null ? null : plan(c.source());
        return switch (c.kind()) {
            case LIST -> env -> new ArrayList<Object>();
            case LIST_FROM -> env -> {
                Object src = an.eval(env);
                if (src == null) {
                    throw Ops.argNull("collection");
                }
                return new ArrayList<Object>(Ops.seq(src));
            };
            case SET -> env -> new LinkedHashSet<Object>();
            case SET_FROM -> env -> {
                Object src = an.eval(env);
                if (src == null) {
                    throw Ops.argNull("collection");
                }
                return new LinkedHashSet<Object>(Ops.seq(src));
            };
            case MAP -> env -> new LinkedHashMap<Object, Object>();
            case MAP_COPY -> env -> {
                Object src = an.eval(env);
                if (src == null) {
                    throw Ops.argNull("dictionary");
                }
                return new LinkedHashMap<Object, Object>((Map<?, ?>) src);
            };
            case MAP_WITH_COMPARER -> env -> {
                Object cmp = an.eval(env);
                return cmp != null && cmp.toString().endsWith("IgnoreCase") ? new IgnoreCaseMap() : new LinkedHashMap<Object, Object>();
            };
        };
    }

    private Node switchExpression(SwitchExpr se) {
        Node sn = plan(se.subject());
        int n = se.patterns().size();
        Matcher[] matchers = new Matcher[n];
        Node[] nodes = new Node[n];
        for (int k = 0; k < n; k++) {
            matchers[k] = pattern(se.patterns().get(k));
            nodes[k] = plan(se.results().get(k));
        }
        return env -> {
            Object v = sn.eval(env);
            for (int k = 0; k < matchers.length; k++) {
                if (matchers[k].test(env, v)) {
                    return nodes[k].eval(env);
                }
            }
            throw new ExpressionException("System.Runtime.CompilerServices.SwitchExpressionException",
                    "Non-exhaustive switch expression failed to match its input.");
        };
    }

    // ---- statements

    Exec plan(Stmt s) {
        return switch (s) {
            case Seq q -> {
                Exec[] arr = planAll(q.stmts());
                yield env -> {
                    for (Exec x : arr) {
                        Object r = x.exec(env);
                        if (r != null) {
                            return r;
                        }
                    }
                    return null;
                };
            }
            case Nop n -> env -> null;
            case Eval e -> {
                Node n = plan(e.expr());
                yield env -> {
                    n.eval(env);
                    return null;
                };
            }
            case If i -> {
                Node c = plan(i.cond());
                Exec then = plan(i.then());
                if (i.otherwise() == null) {
                    yield env -> Ops.truth(c.eval(env)) ? then.exec(env) : null;
                }
                Exec other = plan(i.otherwise());
                yield env -> Ops.truth(c.eval(env)) ? then.exec(env) : other.exec(env);
            }
            case While w -> {
                Node c = plan(w.cond());
                Exec body = plan(w.body());
                yield env -> {
                    while (Ops.truth(c.eval(env))) {
                        env.tick();
                        Object r = body.exec(env);
                        if (r != null && r != CONTINUE) {
                            return r == BREAK ? null : r;
                        }
                    }
                    return null;
                };
            }
            case DoWhile w -> {
                Exec body = plan(w.body());
                Node c = plan(w.cond());
                yield env -> {
                    do {
                        env.tick();
                        Object r = body.exec(env);
                        if (r != null && r != CONTINUE) {
                            return r == BREAK ? null : r;
                        }
                    } while (Ops.truth(c.eval(env)));
                    return null;
                };
            }
            case For f -> forLoop(f);
            case Foreach f -> foreach(f);
            case Return r -> {
                if (r.value() == null) {
                    yield env -> {
                        env.returned = null;
                        return RETURN;
                    };
                }
                Node n = plan(r.value());
                yield env -> {
                    env.returned = n.eval(env);
                    return RETURN;
                };
            }
            case Break b -> env -> BREAK;
            case Continue c -> env -> CONTINUE;
            case Try t -> tryStatement(t);
            case Rethrow r -> {
                int slot = r.slot();
                yield env -> {
                    throw (ExpressionException) env.locals[slot];
                };
            }
            case Throw t -> {
                Node n = plan(t.thrown());
                yield env -> {
                    throw (ExpressionException) n.eval(env);
                };
            }
            case Switch sw -> switchStatement(sw);
            case LocalFunction f -> {
                bodyOf(f.fn()).body = plan(f.fn().body);
                yield env -> null;
            }
        };
    }

    private Exec[] planAll(List<Stmt> stmts) {
        Exec[] out = new Exec[stmts.size()];
        for (int k = 0; k < out.length; k++) {
            out[k] = plan(stmts.get(k));
        }
        return out;
    }

    private Exec forLoop(For f) {
        Exec[] ia = planAll(f.init());
        Node c = f.cond() == null ? env -> Boolean.TRUE : plan(f.cond());
        Node[] sa = plan(f.step());
        Exec body = plan(f.body());
        return env -> {
            for (Exec x : ia) {
                x.exec(env);
            }
            while (Ops.truth(c.eval(env))) {
                env.tick();
                Object r = body.exec(env);
                if (r != null && r != CONTINUE) {
                    return r == BREAK ? null : r;
                }
                for (Node n : sa) {
                    n.eval(env);
                }
            }
            return null;
        };
    }

    private Exec foreach(Foreach f) {
        Node sn = plan(f.source());
        Exec body = plan(f.body());
        int slot = f.slot();
        Type vt = f.cast();
        boolean needCast = vt != null;
        return env -> {
            for (Object item : Ops.seq(sn.eval(env))) {
                env.tick();
                env.locals[slot] = needCast ? Conv.cast(item, vt, true) : item;
                Object r = body.exec(env);
                if (r != null && r != CONTINUE) {
                    return r == BREAK ? null : r;
                }
            }
            return null;
        };
    }

    private Exec tryStatement(Try t) {
        Exec body = plan(t.body());
        int n = t.catches().size();
        String[] types = new String[n];
        int[] varSlots = new int[n];
        int[] rethrowSlots = new int[n];
        Node[] filters = new Node[n];
        Exec[] handlers = new Exec[n];
        for (int k = 0; k < n; k++) {
            Catch c = t.catches().get(k);
            types[k] = c.type();
            varSlots[k] = c.varSlot();
            rethrowSlots[k] = c.rethrowSlot();
            filters[k] = c.filter() == null ? null : plan(c.filter());
            handlers[k] = plan(c.handler());
        }
        Exec fin = t.fin() == null ? null : plan(t.fin());
        return env -> {
            try {
                return body.exec(env);
            } catch (LimitExceededException e) {
                throw e;
            } catch (ExpressionException e) {
                for (int k = 0; k < n; k++) {
                    if (!catches(types[k], e.dotNetType())) {
                        continue;
                    }
                    if (varSlots[k] >= 0) {
                        env.locals[varSlots[k]] = e;
                    }
                    if (filters[k] != null && !Ops.truth(filters[k].eval(env))) {
                        continue;
                    }
                    env.locals[rethrowSlots[k]] = e;
                    return handlers[k].exec(env);
                }
                throw e;
            } finally {
                if (fin != null) {
                    fin.exec(env);
                }
            }
        };
    }

    /** Does a {@code catch (T)} clause catch an exception of .NET type {@code thrown}? */
    static boolean catches(String catchType, String thrown) {
        String c = catchType.substring(catchType.lastIndexOf('.') + 1);
        String t = thrown.substring(thrown.lastIndexOf('.') + 1);
        if (c.equals("Exception") || c.equals(t)) {
            return true;
        }
        return switch (c) {
            case "SystemException" -> !t.startsWith("Json");
            case "ArgumentException" -> t.equals("ArgumentNullException") || t.equals("ArgumentOutOfRangeException");
            case "JsonException" -> t.startsWith("Json");
            case "ArithmeticException" -> t.equals("OverflowException") || t.equals("DivideByZeroException");
            default -> false;
        };
    }

    private Exec switchStatement(Switch sw) {
        Node sn = plan(sw.subject());
        int sections = sw.bodies().size();
        Matcher[][] matchers = new Matcher[sections][];
        Exec[] bodies = new Exec[sections];
        for (int k = 0; k < sections; k++) {
            List<Pat> ps = sw.patterns().get(k);
            matchers[k] = new Matcher[ps.size()];
            for (int j = 0; j < ps.size(); j++) {
                matchers[k][j] = pattern(ps.get(j));
            }
            bodies[k] = plan(sw.bodies().get(k));
        }
        int def = sw.defaultSection();
        return env -> {
            Object v = sn.eval(env);
            int chosen = def;
            outer:
            for (int k = 0; k < matchers.length; k++) {
                for (Matcher m : matchers[k]) {
                    if (m.test(env, v)) {
                        chosen = k;
                        break outer;
                    }
                }
            }
            if (chosen < 0) {
                return null;
            }
            Object r = bodies[chosen].exec(env);
            return r == BREAK ? null : r;
        };
    }

    // ---- patterns

    private Matcher pattern(Pat p) {
        return switch (p) {
            case AnyPat a -> (env, v) -> true;
            case Checked.NotPat np -> {
                Matcher in = pattern(np.inner());
                yield (env, v) -> !in.test(env, v);
            }
            case Checked.AndPat ap -> {
                Matcher a = pattern(ap.left());
                Matcher b = pattern(ap.right());
                yield (env, v) -> a.test(env, v) && b.test(env, v);
            }
            case Checked.OrPat op -> {
                Matcher a = pattern(op.left());
                Matcher b = pattern(op.right());
                yield (env, v) -> a.test(env, v) || b.test(env, v);
            }
            case NullPat n -> (env, v) -> v == null;
            case ConstPat cp -> {
                Node cn = plan(cp.value());
                yield (env, v) -> v != null && Ops.equal(v, cn.eval(env));
            }
            case Checked.RelPat rp -> {
                Node cn = plan(rp.value());
                Operator op = rp.op();
                yield (env, v) -> v != null && op.compare(v, cn.eval(env));
            }
            case TypePat tp -> {
                Type t = tp.type();
                int slot = tp.slot();
                boolean any = tp.any();
                yield (env, v) -> {
                    if (!any && !Conv.isInstance(v, t)) {
                        return false;
                    }
                    if (slot >= 0) {
                        env.locals[slot] = v;
                    }
                    return true;
                };
            }
            case GuardPat gp -> {
                Matcher base = pattern(gp.pattern());
                Node g = plan(gp.guard());
                yield (env, v) -> base.test(env, v) && Ops.truth(g.eval(env));
            }
        };
    }
}
