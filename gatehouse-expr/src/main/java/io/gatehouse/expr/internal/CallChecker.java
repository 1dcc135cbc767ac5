package io.gatehouse.expr.internal;

import io.gatehouse.expr.internal.Ast.*;
import io.gatehouse.expr.internal.Checked.LocalFn;
import io.gatehouse.expr.internal.Checker.C;
import io.gatehouse.expr.internal.Checker.Var;
import io.gatehouse.expr.internal.Members.Method;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The call half of the {@link Checker}: method calls (library overloads, dynamic receivers, local
 * functions, LINQ, {@code nameof}) and object creation ({@code new} of arrays, collections,
 * library types and exceptions, with initializers). It shares the checker's scopes and diagnostics.
 */
final class CallChecker {
    private final Checker ck;
    private int hidden;

    CallChecker(Checker ck) {
        this.ck = ck;
    }

    // ---- calls

    C call(Call c) {
        Expr target = c.target();
        if (target instanceof Member m) {
            C recv = ck.receiver(m.target());
            if (recv.t() == Type.ERROR && recv.staticOf() == null) {
                for (Arg a : c.args()) {
                    if (a.expr() != null && !(a.expr() instanceof Lambda)) {
                        ck.value(a.expr());
                    }
                }
                return recv;
            }
            if (recv.staticOf() != null) {
                if (recv.staticOf().startsWith("namespace:")) {
                    return ck.fail(m.namePos(), "unknown type '" + recv.staticOf().substring(10) + "." + m.name() + "'");
                }
                if (recv.staticOf().equals("Array") && ARRAY_LINQ.containsKey(m.name())) {
                    return arrayLinq(c, m);
                }
                List<Library.LambdaMethod> lms = ck.lib.staticLambdaMethods(recv.staticOf(), m.name());
                if (!lms.isEmpty() && hasLambda(c)) {
                    return lambdaCall(c, m, null, lms, "'" + recv.staticOf() + "'");
                }
                List<Method> ms = ck.lib.staticMethods(recv.staticOf(), m.name());
                if (ms.isEmpty()) {
                    return ck.fail(m.namePos(), "unknown method '" + m.name() + "' on '" + recv.staticOf() + "'");
                }
                return invoke(c, m, null, ms, "'" + recv.staticOf() + "'", false);
            }
            Type tt = recv.t();
            if (tt == Type.NULL || tt == Type.VOID) {
                return ck.fail(m.namePos(), "cannot call '" + m.name() + "' on " + (tt == Type.NULL ? "'null'" : "nothing (void)"));
            }
            if (tt.isDynamic()) {
                return dynamicCall(c, m, recv);
            }
            List<Library.LambdaMethod> lms = ck.lib.lambdaMethods(tt, m.name());
            if (!lms.isEmpty() && hasLambda(c)) {
                return lambdaCall(c, m, recv, lms, ck.describe(m.target(), tt));
            }
            List<Method> ms = ck.lib.methods(tt, m.name());
            if (ck.lib.isLinq(m.name()) && ck.elementType(tt) != null && !hasArity(ms, c.args().size())) {
                return NsSystemLinq.check(ck, c, m, recv, ck.elementType(tt));
            }
            if (ms.isEmpty()) {
                if (ck.lib.prop(tt, m.name()) != null) {
                    return ck.fail(m.namePos(), "'" + m.name() + "' on " + ck.describe(m.target(), tt)
                            + " is a property, not a method: remove the '()'");
                }
                return ck.fail(m.namePos(), "unknown method '" + m.name() + "' on " + ck.describe(m.target(), tt));
            }
            return invoke(c, m, recv, ms, ck.describe(m.target(), tt), m.nullConditional());
        }
        if (target instanceof Name n) {
            LocalFn fn = ck.statements.lookupFunction(n.name());
            if (fn != null && ck.lookup(n.name()) == null) {
                return callLocal(c, n, fn);
            }
            if (n.name().equals("nameof") && ck.lookup("nameof") == null) {
                return nameof(c);
            }
            if (ck.lookup(n.name()) != null) {
                return ck.fail(n.pos(), "'" + n.name() + "' is a variable, not a method");
            }
            if (Checker.FORBIDDEN.contains(n.name())) {
                return ck.fail(n.pos(), "type '" + n.name() + "' is not allowed in policy expressions");
            }
            return ck.fail(n.pos(), "the name '" + n.name() + "' does not exist in the current context");
        }
        C t = ck.expr(target);
        if (t.t() == Type.ERROR) {
            return t;
        }
        return ck.fail(c.pos(), "this expression cannot be called like a method");
    }

    /** {@code Array.Exists(a, x => ..)} and friends, as the LINQ call they equal. */
    private static final Map<String, String> ARRAY_LINQ = Map.of("Exists", "Any", "TrueForAll", "All", "Find",
            "FirstOrDefault", "FindAll", "Where", "FindLast", "LastOrDefault", "ConvertAll", "Select");

    private C arrayLinq(Call c, Member m) {
        if (c.args().size() != 2) {
            return ck.fail(m.namePos(), "'Array." + m.name() + "' takes an array and a lambda, e.g. Array." + m.name() + "(items, x => ...)");
        }
        for (Arg a : c.args()) {
            if (a.out()) {
                return ck.fail(a.pos(), "'Array." + m.name() + "' does not take 'out' arguments");
            }
        }
        Expr arr = c.args().get(0).expr();
        Expr fn = c.args().get(1).expr();
        Call linq = new Call(c.pos(), new Member(arr.pos(), arr, ARRAY_LINQ.get(m.name()), m.namePos(), false, m.end()),
                List.of(), List.of(new Arg(fn, false, null, null, fn.pos())), c.end());
        if (m.name().equals("FindAll") || m.name().equals("ConvertAll")) {
            linq = new Call(c.pos(), new Member(arr.pos(), linq, "ToArray", m.namePos(), false, m.end()), List.of(), List.of(), c.end());
        }
        return ck.expr(linq);
    }

    private static boolean hasLambda(Call c) {
        for (Arg a : c.args()) {
            if (a.expr() instanceof Lambda) {
                return true;
            }
        }
        return false;
    }

    /** A call of a library method that takes a lambda (registered with {@link Library#lambdaMethod}). */
    private C lambdaCall(Call c, Member m, C recv, List<Library.LambdaMethod> overloads, String owner) {
        int argc = c.args().size();
        for (Arg a : c.args()) {
            if (a.out()) {
                return ck.fail(a.pos(), "'" + m.name() + "' does not take 'out' arguments");
            }
        }
        Library.LambdaMethod chosen = null;
        for (Library.LambdaMethod lm : overloads) {
            if (lm.params().length != argc) {
                continue;
            }
            boolean ok = true;
            for (int k = 0; k < argc && ok; k++) {
                ok = (lm.params()[k] == null) == (c.args().get(k).expr() instanceof Lambda);
            }
            if (ok) {
                chosen = lm;
                break;
            }
        }
        if (chosen == null) {
            return ck.fail(m.namePos(), "no overload of '" + m.name() + "' on " + owner + " takes a lambda with these "
                    + argc + " arguments");
        }
        List<Checked.Expr> values = new ArrayList<>();
        Checked.Lambda fn = null;
        for (int k = 0; k < argc; k++) {
            Expr a = c.args().get(k).expr();
            Type want = chosen.params()[k];
            if (want == null) {
                fn = ck.lambda(a, chosen.lambdaParams());
                if (fn.ret() == Type.ERROR) {
                    return new C(Checker.NULL, Type.ERROR, null);
                }
                if (fn.ret() == Type.VOID || !fn.ret().convertibleTo(chosen.lambdaRet())) {
                    return ck.fail(a.pos(), "the lambda of '" + m.name() + "' must return '" + chosen.lambdaRet().name()
                            + "' but returns '" + fn.ret().name() + "'");
                }
                if (fn.ret() != chosen.lambdaRet()) {
                    fn = new Checked.Lambda(fn.slot(), ck.convert(new C(fn.body(), fn.ret()), chosen.lambdaRet(), a.pos()), chosen.lambdaRet());
                }
                continue;
            }
            C v = ck.value(a);
            if (v.t() == Type.ERROR) {
                return v;
            }
            if (!v.t().convertibleTo(want)) {
                return ck.fail(a.pos(), "argument " + (k + 1) + " of '" + m.name() + "' on " + owner + " must be '"
                        + want.name() + "' but is '" + v.t().name() + "'");
            }
            values.add(ck.convert(v, want, a.pos()));
        }
        return new C(new Checked.FnCall(recv == null ? null : recv.e(), values, fn, chosen.impl(), m.nullConditional()), chosen.ret());
    }

    private static boolean hasArity(List<Method> ms, int n) {
        for (Method m : ms) {
            if (m.arity() == n) {
                return true;
            }
        }
        return false;
    }

    private C dynamicCall(Call c, Member m, C recv) {
        List<Checked.Expr> args = new ArrayList<>();
        for (Arg a : c.args()) {
            if (a.out()) {
                return ck.fail(a.pos(), "'out' arguments need a receiver of a known type; cast it first");
            }
            if (a.expr() instanceof Lambda) {
                return ck.fail(a.pos(), "cannot use a lambda on a value of unknown type; cast it first, e.g. ((JArray)x)");
            }
            args.add(ck.value(a.expr()).e());
        }
        Type typeArg = c.typeArgs().isEmpty() ? null : ck.resolveType(c.typeArgs().get(0));
        return new C(new Checked.DynamicCall(recv.e(), m.name(), args, typeArg, m.nullConditional()), Type.OBJECT);
    }
    private C invoke(Call c, Member m, C recv, List<Method> overloads, String owner, boolean nullConditional) {
        int argc = c.args().size();
        List<C> args = new ArrayList<>();
        List<Type> argTypes = new ArrayList<>();
        int outIndex = -1;
        Arg outArg = null;
        for (int k = 0; k < argc; k++) {
            Arg a = c.args().get(k);
            if (a.out()) {
                outIndex = k;
                outArg = a;
                args.add(null);
                argTypes.add(Type.OBJECT);
            } else if (a.expr() instanceof Lambda) {
                return ck.fail(a.pos(), "'" + m.name() + "' does not take a lambda");
            } else {
                C v = ck.value(a.expr());
                args.add(v);
                argTypes.add(v.t());
            }
        }
        Type typeArg = c.typeArgs().isEmpty() ? null : ck.resolveType(c.typeArgs().get(0));
        Method chosen = null;
        List<Method> byArity = new ArrayList<>();
        List<Method> ordered = new ArrayList<>();
        for (Method cand : overloads) {
            if (cand.generic() == (typeArg != null)) {
                ordered.add(cand);
            }
        }
        for (Method cand : overloads) {
            if (cand.generic() != (typeArg != null)) {
                ordered.add(cand);
            }
        }
        for (Method cand : ordered) {
            if (cand.arity() != argc) {
                continue;
            }
            byArity.add(cand);
            if ((outIndex >= 0) != (cand.outIndex() >= 0) || (outIndex >= 0 && outIndex != cand.outIndex())) {
                continue;
            }
            boolean ok = true;
            for (int k = 0; k < argc && ok; k++) {
                if (k == cand.outIndex()) {
                    continue;
                }
                // An 'out' argument has no value (its slot in args is null): it never fits a plain parameter.
                ok = !c.args().get(k).out() && argTypes.get(k).convertibleTo(cand.params()[k]);
            }
            if (ok) {
                chosen = cand;
                break;
            }
        }
        if (chosen == null) {
            if (byArity.isEmpty()) {
                StringBuilder arities = new StringBuilder();
                overloads.stream().map(Method::arity).distinct().sorted().forEach(n -> arities.append(
                        arities.length() == 0 ? "" : " or ").append(n));
                return ck.fail(m.namePos(), "method '" + m.name() + "' on " + owner + " takes " + arities
                        + " argument" + (arities.toString().equals("1") ? "" : "s") + ", not " + argc);
            }
            Method first = byArity.get(0);
            for (int k = 0; k < argc; k++) {
                if (k == first.outIndex()) {
                    if (outIndex != k) {
                        return ck.fail(c.args().get(k).pos(), "argument " + (k + 1) + " of '" + m.name() + "' must be passed with 'out'");
                    }
                    continue;
                }
                if (c.args().get(k).out()) {
                    return ck.fail(c.args().get(k).pos(), "argument " + (k + 1) + " of '" + m.name() + "' must not use 'out'");
                }
                if (!argTypes.get(k).convertibleTo(first.params()[k])) {
                    return ck.fail(c.args().get(k).expr().pos(), "argument " + (k + 1) + " of '" + m.name() + "' on "
                            + owner + " must be '" + first.params()[k].name() + "' but is '" + argTypes.get(k).name() + "'");
                }
            }
            return ck.fail(m.namePos(), "no overload of '" + m.name() + "' on " + owner + " accepts these arguments");
        }
        if (chosen.generic() && typeArg == null) {
            return ck.fail(m.namePos(), "'" + m.name() + "' needs a type argument, e.g. " + m.name() + "<string>(...)");
        }
        if (!chosen.generic() && typeArg != null) {
            return ck.fail(m.namePos(), "'" + m.name() + "' on " + owner + " is not generic: remove the <...>");
        }
        Type ret = chosen.ret().ret(recv == null ? null : recv.t(), argTypes, typeArg);
        if (ret == null && typeArg == null) {
            return ck.fail(m.namePos(), "'" + m.name() + "' is not available on " + owner);
        }
        if (ret == null) {
            return ck.fail(c.typeArgs().isEmpty() ? m.namePos() : c.typeArgs().get(0).pos(),
                    "'" + m.name() + "' does not support the type argument '" + (typeArg == null ? "?" : typeArg.name()) + "'");
        }
        List<Checked.Expr> an = new ArrayList<>(argc);
        for (int k = 0; k < argc; k++) {
            an.add(k == outIndex ? null : Checker.implicit(args.get(k).e(), args.get(k).t(), chosen.params()[k]));
        }
        int outSlot = -1;
        if (outIndex >= 0) {
            Type outType = chosen.outType();
            if (outArg.outName() != null) {
                Type declared = outArg.outType() == null ? outType : ck.resolveType(outArg.outType());
                if (!outType.convertibleTo(declared)) {
                    return ck.fail(outArg.pos(), "the out variable must be '" + outType.name() + "' but is declared '"
                            + declared.name() + "'");
                }
                outSlot = ck.declare(outArg.outName(), declared, outArg.pos()).slot();
            } else if (((Name) outArg.expr()).name().equals("_") && ck.lookup("_") == null) {
                outSlot = ck.slots++;
            } else {
                Name nm = (Name) outArg.expr();
                Var l = ck.lookup(nm.name());
                if (l == null) {
                    return ck.fail(nm.pos(), "the name '" + nm.name() + "' does not exist in the current context"
                            + (nm.name().equals("var") ? "; to declare an out variable, write 'out var name'" : ""));
                }
                if (!outType.convertibleTo(l.type())) {
                    return ck.fail(nm.pos(), "the out variable must be '" + outType.name() + "' but '" + nm.name()
                            + "' is '" + l.type().name() + "'");
                }
                outSlot = l.slot();
            }
        }
        return new C(new Checked.Invoke(recv == null ? null : recv.e(), chosen.inv(), java.util.Collections.unmodifiableList(an),
                outIndex, outSlot, typeArg, nullConditional), ret);
    }
    // ---- object creation

    C creation(New n) {
        if (n.array()) {
            Type elem;
            if (n.type() == null) {
                if (n.init() == null || n.init().isEmpty()) {
                    return ck.fail(n.pos(), "'new[]' needs at least one element to infer its type");
                }
                elem = null;
            } else {
                Type arr = ck.resolveType(n.type());
                if (arr == Type.ERROR) {
                    return new C(Checker.NULL, Type.ERROR);
                }
                elem = arr.elem();
            }
            List<C> items = new ArrayList<>();
            if (n.init() != null) {
                for (Expr e : n.init()) {
                    items.add(ck.value(e));
                }
            }
            if (elem == null) {
                elem = items.get(0).t();
                for (C it : items) {
                    if (!it.t().convertibleTo(elem)) {
                        elem = it.t().convertibleTo(elem) ? elem : elem.convertibleTo(it.t()) ? it.t() : Type.OBJECT;
                    }
                }
            }
            Type at = Type.arrayOf(elem);
            List<Checked.Expr> nodes = new ArrayList<>();
            for (int k = 0; k < items.size(); k++) {
                nodes.add(ck.convert(n.init().get(k), items.get(k), elem));
            }
            Checked.Expr sizeNode = null;
            if (n.size() != null) {
                C s = ck.value(n.size());
                if (!s.t().convertibleTo(Type.LONG) || (!s.t().isNumeric() && !s.t().isDynamic())) {
                    return ck.fail(n.size().pos(), "an array size must be an integer but is '" + s.t().name() + "'");
                }
                sizeNode = s.e();
            }
            return new C(new Checked.NewArray(nodes, sizeNode, elem), at);
        }
        Type t = ck.resolveType(n.type());
        if (t == Type.ERROR) {
            for (Expr e : n.args()) {
                ck.value(e);
            }
            return new C(Checker.NULL, Type.ERROR);
        }
        C made;
        if (t == ck.lib.tException) {
            made = newException(n);
        } else if (t.isRealList()) {
            made = newList(n, t);
        } else if (t.isDictionary()) {
            made = newDictionary(n, t);
        } else if (t.cls() == java.util.LinkedHashSet.class) {
            made = newSet(n, t);
        } else {
            List<Method> ctors = ck.lib.constructors(t);
            if (ctors.isEmpty()) {
                return ck.fail(n.type().pos(), "type '" + t.name() + "' cannot be created with 'new' in policy expressions");
            }
            List<Arg> args = new ArrayList<>();
            for (Expr e : n.args()) {
                args.add(new Arg(e, false, null, null, e.pos()));
            }
            Call synthetic = new Call(n.pos(), new Name(n.type().pos(), t.name()), List.of(), args, n.pos());
            Member fake = new Member(n.pos(), new Name(n.type().pos(), t.name()), t.name(), n.type().pos(), false, n.pos());
            made = invoke(synthetic, fake, null, ctors, "'" + t.name() + "'", false);
        }
        if (n.init() == null || made.t() == Type.ERROR) {
            return made;
        }
        return initialize(n, made, t);
    }

    /** {@code new List<T>()}, {@code new List<T>(capacity)}, {@code new List<T>(items)}. */
    private C newList(New n, Type t) {
        if (n.args().isEmpty()) {
            return collection(Checked.CollectionKind.LIST, null, t);
        }
        if (n.args().size() == 1) {
            C a = ck.value(n.args().get(0));
            if (a.t().isIntegral()) {
                return collection(Checked.CollectionKind.LIST, null, t);
            }
            if (a.t().isDynamic() || ck.elementType(a.t()) != null && ck.elementType(a.t()).convertibleTo(t.elem())) {
                return collection(Checked.CollectionKind.LIST_FROM, a.e(), t);
            }
            return ck.fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from a capacity or a collection of '"
                    + t.elem().name() + "', not from '" + a.t().name() + "'");
        }
        return ck.fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments, not " + n.args().size());
    }

    private static C collection(Checked.CollectionKind kind, Checked.Expr source, Type t) {
        return new C(new Checked.NewCollection(kind, source), t);
    }

    /** {@code new HashSet<T>()} or {@code new HashSet<T>(items)}. */
    private C newSet(New n, Type t) {
        if (n.args().isEmpty()) {
            return collection(Checked.CollectionKind.SET, null, t);
        }
        if (n.args().size() == 1) {
            C a = ck.value(n.args().get(0));
            if (a.t().isDynamic() || ck.elementType(a.t()) != null) {
                return collection(Checked.CollectionKind.SET_FROM, a.e(), t);
            }
            return ck.fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from a collection, not from '" + a.t().name() + "'");
        }
        return ck.fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments here, not " + n.args().size());
    }

    /** {@code new Dictionary<K, V>()}, with a copy of another dictionary, or with a comparer. */
    private C newDictionary(New n, Type t) {
        if (n.args().isEmpty()) {
            return collection(Checked.CollectionKind.MAP, null, t);
        }
        if (n.args().size() == 1) {
            C a = ck.value(n.args().get(0));
            if (a.t().isDictionary() || a.t().isDynamic()) {
                return collection(Checked.CollectionKind.MAP_COPY, a.e(), t);
            }
            if (a.t().name().equals("StringComparer")) {
                return collection(Checked.CollectionKind.MAP_WITH_COMPARER, a.e(), t);
            }
            if (a.t().isIntegral()) {
                return collection(Checked.CollectionKind.MAP, null, t);
            }
            return ck.fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from nothing, a capacity, a comparer or another dictionary, not from '" + a.t().name() + "'");
        }
        return ck.fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments here, not " + n.args().size());
    }

    /** Object and collection initializers: runs the constructor, then each {@code X = v}, {@code [k] = v} or {@code Add(..)}. */
    private C initialize(New n, C made, Type t) {
        ck.scopes.push(new HashMap<>());
        String tmp = "$init" + (hidden++);
        int slot = ck.declare(tmp, t, n.pos()).slot();
        List<Checked.Expr> steps = new ArrayList<>();
        boolean collection = t.isRealList() || !ck.lib.methods(t, "Add").isEmpty();
        for (Expr item : n.init()) {
            Expr step;
            if (item instanceof Assign a && a.target() instanceof Name nm && a.op().equals("=")) {
                if (ck.lib.setter(t, nm.name()) == null) {
                    ck.error(nm.pos(), "'" + nm.name() + "' on '" + t.name() + "' cannot be set in an object initializer"
                            + (ck.lib.prop(t, nm.name()) == null ? ": it does not exist" : ": it is read only"));
                    continue;
                }
                step = new Assign(a.pos(), "=", a.opPos(), new Member(nm.pos(), new Name(nm.pos(), tmp), nm.name(),
                        nm.pos(), false, nm.pos() + nm.name().length()), a.value());
            } else if (item instanceof Assign a && a.target() instanceof Index ix && ix.target() == null) {
                step = new Assign(a.pos(), a.op(), a.opPos(), new Index(ix.pos(), new Name(ix.pos(), tmp), ix.args(),
                        false, ix.end()), a.value());
            } else if (!collection) {
                ck.error(item.pos(), "type '" + t.name() + "' has no 'Add' method, so it cannot take a collection initializer;"
                        + " an object initializer sets properties: { Name = value }");
                continue;
            } else {
                List<Expr> items = item instanceof InitList il ? il.items() : List.of(item);
                List<Arg> args = new ArrayList<>();
                for (Expr e : items) {
                    args.add(new Arg(e, false, null, null, e.pos()));
                }
                step = new Call(item.pos(), new Member(item.pos(), new Name(item.pos(), tmp), "Add", item.pos(), false,
                        item.pos()), List.of(), args, item.pos());
            }
            steps.add(ck.expr(step).e());
        }
        ck.scopes.pop();
        return new C(new Checked.Initialize(made.e(), slot, steps), t);
    }

    /** {@code new Exception(message)} and any other {@code *Exception}: a value for {@code throw}. */
    private C newException(New n) {
        String written = n.type().name();
        String dotnet = written.contains(".") ? written : exceptionNamespace(written) + written;
        List<Checked.Expr> args = new ArrayList<>();
        for (Expr e : n.args()) {
            args.add(ck.value(e).e());
        }
        if (args.size() > 2) {
            return ck.fail(n.pos(), "an exception takes at most a message and an inner exception, not " + args.size() + " arguments");
        }
        Checked.Expr msg = args.isEmpty() ? null : args.get(0);
        // ArgumentNullException(string) and ArgumentOutOfRangeException(string) take the parameter name, not a message.
        String paramPrefix = args.size() == 1 && written.endsWith("ArgumentNullException") ? "Value cannot be null."
                : args.size() == 1 && written.endsWith("ArgumentOutOfRangeException") ? "Specified argument was out of the range of valid values."
                : null;
        return new C(new Checked.NewException(dotnet, msg, paramPrefix), ck.lib.tException);
    }

    private static String exceptionNamespace(String name) {
        return switch (name) {
            case "KeyNotFoundException" -> "System.Collections.Generic.";
            case "JsonReaderException", "JsonException", "JsonSerializationException" -> "Newtonsoft.Json.";
            case "CryptographicException" -> "System.Security.Cryptography.";
            case "RegexMatchTimeoutException" -> "System.Text.RegularExpressions.";
            default -> "System.";
        };
    }

    private C callLocal(Call c, Name n, LocalFn fn) {
        if (fn.checking) {
            return ck.fail(n.pos(), "local function '" + fn.name + "' calls itself: recursion is not supported in policy expressions");
        }
        if (c.args().size() != fn.params.length) {
            return ck.fail(n.pos(), "local function '" + fn.name + "' takes " + fn.params.length + " argument"
                    + (fn.params.length == 1 ? "" : "s") + ", not " + c.args().size());
        }
        Checked.Expr[] an = new Checked.Expr[fn.params.length];
        for (int k = 0; k < an.length; k++) {
            Arg a = c.args().get(k);
            if (a.out() || a.expr() instanceof Lambda) {
                return ck.fail(a.pos(), "local function arguments cannot be 'out' or lambdas");
            }
            C v = ck.value(a.expr());
            if (!v.t().convertibleTo(fn.params[k])) {
                return ck.fail(a.expr().pos(), "argument " + (k + 1) + " of '" + fn.name + "' must be '" + fn.params[k].name()
                        + "' but is '" + v.t().name() + "'");
            }
            an[k] = ck.convert(a.expr(), v, fn.params[k]);
        }
        return new C(new Checked.CallLocal(fn, List.of(an)), fn.ret);
    }

    private C nameof(Call c) {
        if (c.args().size() != 1 || c.args().get(0).expr() == null) {
            return ck.fail(c.pos(), "'nameof' takes one name");
        }
        String name = switch (c.args().get(0).expr()) {
            case Name n -> n.name();
            case Member m -> m.name();
            case TypeExpr t -> t.type().name();
            default -> null;
        };
        if (name == null) {
            return ck.fail(c.args().get(0).expr().pos(), "'nameof' needs a name, such as nameof(x) or nameof(x.Member)");
        }
        return new C(new Checked.Const(name), Type.STRING);
    }
}
