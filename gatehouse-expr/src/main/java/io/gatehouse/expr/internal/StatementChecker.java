package io.gatehouse.expr.internal;

import io.gatehouse.expr.internal.Ast.*;
import io.gatehouse.expr.internal.Checked.LocalFn;
import io.gatehouse.expr.internal.Checker.C;
import io.gatehouse.expr.internal.Checker.Var;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statement half of the {@link Checker}: blocks, loops, returns, local functions, lambdas,
 * try/catch/throw and switch statements, with the definite-return and fall-through checks. It
 * shares the checker's scopes, slots and diagnostics.
 */
final class StatementChecker {
    private final Checker ck;
    private final Deque<Integer> catchSlots = new ArrayDeque<>();
    private final Deque<List<Type>> returnTypes = new ArrayDeque<>();

    StatementChecker(Checker ck) {
        this.ck = ck;
    }

    /** Checks a statement block; every path must return a value convertible to expected. */
    Checked.Expr checkBlock(Block b, Type expected) {
        List<Type> rets = new ArrayList<>();
        rets.add(expected);
        returnTypes.push(rets);
        Checked.Stmt body = block(b, true);
        returnTypes.pop();
        if (canComplete(b)) {
            ck.error(b.end(), "not all code paths return a value: end the block with a 'return' statement");
        }
        return new Checked.BlockResult(body);
    }
    // ---- statements

    private Checked.Stmt block(Block b, boolean newScope) {
        if (newScope) {
            ck.scopes.push(new HashMap<>());
        }
        for (Stmt s : b.stmts()) {
            if (s instanceof LocalFunc f) {
                declareFunction(f);
            }
        }
        List<Checked.Stmt> list = new ArrayList<>();
        for (Stmt s : b.stmts()) {
            list.add(stmt(s));
        }
        if (newScope) {
            ck.scopes.pop();
        }
        return new Checked.Seq(list);
    }

    private Checked.Stmt stmt(Stmt s) {
        switch (s) {
            case Block b -> {
                return block(b, true);
            }
            case Empty e -> {
                return new Checked.Nop();
            }
            case Local l -> {
                List<Checked.Stmt> parts = new ArrayList<>();
                for (Declarator d : l.vars()) {
                    Type type;
                    Checked.Expr init = null;
                    if (l.type() == null) {
                        if (d.init() == null) {
                            ck.error(d.pos(), "'var' needs an initializer: write 'var " + d.name() + " = ...;'");
                            type = Type.ERROR;
                        } else {
                            C c = ck.value(d.init());
                            type = c.t() == Type.NULL ? ck.fail(d.init().pos(), "cannot infer a type from 'null'; declare the type instead").t() : c.t();
                            if (type == Type.VOID) {
                                ck.error(d.init().pos(), "cannot assign a method that returns nothing (void) to a variable");
                            }
                            init = c.e();
                        }
                    } else {
                        type = ck.resolveType(l.type());
                        if (d.init() != null) {
                            C c = ck.value(d.init());
                            init = ck.convert(d.init(), c, type);
                        }
                    }
                    Var local = ck.declare(d.name(), type, d.pos());
                    parts.add(new Checked.Eval(new Checked.StoreLocal(local.slot(),
                            init == null ? new Checked.Const(Conv.zero(type)) : init)));
                }
                return parts.size() == 1 ? parts.get(0) : new Checked.Seq(parts);
            }
            case ExprStmt es -> {
                Expr e = es.expr();
                if (!(e instanceof Assign || e instanceof Call || e instanceof IncDec || e instanceof New)) {
                    ck.error(e.pos(), "only assignment, call, increment, decrement and new object expressions can be used as a statement");
                }
                return new Checked.Eval(evaluated(e));
            }
            case If i -> {
                Checked.Expr c = ck.condition(i.cond());
                ck.scopes.push(new HashMap<>());
                Checked.Stmt then = stmt(i.then());
                ck.scopes.pop();
                ck.scopes.push(new HashMap<>());
                Checked.Stmt other = i.otherwise() == null ? null : stmt(i.otherwise());
                ck.scopes.pop();
                return new Checked.If(c, then, other);
            }
            case While w -> {
                Checked.Expr c = ck.condition(w.cond());
                return new Checked.While(c, scoped(w.body()));
            }
            case DoWhile w -> {
                Checked.Stmt body = scoped(w.body());
                return new Checked.DoWhile(body, ck.condition(w.cond()));
            }
            case For f -> {
                ck.scopes.push(new HashMap<>());
                List<Checked.Stmt> init = new ArrayList<>();
                for (Stmt st : f.init()) {
                    init.add(stmt(st));
                }
                Checked.Expr c = f.cond() == null ? null : ck.condition(f.cond());
                List<Checked.Expr> step = new ArrayList<>();
                for (Expr e : f.step()) {
                    step.add(evaluated(e));
                }
                Checked.Stmt body = scoped(f.body());
                ck.scopes.pop();
                return new Checked.For(init, c, step, body);
            }
            case Foreach f -> {
                C source = ck.value(f.source());
                Type elem = ck.elementType(source.t());
                if (elem == null) {
                    ck.error(f.source().pos(), "foreach cannot iterate over '" + source.t().name() + "': it is not a collection");
                    elem = Type.ERROR;
                }
                ck.scopes.push(new HashMap<>());
                Type varType = f.type() == null ? elem : ck.resolveType(f.type());
                Var l = ck.declare(f.name(), varType, f.namePos());
                Checked.Stmt body = stmt(f.body());
                ck.scopes.pop();
                boolean needCast = f.type() != null && !elem.equals(varType);
                return new Checked.Foreach(source.e(), l.slot(), needCast ? varType : null, body);
            }
            case Return r -> {
                List<Type> rets = returnTypes.peek();
                if (rets == null) {
                    ck.error(r.pos(), "'return' is only allowed inside a @{ } block");
                    return new Checked.Nop();
                }
                boolean isVoid = !rets.isEmpty() && rets.get(0) == Type.VOID;
                if (r.value() == null) {
                    if (!isVoid) {
                        ck.error(r.pos(), "a value must be returned: write 'return <value>;'");
                    }
                    return new Checked.Return(null);
                }
                if (isVoid) {
                    ck.error(r.value().pos(), "this local function returns nothing (void): write 'return;'");
                    return new Checked.Return(null);
                }
                C c = ck.value(r.value());
                Checked.Expr n;
                if (!rets.isEmpty() && rets.get(0) != null) {
                    n = ck.coerceResult(c, rets.get(0), r.value().pos());
                } else {
                    rets.add(c.t());
                    n = c.e();
                }
                return new Checked.Return(n);
            }
            case Break b -> {
                return new Checked.Break();
            }
            case Continue c -> {
                return new Checked.Continue();
            }
            case LocalFunc f -> {
                return localFunction(f);
            }
            case Try t -> {
                return tryStatement(t);
            }
            case Throw t -> {
                return throwStatement(t);
            }
            case Switch sw -> {
                return switchStatement(sw);
            }
        }
    }

    /** A statement in a scope of its own (a loop body). */
    private Checked.Stmt scoped(Stmt s) {
        ck.scopes.push(new HashMap<>());
        Checked.Stmt out = stmt(s);
        ck.scopes.pop();
        return out;
    }

    static boolean canComplete(Stmt s) {
        return switch (s) {
            case Return r -> false;
            case Break b -> false;
            case Continue c -> false;
            case Block b -> {
                for (Stmt x : b.stmts()) {
                    if (!canComplete(x)) {
                        yield false;
                    }
                }
                yield true;
            }
            case If i -> i.otherwise() == null || canComplete(i.then()) || canComplete(i.otherwise());
            case While w -> !isTrue(w.cond()) || hasBreak(w.body());
            case DoWhile d -> !isTrue(d.cond()) || hasBreak(d.body());
            case For f -> (f.cond() != null && !isTrue(f.cond())) || hasBreak(f.body());
            case Throw t -> false;
            case Try t -> (canComplete(t.body()) || t.catches().stream().anyMatch(c -> canComplete(c.body())))
                    && (t.fin() == null || canComplete(t.fin()));
            case Switch sw -> sw.sections().stream().noneMatch(x -> x.labels().stream().anyMatch(l -> l.pattern() == null))
                    || sw.sections().stream().anyMatch(x -> x.stmts().stream().anyMatch(StatementChecker::hasBreak));
            default -> true;
        };
    }

    private static boolean canCompleteAll(List<Stmt> stmts) {
        for (Stmt x : stmts) {
            if (!canComplete(x)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTrue(Expr e) {
        return e instanceof Lit l && Boolean.TRUE.equals(l.value());
    }

    private static boolean hasBreak(Stmt s) {
        return switch (s) {
            case Break b -> true;
            case Block b -> b.stmts().stream().anyMatch(StatementChecker::hasBreak);
            case If i -> hasBreak(i.then()) || (i.otherwise() != null && hasBreak(i.otherwise()));
            default -> false;
        };
    }

    // ---- lambdas (for LINQ, NsSystemLinq)

    /** Checks a one-parameter lambda whose parameter is a {@code paramType}. */
    Checked.Lambda lambda(Expr e, Type paramType) {
        return lambda(e, new Type[] {paramType});
    }

    /**
     * A lambda of {@code paramTypes.length} parameters; their slots are consecutive from the
     * lambda's {@code slot} (the checker hands out slots in declaration order).
     */
    Checked.Lambda lambda(Expr e, Type[] paramTypes) {
        if (!(e instanceof Lambda l)) {
            C v = ck.value(e);
            ck.error(e.pos(), "expected a lambda such as 'x => ...' but found '" + v.t().name() + "'");
            return new Checked.Lambda(0, Checker.NULL, Type.ERROR);
        }
        if (l.params().size() != paramTypes.length) {
            ck.error(l.pos(), paramTypes.length == 1 ? "this lambda must take exactly one parameter"
                    : "this lambda must take exactly " + paramTypes.length + " parameters");
            return new Checked.Lambda(0, Checker.NULL, Type.ERROR);
        }
        ck.scopes.push(new HashMap<>());
        int slot = ck.declare(l.params().get(0), paramTypes[0], l.pos()).slot();
        for (int k = 1; k < paramTypes.length; k++) {
            int next = ck.declare(l.params().get(k), paramTypes[k], l.pos()).slot();
            if (next != slot + k) {
                throw new IllegalStateException("lambda parameter slots are not consecutive");
            }
        }
        Checked.Expr body;
        Type ret;
        if (l.body() != null) {
            C c = ck.value(l.body());
            body = c.e();
            ret = c.t();
        } else {
            List<Type> rets = new ArrayList<>();
            returnTypes.push(rets);
            Checked.Stmt ex = block(l.block(), true);
            returnTypes.pop();
            if (canComplete(l.block())) {
                ck.error(l.block().end(), "not all code paths of the lambda return a value");
            }
            ret = rets.isEmpty() ? Type.ERROR : rets.get(0);
            body = new Checked.BlockValue(ex);
        }
        ck.scopes.pop();
        return new Checked.Lambda(slot, body, ret);
    }

    // ---- local functions

    LocalFn lookupFunction(String name) {
        for (Map<String, Var> s : ck.scopes) {
            Var v = s.get("fn:" + name);
            if (v != null) {
                return functions.get(v.slot());
            }
        }
        return null;
    }

    private final Map<Integer, LocalFn> functions = new HashMap<>();

    private void declareFunction(LocalFunc f) {
        if (ck.scopes.peek().containsKey("fn:" + f.name())) {
            ck.error(f.namePos(), "a local function named '" + f.name() + "' is already defined in this scope");
            return;
        }
        Type ret = f.ret() == null ? Type.VOID : ck.resolveType(f.ret());
        Type[] params = new Type[f.params().size()];
        int[] slotsOf = new int[params.length];
        for (int k = 0; k < params.length; k++) {
            params[k] = ck.resolveType(f.params().get(k).type());
            slotsOf[k] = ck.slots++;
        }
        LocalFn fn = new LocalFn(f.name(), ret, params, slotsOf, ck.slots++);
        int id = functions.size();
        functions.put(id, fn);
        ck.scopes.peek().put("fn:" + f.name(), new Var(id, Type.VOID));
    }

    private Checked.Stmt localFunction(LocalFunc f) {
        LocalFn fn = null;
        Var v = ck.scopes.peek().get("fn:" + f.name());
        if (v != null) {
            fn = functions.get(v.slot());
        }
        if (fn == null || fn.body != null) {
            return new Checked.Nop();
        }
        ck.scopes.push(new HashMap<>());
        for (int k = 0; k < fn.params.length; k++) {
            Param prm = f.params().get(k);
            if (ck.lookup(prm.name()) != null) {
                ck.error(prm.pos(), "a local variable named '" + prm.name() + "' is already defined in this scope");
            }
            ck.scopes.peek().put(prm.name(), new Var(fn.slots[k], fn.params[k]));
        }
        fn.checking = true;
        List<Type> rets = new ArrayList<>();
        rets.add(fn.ret);
        returnTypes.push(rets);
        Deque<Integer> savedCatch = new ArrayDeque<>(catchSlots);
        catchSlots.clear();
        if (f.expr() != null) {
            C c = ck.value(f.expr());
            Checked.Expr n = fn.ret == Type.VOID ? c.e() : ck.coerceResult(c, fn.ret, f.expr().pos());
            if (fn.ret != Type.VOID && !c.t().convertibleTo(fn.ret) && c.t() != Type.ERROR) {
                ck.error(f.expr().pos(), "local function '" + f.name() + "' returns '" + fn.ret.name() + "' but this is '" + c.t().name() + "'");
            }
            fn.body = n;
        } else {
            Checked.Stmt body = block(f.body(), true);
            if (fn.ret != Type.VOID && canComplete(f.body())) {
                ck.error(f.body().end(), "not all code paths of local function '" + f.name() + "' return a value");
            }
            fn.body = new Checked.BlockValue(body);
        }
        catchSlots.addAll(savedCatch);
        returnTypes.pop();
        fn.checking = false;
        ck.scopes.pop();
        return new Checked.LocalFunction(fn);
    }

    // ---- exceptions

    private Checked.Stmt tryStatement(Try t) {
        Checked.Stmt body = block(t.body(), true);
        List<Checked.Catch> catches = new ArrayList<>();
        for (Catch c : t.catches()) {
            ck.scopes.push(new HashMap<>());
            String type = "Exception";
            if (c.type() != null) {
                Type ct = ck.resolveType(c.type());
                if (ct != ck.lib.tException && ct != Type.ERROR) {
                    ck.error(c.type().pos(), "'" + c.type().name() + "' is not an exception type");
                }
                type = c.type().name();
            }
            int varSlot = c.name() == null ? -1 : ck.declare(c.name(), ck.lib.tException, c.namePos()).slot();
            int rethrowSlot = ck.slots++;
            Checked.Expr filter = c.filter() == null ? null : ck.condition(c.filter());
            catchSlots.push(rethrowSlot);
            Checked.Stmt handler = block(c.body(), true);
            catchSlots.pop();
            ck.scopes.pop();
            catches.add(new Checked.Catch(type, varSlot, rethrowSlot, filter, handler));
        }
        Checked.Stmt fin = t.fin() == null ? null : block(t.fin(), true);
        if (t.fin() != null && !canComplete(t.fin())) {
            ck.error(t.fin().pos(), "control cannot leave the body of a 'finally' clause ('return', 'break' or 'continue')");
        }
        return new Checked.Try(body, catches, fin);
    }

    private Checked.Stmt throwStatement(Throw t) {
        if (t.value() == null) {
            if (catchSlots.isEmpty()) {
                ck.error(t.pos(), "'throw;' without an exception is only allowed inside a 'catch' block");
                return new Checked.Nop();
            }
            return new Checked.Rethrow(catchSlots.peek());
        }
        return new Checked.Throw(thrown(t.value()));
    }

    private Checked.Thrown thrown(Expr e) {
        C c = ck.value(e);
        if (c.t() != ck.lib.tException && !c.t().isDynamic() && c.t() != Type.NULL) {
            ck.error(e.pos(), "only exceptions can be thrown, e.g. throw new Exception(\"message\"); this is '" + c.t().name() + "'");
        }
        return new Checked.Thrown(c.e());
    }

    C throwExpression(ThrowExpr t) {
        return new C(new Checked.ThrowExpr(thrown(t.value())), Type.NULL);
    }

    // ---- switch

    private Checked.Stmt switchStatement(Switch sw) {
        C subject = ck.value(sw.subject());
        ck.scopes.push(new HashMap<>());
        int sections = sw.sections().size();
        List<List<Checked.Pat>> matchers = new ArrayList<>(sections);
        List<Checked.Stmt> bodies = new ArrayList<>(sections);
        int defaultSection = -1;
        for (int k = 0; k < sections; k++) {
            Section sec = sw.sections().get(k);
            List<Checked.Pat> ms = new ArrayList<>();
            for (CaseLabel label : sec.labels()) {
                if (label.pattern() == null) {
                    if (defaultSection >= 0) {
                        ck.error(label.pos(), "the switch has more than one 'default' label");
                    }
                    defaultSection = k;
                    continue;
                }
                ms.add(ck.guarded(ck.pattern(label.pattern(), subject.t()), label.guard()));
            }
            matchers.add(ms);
            List<Checked.Stmt> stmts = new ArrayList<>();
            for (Stmt st : sec.stmts()) {
                if (st instanceof LocalFunc f) {
                    declareFunction(f);
                }
            }
            for (Stmt st : sec.stmts()) {
                stmts.add(stmt(st));
            }
            if (canCompleteAll(sec.stmts())) {
                ck.error(sec.labels().get(0).pos(), "control cannot fall through from one case label to another: end the section with 'break;' or 'return'");
            }
            bodies.add(new Checked.Seq(stmts));
        }
        ck.scopes.pop();
        return new Checked.Switch(subject.e(), matchers, bodies, defaultSection);
    }

    /** An expression run for its effect (a statement, a for loop's step): it must not be a type name (C# CS0119). */
    private Checked.Expr evaluated(Expr e) {
        C c = ck.expr(e);
        if (c.staticOf() != null) {
            ck.error(e.pos(), "'" + c.staticOf() + "' is a type, not a value");
        }
        return c.e();
    }
}
