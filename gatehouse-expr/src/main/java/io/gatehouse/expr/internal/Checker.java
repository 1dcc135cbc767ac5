package io.gatehouse.expr.internal;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.internal.Ast.*;
import io.gatehouse.expr.internal.Members.Method;
import io.gatehouse.expr.internal.Members.Prop;
import io.gatehouse.expr.internal.Checked.LocalFn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checker: resolves every name, member and overload against {@link Library}, checks operand
 * types, reports every problem as a positioned diagnostic, and produces the checked tree
 * ({@link Checked}) that {@link Planner} turns into closures.
 */
public final class Checker {
    /** A checked expression with its static type; {@code staticOf} is set when it names a type or namespace. */
    record C(Checked.Expr e, Type t, String staticOf) {
        C(Checked.Expr e, Type t) {
            this(e, t, null);
        }
    }

    private static final Checked.Expr NULL = new Checked.Const(null);

    private record Var(int slot, Type type) {
    }

    private final Deque<Integer> catchSlots = new ArrayDeque<>();
    private int hidden;

    private static final Set<String> NAMESPACES = Set.of("System", "System.Text", "System.Linq",
            "System.Collections", "System.Collections.Generic", "System.Text.RegularExpressions", "System.Security",
            "System.Security.Cryptography", "System.Security.Cryptography.X509Certificates", "Newtonsoft",
            "Newtonsoft.Json", "Newtonsoft.Json.Linq", "System.Net", "System.Globalization");
    private static final Set<String> FORBIDDEN = Set.of("File", "Directory", "Environment", "Process", "Thread",
            "Task", "Activator", "AppDomain", "Assembly", "Type", "HttpClient", "WebClient", "WebRequest", "Console",
            "GC", "Marshal", "Socket", "TcpClient", "Path", "Stream", "FileStream", "Reflection", "IO", "Diagnostics",
            "Threading", "Runtime");

    private final String src;
    private final Position origin;
    private final Diagnostics diags;
    private final Library lib = Library.INSTANCE;
    private final Deque<Map<String, Var>> scopes = new ArrayDeque<>();
    private final Deque<List<Type>> returnTypes = new ArrayDeque<>();
    private int slots;
    private int errors;
    boolean readsRequestBody;
    boolean readsResponseBody;

    public Checker(String src, Position origin, Diagnostics diags) {
        this.src = src;
        this.origin = origin;
        this.diags = diags;
        scopes.push(new HashMap<>());
    }

    public int slots() {
        return slots;
    }

    public int errors() {
        return errors;
    }

    public boolean readsRequestBody() {
        return readsRequestBody;
    }

    public boolean readsResponseBody() {
        return readsResponseBody;
    }

    // ---- diagnostics

    /** Reports an error at an offset into the text; line/column advance through newlines. */
    public void error(int offset, String message) {
        errors++;
        int line = origin.line();
        int col = origin.column();
        int lineStart = -1;
        for (int k = 0; k < offset && k < src.length(); k++) {
            if (src.charAt(k) == '\n') {
                line++;
                lineStart = k;
            }
        }
        int column = lineStart < 0 ? (col == 0 ? 0 : col + offset) : offset - lineStart;
        if (origin.line() == 0) {
            line = 0;
            column = 0;
        }
        diags.error(origin.file(), Math.max(line, 0), Math.max(column, 0), message);
    }

    private C fail(int offset, String message) {
        error(offset, message);
        return new C(NULL, Type.ERROR);
    }

    private String describe(Expr e) {
        return switch (e) {
            case Name n -> n.name();
            case Member m -> describe(m.target()) + (m.nullConditional() ? "?." : ".") + m.name();
            case TypeExpr t -> t.type().toString();
            case Call c -> slice(c.pos(), c.end());
            case Index i -> slice(i.pos(), i.end());
            default -> null;
        };
    }

    private String slice(int from, int to) {
        if (from < 0 || to > src.length() || from >= to) {
            return "?";
        }
        return src.substring(from, to).replaceAll("\\s+", " ");
    }

    private String describe(Expr e, Type t) {
        String d = describe(e);
        return d != null ? "'" + d + "'" : "type '" + t.name() + "'";
    }

    // ---- entry points

    /** Checks an expression whose value must convert to {@code expected}. */
    public Checked.Expr checkExpression(Expr e, Type expected) {
        C c = expr(e);
        return coerceResult(c, expected, e.pos());
    }

    /** Checks a statement block; every path must return a value convertible to expected. */
    public Checked.Expr checkBlock(Block b, Type expected) {
        List<Type> rets = new ArrayList<>();
        rets.add(expected);
        returnTypes.push(rets);
        Checked.Stmt body = block(b, true);
        returnTypes.pop();
        if (canComplete(b)) {
            error(b.end(), "not all code paths return a value: end the block with a 'return' statement");
        }
        return new Checked.BlockResult(body);
    }

    private Checked.Expr coerceResult(C c, Type expected, int pos) {
        if (c.staticOf != null) {
            error(pos, "'" + c.staticOf + "' is a type, not a value");
            return c.e;
        }
        Type t = c.t;
        Checked.Expr n = c.e;
        if (expected == Type.BOOL) {
            if (t == Type.BOOL || t == Type.ERROR) {
                return n;
            }
            if (t.isDynamic()) {
                return new Checked.Truth(n);
            }
            error(pos, "the expression must produce a bool (true or false) but produces '" + t.name() + "'");
            return n;
        }
        if (expected == Type.STRING) {
            if (t == Type.STRING || t == Type.ERROR) {
                return n;
            }
            if (t == Type.VOID) {
                error(pos, "the expression produces no value");
                return n;
            }
            return new Checked.ToStr(n);
        }
        if (expected.isNumeric()) {
            if (!t.convertibleTo(expected)) {
                error(pos, "the expression must produce a number ('" + expected.name() + "') but produces '" + t.name() + "'");
                return n;
            }
            return implicit(n, t, expected);
        }
        if (t == Type.VOID) {
            error(pos, "the expression produces no value");
        }
        return n;
    }

    // ---- scopes

    private Var lookup(String name) {
        for (Map<String, Var> s : scopes) {
            Var l = s.get(name);
            if (l != null) {
                return l;
            }
        }
        return null;
    }

    private Var declare(String name, Type type, int pos) {
        if (lookup(name) != null) {
            error(pos, "a local variable named '" + name + "' is already defined in this scope");
        }
        if (name.equals("context")) {
            error(pos, "'context' is reserved for the policy context");
        }
        Var l = new Var(slots++, type);
        scopes.peek().put(name, l);
        return l;
    }

    // ---- statements

    private Checked.Stmt block(Block b, boolean newScope) {
        if (newScope) {
            scopes.push(new HashMap<>());
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
            scopes.pop();
        }
        return new Checked.Seq(list);
    }

    /** Numeric widening of a checked value, when the types differ. */
    static Checked.Expr implicit(Checked.Expr e, Type from, Type to) {
        if (from == to || !to.isNumeric() || !from.isNumeric() || from == Type.ERROR) {
            return e;
        }
        return new Checked.Implicit(e, from, to);
    }

    private Checked.Expr condition(Expr e) {
        C c = expr(e);
        if (c.staticOf != null) {
            error(e.pos(), "'" + c.staticOf + "' is a type, not a value");
        } else if (c.t == Type.BOOL || c.t == Type.ERROR) {
            return c.e;
        } else if (c.t.isDynamic()) {
            return new Checked.Truth(c.e);
        } else {
            error(e.pos(), "a condition must be a bool but this is '" + c.t.name() + "'");
        }
        return c.e;
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
                            error(d.pos(), "'var' needs an initializer: write 'var " + d.name() + " = ...;'");
                            type = Type.ERROR;
                        } else {
                            C c = value(d.init());
                            type = c.t == Type.NULL ? fail(d.init().pos(), "cannot infer a type from 'null'; declare the type instead").t : c.t;
                            if (type == Type.VOID) {
                                error(d.init().pos(), "cannot assign a method that returns nothing (void) to a variable");
                            }
                            init = c.e;
                        }
                    } else {
                        type = resolveType(l.type());
                        if (d.init() != null) {
                            C c = value(d.init());
                            init = convert(d.init(), c, type);
                        }
                    }
                    Var local = declare(d.name(), type, d.pos());
                    parts.add(new Checked.Eval(new Checked.StoreLocal(local.slot(),
                            init == null ? new Checked.Const(Conv.zero(type)) : init)));
                }
                return parts.size() == 1 ? parts.get(0) : new Checked.Seq(parts);
            }
            case ExprStmt es -> {
                Expr e = es.expr();
                if (!(e instanceof Assign || e instanceof Call || e instanceof IncDec || e instanceof New)) {
                    error(e.pos(), "only assignment, call, increment, decrement and new object expressions can be used as a statement");
                }
                return new Checked.Eval(expr(e).e);
            }
            case If i -> {
                Checked.Expr c = condition(i.cond());
                scopes.push(new HashMap<>());
                Checked.Stmt then = stmt(i.then());
                scopes.pop();
                scopes.push(new HashMap<>());
                Checked.Stmt other = i.otherwise() == null ? null : stmt(i.otherwise());
                scopes.pop();
                return new Checked.If(c, then, other);
            }
            case While w -> {
                Checked.Expr c = condition(w.cond());
                return new Checked.While(c, scoped(w.body()));
            }
            case DoWhile w -> {
                Checked.Stmt body = scoped(w.body());
                return new Checked.DoWhile(body, condition(w.cond()));
            }
            case For f -> {
                scopes.push(new HashMap<>());
                List<Checked.Stmt> init = new ArrayList<>();
                for (Stmt st : f.init()) {
                    init.add(stmt(st));
                }
                Checked.Expr c = f.cond() == null ? null : condition(f.cond());
                List<Checked.Expr> step = new ArrayList<>();
                for (Expr e : f.step()) {
                    step.add(expr(e).e);
                }
                Checked.Stmt body = scoped(f.body());
                scopes.pop();
                return new Checked.For(init, c, step, body);
            }
            case Foreach f -> {
                C source = value(f.source());
                Type elem = elementType(source.t);
                if (elem == null) {
                    error(f.source().pos(), "foreach cannot iterate over '" + source.t.name() + "': it is not a collection");
                    elem = Type.ERROR;
                }
                scopes.push(new HashMap<>());
                Type varType = f.type() == null ? elem : resolveType(f.type());
                Var l = declare(f.name(), varType, f.namePos());
                Checked.Stmt body = stmt(f.body());
                scopes.pop();
                boolean needCast = f.type() != null && !elem.equals(varType);
                return new Checked.Foreach(source.e, l.slot(), needCast ? varType : null, body);
            }
            case Return r -> {
                List<Type> rets = returnTypes.peek();
                if (rets == null) {
                    error(r.pos(), "'return' is only allowed inside a @{ } block");
                    return new Checked.Nop();
                }
                boolean isVoid = !rets.isEmpty() && rets.get(0) == Type.VOID;
                if (r.value() == null) {
                    if (!isVoid) {
                        error(r.pos(), "a value must be returned: write 'return <value>;'");
                    }
                    return new Checked.Return(null);
                }
                if (isVoid) {
                    error(r.value().pos(), "this local function returns nothing (void): write 'return;'");
                    return new Checked.Return(null);
                }
                C c = value(r.value());
                Checked.Expr n;
                if (!rets.isEmpty() && rets.get(0) != null) {
                    n = coerceResult(c, rets.get(0), r.value().pos());
                } else {
                    rets.add(c.t);
                    n = c.e;
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
        scopes.push(new HashMap<>());
        Checked.Stmt out = stmt(s);
        scopes.pop();
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
                    || sw.sections().stream().anyMatch(x -> x.stmts().stream().anyMatch(Checker::hasBreak));
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
            case Block b -> b.stmts().stream().anyMatch(Checker::hasBreak);
            case If i -> hasBreak(i.then()) || (i.otherwise() != null && hasBreak(i.otherwise()));
            default -> false;
        };
    }

    // ---- types

    Type resolveType(TypeRef r) {
        String simple = r.name().substring(r.name().lastIndexOf('.') + 1);
        if (simple.endsWith("Exception") && r.args().isEmpty() && !FORBIDDEN.contains(simple)) {
            return r.rank() == 0 ? lib.tException : Type.arrayOf(lib.tException);
        }
        Type base = lib.typeNamed(stripNamespace(r.name()));
        String dictName = stripNamespace(r.name());
        if (base == null && r.args().size() == 2 && (dictName.equals("Dictionary") || dictName.equals("IDictionary")
                || dictName.equals("IReadOnlyDictionary") || dictName.equals("KeyValuePair"))) {
            Type k = resolveType(r.args().get(0));
            Type v = resolveType(r.args().get(1));
            Type d = Type.dictionaryOf(k, v);
            Type t = dictName.equals("KeyValuePair") ? d.elem() : d;
            for (int n = 0; n < r.rank(); n++) {
                t = Type.arrayOf(t);
            }
            return t;
        }
        if (base == null && (dictName.equals("HashSet") || dictName.equals("ISet")) && r.args().size() == 1) {
            Type elem = resolveType(r.args().get(0));
            Type set = new Type("HashSet<" + elem.name() + ">", java.util.LinkedHashSet.class, elem);
            for (int n = 0; n < r.rank(); n++) {
                set = Type.arrayOf(set);
            }
            return set;
        }
        if (base == null) {
            if (FORBIDDEN.contains(stripNamespace(r.name()))) {
                error(r.pos(), "type '" + r.name() + "' is not allowed in policy expressions");
            } else {
                error(r.pos(), "unknown type '" + r.name() + "'");
            }
            return Type.ERROR;
        }
        if (!r.args().isEmpty()) {
            String generic = stripNamespace(r.name());
            if ((generic.equals("List") || generic.equals("IEnumerable")) && r.args().size() == 1) {
                Type elem = resolveType(r.args().get(0));
                base = generic.equals("List") ? Type.realListOf(elem) : Type.listOf(elem);
            } else {
                error(r.pos(), "type '" + r + "' is not supported in policy expressions");
                return Type.ERROR;
            }
        }
        Type t = base;
        for (int k = 0; k < r.rank(); k++) {
            t = Type.arrayOf(t);
        }
        return t;
    }

    private static String stripNamespace(String name) {
        int dot = name.lastIndexOf('.');
        if (dot < 0) {
            return name;
        }
        String ns = name.substring(0, dot);
        return NAMESPACES.contains(ns) ? name.substring(dot + 1) : name;
    }

    Type elementType(Type t) {
        if (t.isDynamic()) {
            return Type.OBJECT;
        }
        if (t.elem() != null) {
            return t.elem();
        }
        if (t == Type.STRING) {
            return Type.CHAR;
        }
        return lib.elementOf(t);
    }

    // ---- expressions

    /** Compiles an expression that must be a value (not a type name, not void). */
    private C value(Expr e) {
        C c = expr(e);
        if (c.staticOf != null) {
            return fail(e.pos(), "'" + c.staticOf + "' is a type, not a value");
        }
        return c;
    }

    /** Like {@link #convert(C, Type, int)}, but also allows C#'s constant conversions (an int literal to byte or char). */
    private Checked.Expr convert(Expr e, C c, Type to) {
        if (e instanceof DefaultOf d && d.type() == null) {
            return new Checked.Const(Conv.zero(to));
        }
        if ((to == Type.BYTE || to == Type.CHAR) && c.t == Type.INT && e instanceof Lit l && l.value() instanceof Integer v
                && v >= 0 && v <= (to == Type.BYTE ? 255 : 65535)) {
            return new Checked.Const(to == Type.BYTE ? (Object) v : (Object) (char) (int) v);
        }
        return convert(c, to, e.pos());
    }

    private Checked.Expr convert(C c, Type to, int pos) {
        if (lib.isJToken(to) && (to.name().equals("JToken") || to.name().equals("JValue"))
                && (c.t == Type.STRING || c.t.isNumeric() || c.t == Type.BOOL)) {
            return new Checked.ToJToken(c.e);
        }
        if (c.t == Type.STRING && (to == lib.tXName || to == lib.tXNamespace)) {
            return new Checked.ToXName(c.e, to == lib.tXName);
        }
        if (!c.t.convertibleTo(to)) {
            error(pos, "cannot convert '" + c.t.name() + "' to '" + to.name() + "'" + hint(c.t, to));
            return c.e;
        }
        if (c.t.isDynamic() && !to.isDynamic()) {
            return new Checked.Cast(c.e, to, true);
        }
        return implicit(c.e, c.t, to);
    }

    private static String hint(Type from, Type to) {
        if (from.isNumeric() && to.isNumeric()) {
            return " without a cast: write '(" + to.name() + ")' before it";
        }
        return "";
    }

    C expr(Expr e) {
        return switch (e) {
            case Lit l -> literal(l);
            case Interp i -> interpolation(i);
            case Name n -> name(n);
            case Member m -> member(m);
            case Call c -> call(c);
            case Index i -> index(i);
            case Unary u -> unary(u);
            case IncDec i -> incDec(i);
            case Binary b -> binary(b);
            case Assign a -> assign(a);
            case Cond c -> conditional(c);
            case Cast c -> cast(c);
            case As a -> as(a);
            case Is i -> is(i);
            case Lambda l -> fail(l.pos(), "a lambda is only allowed as the argument of a LINQ method such as Where or Any");
            case New n -> creation(n);
            case TypeExpr t -> typeRef(t);
            case InitList il -> fail(il.pos(), "an element initializer '{ ... }' is only allowed inside a collection initializer");
            case AnonNew an -> anonymous(an);
            case SwitchExpr se -> switchExpression(se);
            case DefaultOf d -> defaultOf(d);
            case ThrowExpr t -> throwExpression(t);
            case IsPattern ip -> {
                C v = value(ip.operand());
                Checked.Pat mt = pattern(ip.pattern(), v.t);
                yield new C(new Checked.IsPattern(v.e, mt), Type.BOOL);
            }
        };
    }

    private C literal(Lit l) {
        Object v = l.value();
        Type t = switch (v) {
            case null -> Type.NULL;
            case Integer i -> Type.INT;
            case Long x -> Type.LONG;
            case Double d -> Type.DOUBLE;
            case java.math.BigDecimal d -> Type.DECIMAL;
            case Boolean b -> Type.BOOL;
            case Character c -> Type.CHAR;
            case String s -> Type.STRING;
            default -> Type.OBJECT;
        };
        return new C(new Checked.Const(v), t);
    }

    private C interpolation(Interp i) {
        List<Object> parts = new ArrayList<>();
        for (Object part : i.parts()) {
            if (part instanceof String s) {
                parts.add(s);
            } else {
                Hole h = (Hole) part;
                parts.add(new Checked.Hole(value(h.expr()).e, h.format(), h.align()));
            }
        }
        return new C(new Checked.Interp(parts), Type.STRING);
    }

    private C typeRef(TypeExpr t) {
        String s = lib.staticOwner(t.type().name());
        if (s == null) {
            return fail(t.pos(), "unknown type '" + t.type().name() + "'");
        }
        return new C(null, Type.ERROR, s);
    }

    private C name(Name n) {
        Var l = lookup(n.name());
        if (l != null) {
            return new C(new Checked.Local(l.slot()), l.type());
        }
        if (n.name().equals("context")) {
            return new C(new Checked.Context(), lib.contextType());
        }
        String st = lib.staticOwner(n.name());
        if (st != null) {
            return new C(null, Type.ERROR, st);
        }
        if (NAMESPACES.contains(n.name())) {
            return new C(null, Type.ERROR, "namespace:" + n.name());
        }
        if (FORBIDDEN.contains(n.name())) {
            return fail(n.pos(), "type '" + n.name() + "' is not allowed in policy expressions");
        }
        return fail(n.pos(), "the name '" + n.name() + "' does not exist in the current context");
    }

    /** The receiver of a member access: a value, a static type or a namespace. */
    private C receiver(Expr e) {
        return expr(e);
    }

    private C member(Member m) {
        C target = receiver(m.target());
        if (target.t == Type.ERROR && target.staticOf == null) {
            return target;
        }
        if (target.staticOf != null) {
            return staticMember(target.staticOf, m);
        }
        Type tt = target.t;
        if (tt == Type.VOID) {
            return fail(m.pos(), "'" + describe(m.target()) + "' produces no value");
        }
        if (tt == Type.NULL) {
            return fail(m.namePos(), "'null' has no member '" + m.name() + "'");
        }
        boolean nc = m.nullConditional();
        if (tt.isDynamic()) {
            return new C(new Checked.DynamicProp(target.e, m.name(), nc), Type.OBJECT);
        }
        Prop p = lib.prop(tt, m.name());
        if (p == null) {
            if (!lib.methods(tt, m.name()).isEmpty() || lib.isLinq(m.name()) && elementType(tt) != null) {
                return fail(m.namePos(), "'" + m.name() + "' on " + describe(m.target(), tt)
                        + " is a method: call it with '()'");
            }
            String apim = APIM_ONLY.get(tt.name() + "." + m.name());
            if (apim != null) {
                return fail(m.namePos(), "'" + m.name() + "' on " + describe(m.target(), tt) + " is an APIM member Gatehouse does not provide: " + apim);
            }
            return fail(m.namePos(), "unknown member '" + m.name() + "' on " + describe(m.target(), tt));
        }
        if (m.name().equals("Body")) {
            if (tt.name().equals("IRequest")) {
                readsRequestBody = true;
            } else if (tt.name().equals("IResponse")) {
                readsResponseBody = true;
            }
        }
        Members.Getter g = p.get();
        Type pt = p.type();
        if (tt.isDictionary() && m.name().equals("Keys")) {
            pt = Type.listOf(tt.key());
        } else if (tt.isDictionary() && m.name().equals("Values")) {
            pt = Type.listOf(tt.value());
        } else if (tt.isPair() && m.name().equals("Key")) {
            pt = tt.key();
        } else if (tt.isPair() && m.name().equals("Value")) {
            pt = tt.value();
        }
        return new C(new Checked.Prop(target.e, g, nc), pt);
    }

    private C staticMember(String owner, Member m) {
        if (owner.startsWith("namespace:")) {
            String ns = owner.substring(10) + "." + m.name();
            if (NAMESPACES.contains(ns)) {
                return new C(null, Type.ERROR, "namespace:" + ns);
            }
            String st = lib.staticOwner(m.name());
            if (st != null) {
                return new C(null, Type.ERROR, st);
            }
            if (FORBIDDEN.contains(m.name())) {
                return fail(m.namePos(), "type '" + ns + "' is not allowed in policy expressions");
            }
            return fail(m.namePos(), "unknown type '" + ns + "'");
        }
        Prop p = lib.staticProp(owner, m.name());
        if (p == null) {
            if (!lib.staticMethods(owner, m.name()).isEmpty()) {
                return fail(m.namePos(), "'" + owner + "." + m.name() + "' is a method: call it with '()'");
            }
            return fail(m.namePos(), "unknown member '" + m.name() + "' on '" + owner + "'");
        }
        return new C(new Checked.StaticProp(p.get()), p.type());
    }

    private C index(Index i) {
        if (i.target() == null) {
            return fail(i.pos(), "an index initializer '[key] = value' is only allowed inside an object initializer");
        }
        C target = value(i.target());
        if (target.t == Type.ERROR) {
            return target;
        }
        List<C> args = new ArrayList<>();
        for (Expr a : i.args()) {
            args.add(value(a));
        }
        if (args.size() != 1) {
            return fail(i.pos(), "indexers here take exactly one argument");
        }
        Type tt = target.t;
        C key = args.get(0);
        Library.Indexer ix = lib.indexer(tt);
        if (ix == null) {
            return fail(i.pos(), "cannot index " + describe(i.target(), tt) + " with []: it is '"
                    + tt.name() + "'");
        }
        if (!key.t.convertibleTo(ix.key()) && !(ix.key() == Type.INT && key.t == Type.CHAR)) {
            return fail(i.args().get(0).pos(), "the index of " + describe(i.target(), tt) + " must be '"
                    + ix.key().name() + "' but is '" + key.t.name() + "'");
        }
        Checked.Expr kn = implicit(key.e, key.t, ix.key());
        return new C(new Checked.IndexGet(target.e, kn, ix.get(), i.nullConditional(), true), ix.type());
    }

    private C unary(Unary u) {
        C c = value(u.operand());
        Type t = c.t;
        Checked.Expr n = c.e;
        switch (Operator.unary(u.op())) {
            case NOT -> {
                if (t != Type.BOOL && !t.isDynamic()) {
                    return fail(u.pos(), "operator '!' cannot be applied to an operand of type '" + t.name() + "'");
                }
                return new C(new Checked.Not(n), Type.BOOL);
            }
            case NEGATE -> {
                if (!t.isNumeric() && !t.isDynamic() && !t.name().equals("TimeSpan")) {
                    return fail(u.pos(), "operator '-' cannot be applied to an operand of type '" + t.name() + "'");
                }
                if (u.operand() instanceof Lit l && l.value() instanceof Integer x) {
                    return new C(new Checked.Const(-x), Type.INT);
                }
                return new C(new Checked.UnaryOp(Operator.NEGATE, n), t == Type.CHAR || t == Type.BYTE ? Type.INT : t);
            }
            case PLUS -> {
                if (!t.isNumeric() && !t.isDynamic()) {
                    return fail(u.pos(), "operator '+' cannot be applied to an operand of type '" + t.name() + "'");
                }
                return new C(implicit(n, t, t.rank() == 0 ? Type.INT : t), t.rank() == 0 ? Type.INT : t);
            }
            default -> {
                if (!t.isIntegral() && !t.isDynamic()) {
                    return fail(u.pos(), "operator '~' cannot be applied to an operand of type '" + t.name() + "'");
                }
                return new C(new Checked.UnaryOp(Operator.COMPLEMENT, n), t == Type.LONG ? Type.LONG : t.isDynamic() ? t : Type.INT);
            }
        }
    }

    private Type arithType(Operator op, Type a, Type b) {
        if (a == Type.ERROR || b == Type.ERROR) {
            return Type.ERROR;
        }
        if (op == Operator.ADD && (a == Type.STRING || b == Type.STRING)) {
            if (a == Type.VOID || b == Type.VOID) {
                return null;
            }
            return Type.STRING;
        }
        if (a.isDynamic() || b.isDynamic()) {
            return Type.OBJECT;
        }
        if (a.isNumeric() && b.isNumeric()) {
            int ra = a.rank();
            int rb = b.rank();
            if ((ra == 2 && rb == 3) || (ra == 3 && rb == 2)) {
                return null;
            }
            return Type.ofRank(Math.max(ra, rb));
        }
        String an = a.name();
        String bn = b.name();
        if (op == Operator.ADD && an.equals("DateTime") && bn.equals("TimeSpan")) {
            return a;
        }
        if (op == Operator.SUB && an.equals("DateTime") && bn.equals("DateTime")) {
            return lib.typeNamed("TimeSpan");
        }
        if (op == Operator.SUB && an.equals("DateTime") && bn.equals("TimeSpan")) {
            return a;
        }
        if ((op == Operator.ADD || op == Operator.SUB) && an.equals("TimeSpan") && bn.equals("TimeSpan")) {
            return a;
        }
        return null;
    }

    private C binary(Binary b) {
        String sym = b.op();
        Operator op = Operator.binary(sym);
        if (op == Operator.CONDITIONAL_AND || op == Operator.CONDITIONAL_OR) {
            Checked.Expr l = condition(b.left());
            Checked.Expr r = condition(b.right());
            return new C(new Checked.Logical(op == Operator.CONDITIONAL_AND, l, r), Type.BOOL);
        }
        C l = value(b.left());
        C r = value(b.right());
        if (op == Operator.ADD && l.t == lib.tXNamespace && r.t == Type.STRING) {
            return new C(new Checked.XNamePlus(l.e, r.e), lib.tXName);
        }
        Type lt = l.t;
        Type rt = r.t;
        Checked.Expr ln = l.e;
        Checked.Expr rn = r.e;
        if (lt == Type.VOID || rt == Type.VOID) {
            return fail(b.opPos(), "operator '" + sym + "' cannot be applied to a method that returns nothing (void)");
        }
        boolean anyError = lt == Type.ERROR || rt == Type.ERROR;
        if (op == null) {
            return fail(b.opPos(), "unsupported operator '" + sym + "'");
        }
        switch (op) {
            case COALESCE -> {
                Type t = lt == Type.NULL ? rt : rt == Type.NULL || rt.convertibleTo(lt) ? lt
                        : lt.convertibleTo(rt) ? rt : null;
                if (t == null && !anyError) {
                    return fail(b.opPos(), "operator '??' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'");
                }
                return new C(new Checked.Coalesce(ln, rn), t == null ? Type.ERROR : t);
            }
            case EQ, NE -> {
                if (!anyError && !comparable(lt, rt)) {
                    return fail(b.opPos(), "operator '" + sym + "' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'");
                }
                if (op == Operator.EQ) {
                    if (r.e != null && b.right() instanceof Lit lit && lit.value() == null) {
                        return new C(new Checked.IsNull(ln, false), Type.BOOL);
                    }
                    Operator.Impl eq = op.resolve(lt, rt);
                    return new C(new Checked.BinaryOp(eq, ln, rn), Type.BOOL);
                }
                if (b.right() instanceof Lit lit && lit.value() == null) {
                    return new C(new Checked.IsNull(ln, true), Type.BOOL);
                }
                Operator.Impl ne = op.resolve(lt, rt);
                return new C(new Checked.BinaryOp(ne, ln, rn), Type.BOOL);
            }
            case LT, GT, LE, GE -> {
                boolean ok = anyError || lt.isDynamic() || rt.isDynamic() || (lt.isNumeric() && rt.isNumeric()
                        && arithType(Operator.LT, lt, rt) != null)
                        || (lt.name().equals(rt.name()) && (lt.name().equals("DateTime") || lt.name().equals("TimeSpan")));
                if (!ok) {
                    return fail(b.opPos(), "operator '" + sym + "' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'" + (lt == Type.STRING ? " (compare strings with string.Compare)" : ""));
                }
                Operator.Impl rel = op.resolve(lt, rt);
                return new C(new Checked.BinaryOp(rel, ln, rn), Type.BOOL);
            }
            case ADD, SUB, MUL, DIV, REM -> {
                Type t = arithType(op, lt, rt);
                if (t == null) {
                    return fail(b.opPos(), "operator '" + sym + "' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'");
                }
                Operator.Impl impl = t == Type.STRING ? Ops::concat : op.resolve(lt, rt);
                return new C(new Checked.BinaryOp(impl, ln, rn), t);
            }
            case AND, OR, XOR -> {
                Type t;
                if (anyError || lt.isDynamic() || rt.isDynamic()) {
                    t = Type.OBJECT;
                } else if (lt == Type.BOOL && rt == Type.BOOL) {
                    t = Type.BOOL;
                } else if (lt.name().equals("RegexOptions") && rt.name().equals("RegexOptions")) {
                    t = lt;
                } else if (lt.isIntegral() && rt.isIntegral()) {
                    t = lt == Type.LONG || rt == Type.LONG ? Type.LONG : Type.INT;
                } else {
                    return fail(b.opPos(), "operator '" + sym + "' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'");
                }
                Operator.Impl impl = op.resolve(lt, rt);
                return new C(new Checked.BinaryOp(impl, ln, rn), t);
            }
            case SHL, SHR -> {
                if (!anyError && !(lt.isDynamic() || lt.isIntegral()) || !(rt.isDynamic() || rt.rank() == 0 && rt.isIntegral())) {
                    return fail(b.opPos(), "operator '" + sym + "' cannot be applied to operands of type '" + lt.name()
                            + "' and '" + rt.name() + "'");
                }
                Operator.Impl impl = op.resolve(lt, rt);
                return new C(new Checked.BinaryOp(impl, ln, rn), lt == Type.LONG ? Type.LONG
                        : lt.isDynamic() ? Type.OBJECT : Type.INT);
            }
            default -> {
                return fail(b.opPos(), "unsupported operator '" + sym + "'");
            }
        }
    }

    private boolean comparable(Type a, Type b) {
        if (a.isDynamic() || b.isDynamic() || a == Type.NULL || b == Type.NULL) {
            return true;
        }
        if (a.isNumeric() && b.isNumeric()) {
            return arithType(Operator.EQ, a, b) != null;
        }
        if (a == Type.BOOL || b == Type.BOOL || a == Type.STRING || b == Type.STRING || a.isNumeric() || b.isNumeric()) {
            return a.name().equals(b.name());
        }
        return a.convertibleTo(b) || b.convertibleTo(a);
    }

    private C conditional(Cond c) {
        Checked.Expr cond = condition(c.cond());
        C a = value(c.then());
        C b = value(c.otherwise());
        Type t;
        if (a.t.equals(b.t)) {
            t = a.t;
        } else if (a.t == Type.NULL) {
            t = b.t;
        } else if (b.t == Type.NULL) {
            t = a.t;
        } else if (a.t == Type.ERROR || b.t == Type.ERROR) {
            t = Type.ERROR;
        } else if (b.t.convertibleTo(a.t) && !a.t.isDynamic()) {
            t = a.t;
        } else if (a.t.convertibleTo(b.t) && !b.t.isDynamic()) {
            t = b.t;
        } else if (a.t.isDynamic() && b.t.isDynamic()) {
            t = Type.OBJECT;
        } else {
            return fail(c.then().pos(), "the two branches of '?:' have types '" + a.t.name() + "' and '" + b.t.name()
                    + "', and neither converts to the other");
        }
        return new C(new Checked.Conditional(cond, implicit(a.e, a.t, t), implicit(b.e, b.t, t)), t);
    }

    private C cast(Cast c) {
        Type to = resolveType(c.type());
        C v = value(c.operand());
        if (to == Type.ERROR || v.t == Type.ERROR) {
            return new C(v.e, to);
        }
        Type from = v.t;
        boolean ok = from.isDynamic() || from == Type.NULL || from.convertibleTo(to) || to.convertibleTo(from)
                || (from.isNumeric() && to.isNumeric())
                || (lib.isJToken(from) && (to.isNumeric() || to == Type.STRING || to == Type.BOOL || to.isValueType()))
                || (lib.isJToken(to) && (from.isNumeric() || from == Type.STRING || from == Type.BOOL));
        if (!ok) {
            return fail(c.pos(), "cannot convert type '" + from.name() + "' to '" + to.name() + "'");
        }
        return new C(new Checked.Cast(v.e, to, from.isDynamic()), to);
    }

    private C as(As a) {
        Type to = resolveType(a.type());
        C v = value(a.operand());
        if (to.isValueType()) {
            return fail(a.type().pos(), "'as' needs a reference type, but '" + to.name() + "' is a value type; use a cast");
        }
        return new C(new Checked.As(v.e, to), to);
    }

    private C is(Is i) {
        C v = value(i.operand());
        Checked.Expr n = v.e;
        boolean neg = i.negated();
        if (i.type() == null) {
            return new C(new Checked.IsNull(n, neg), Type.BOOL);
        }
        Type to = resolveType(i.type());
        if (i.bind() != null) {
            if (neg) {
                return fail(i.bindPos(), "a 'not' pattern cannot declare a variable");
            }
            int slot = declare(i.bind(), to, i.bindPos()).slot();
            return new C(new Checked.IsBind(n, to, slot), Type.BOOL);
        }
        return new C(new Checked.IsType(n, to, neg), Type.BOOL);
    }

    // ---- assignment

    private C assign(Assign a) {
        Expr target = a.target();
        String op = a.op();
        if (target instanceof Name nm) {
            Var l = lookup(nm.name());
            if (l == null) {
                C t = name(nm);
                if (t.t == Type.ERROR && t.staticOf == null) {
                    return t;
                }
                return fail(nm.pos(), "cannot assign to '" + nm.name() + "': only local variables can be assigned");
            }
            C value = assignedValue(a, new C(new Checked.Local(l.slot()), l.type()), l.type());
            return new C(new Checked.StoreLocal(l.slot(), value.e), l.type());
        }
        if (target instanceof Index ix) {
            if (ix.target() == null) {
                return fail(ix.pos(), "an index initializer '[key] = value' is only allowed inside an object initializer");
            }
            C obj = value(ix.target());
            if (obj.t == Type.ERROR) {
                return obj;
            }
            Library.Indexer indexer = lib.indexer(obj.t);
            if (indexer == null || indexer.set() == null) {
                return fail(ix.pos(), "cannot assign to " + describe(ix.target(), obj.t) + "[...]: it is read only");
            }
            C key = value(ix.args().get(0));
            Checked.Expr kn = implicit(key.e, key.t, indexer.key());
            C current = new C(new Checked.IndexGet(obj.e, kn, indexer.get(), false, false), indexer.type());
            C value = assignedValue(a, current, indexer.type());
            return new C(new Checked.IndexSet(obj.e, kn, value.e, indexer.set()), indexer.type());
        }
        if (target instanceof Member m) {
            C recv = expr(m.target());
            if (recv.t == Type.ERROR && recv.staticOf == null) {
                return recv;
            }
            Library.Setter setter = recv.staticOf == null ? lib.setter(recv.t, m.name()) : null;
            if (setter != null) {
                Members.Getter getter = lib.prop(recv.t, m.name()) == null ? null : lib.prop(recv.t, m.name()).get();
                C current = new C(new Checked.PropRaw(recv.e, getter), setter.type());
                C value = assignedValue(a, current, setter.type());
                return new C(new Checked.PropSet(recv.e, value.e, setter.set()), setter.type());
            }
            C t = expr(target);
            if (t.t == Type.ERROR) {
                return t;
            }
            return fail(m.namePos(), "cannot assign to '" + describe(m) + "': it is read only");
        }
        return fail(a.pos(), "the left side of '" + op + "' must be a variable or an indexer");
    }

    private C assignedValue(Assign a, C current, Type targetType) {
        String op = a.op();
        C rhs = value(a.value());
        if (op.equals("=")) {
            return new C(convert(a.value(), rhs, targetType), targetType);
        }
        if (op.equals("??=")) {
            return new C(new Checked.Coalesce(current.e, convert(rhs, targetType, a.value().pos())), targetType);
        }
        Operator bop = Operator.binary(op.substring(0, op.length() - 1));
        C combined = switch (bop) {
            case AND, OR, XOR, SHL, SHR -> {
                yield new C(new Checked.BinaryOp(bop.guarded(current.t, rhs.t), current.e, rhs.e), targetType);
            }
            default -> {
                Type t = arithType(bop, current.t, rhs.t);
                if (t == null) {
                    yield fail(a.opPos(), "operator '" + op + "' cannot be applied to operands of type '"
                            + current.t.name() + "' and '" + rhs.t.name() + "'");
                }
                Operator.Impl impl = t == Type.STRING ? Ops::concat : bop.guarded(current.t, rhs.t);
                yield new C(new Checked.BinaryOp(impl, current.e, rhs.e), t);
            }
        };
        if (targetType.isNumeric() && combined.t.isNumeric()) {
            return new C(new Checked.Cast(combined.e, targetType, false), targetType);
        }
        return new C(convert(combined, targetType, a.opPos()), targetType);
    }

    private C incDec(IncDec i) {
        Expr target = i.target();
        int delta = i.op().equals("++") ? 1 : -1;
        if (target instanceof Name nm) {
            Var l = lookup(nm.name());
            if (l == null) {
                C t = name(nm);
                return t.t == Type.ERROR ? t : fail(nm.pos(), "'" + i.op() + "' needs a local variable");
            }
            if (!l.type().isNumeric() && !l.type().isDynamic()) {
                return fail(i.pos(), "operator '" + i.op() + "' cannot be applied to an operand of type '" + l.type().name() + "'");
            }
            return new C(new Checked.IncDec(l.slot(), l.type(), delta, i.prefix()), l.type());
        }
        return fail(i.pos(), "'" + i.op() + "' can only be applied to a local variable here");
    }

    // ---- calls

    private C call(Call c) {
        Expr target = c.target();
        if (target instanceof Member m) {
            C recv = receiver(m.target());
            if (recv.t == Type.ERROR && recv.staticOf == null) {
                for (Arg a : c.args()) {
                    if (a.expr() != null && !(a.expr() instanceof Lambda)) {
                        value(a.expr());
                    }
                }
                return recv;
            }
            if (recv.staticOf != null) {
                if (recv.staticOf.startsWith("namespace:")) {
                    return fail(m.namePos(), "unknown type '" + recv.staticOf.substring(10) + "." + m.name() + "'");
                }
                if (recv.staticOf.equals("Array") && ARRAY_LINQ.containsKey(m.name())) {
                    return arrayLinq(c, m);
                }
                List<Method> ms = lib.staticMethods(recv.staticOf, m.name());
                if (ms.isEmpty()) {
                    return fail(m.namePos(), "unknown method '" + m.name() + "' on '" + recv.staticOf + "'");
                }
                return invoke(c, m, null, ms, "'" + recv.staticOf + "'", false);
            }
            Type tt = recv.t;
            if (tt == Type.NULL || tt == Type.VOID) {
                return fail(m.namePos(), "cannot call '" + m.name() + "' on " + (tt == Type.NULL ? "'null'" : "nothing (void)"));
            }
            if (tt.isDynamic()) {
                return dynamicCall(c, m, recv);
            }
            List<Method> ms = lib.methods(tt, m.name());
            if (lib.isLinq(m.name()) && elementType(tt) != null && !hasArity(ms, c.args().size())) {
                return Linq.check(this, c, m, recv, elementType(tt));
            }
            if (ms.isEmpty()) {
                if (lib.prop(tt, m.name()) != null) {
                    return fail(m.namePos(), "'" + m.name() + "' on " + describe(m.target(), tt)
                            + " is a property, not a method: remove the '()'");
                }
                return fail(m.namePos(), "unknown method '" + m.name() + "' on " + describe(m.target(), tt));
            }
            return invoke(c, m, recv, ms, describe(m.target(), tt), m.nullConditional());
        }
        if (target instanceof Name n) {
            LocalFn fn = lookupFunction(n.name());
            if (fn != null && lookup(n.name()) == null) {
                return callLocal(c, n, fn);
            }
            if (n.name().equals("nameof") && lookup("nameof") == null) {
                return nameof(c);
            }
            if (lookup(n.name()) != null) {
                return fail(n.pos(), "'" + n.name() + "' is a variable, not a method");
            }
            if (FORBIDDEN.contains(n.name())) {
                return fail(n.pos(), "type '" + n.name() + "' is not allowed in policy expressions");
            }
            return fail(n.pos(), "the name '" + n.name() + "' does not exist in the current context");
        }
        C t = expr(target);
        if (t.t == Type.ERROR) {
            return t;
        }
        return fail(c.pos(), "this expression cannot be called like a method");
    }

    /**
     * Members of APIM's context model that exist on APIM but have no counterpart in Gatehouse, with
     * the reason, so a document that uses one is refused by name rather than as an unknown member.
     */
    private static final Map<String, String> APIM_ONLY = Map.ofEntries(
            Map.entry("IProduct.State", "Gatehouse products are config entries with only Id and Name"),
            Map.entry("IProduct.ApprovalRequired", "Gatehouse products are config entries with only Id and Name"),
            Map.entry("IProduct.SubscriptionRequired", "Gatehouse products are config entries with only Id and Name"),
            Map.entry("IProduct.SubscriptionLimit", "Gatehouse products are config entries with only Id and Name"),
            Map.entry("IProduct.Groups", "Gatehouse has no developer groups"),
            Map.entry("IProduct.Apis", "Gatehouse products are config entries with only Id and Name"),
            Map.entry("IUser.Groups", "Gatehouse has no developer groups"),
            Map.entry("IUser.Identities", "Gatehouse has no developer identities"),
            Map.entry("IUser.Note", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("IUser.RegistrationDate", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("IUser.ExternalId", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("ISubscription.CreatedDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("ISubscription.StartDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("ISubscription.EndDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("IApi.Protocols", "Gatehouse APIs are served over the listener's HTTPS"),
            Map.entry("IApi.SubscriptionKeyParameterNames", "Gatehouse identifies callers by client certificate, not subscription key parameters"),
            Map.entry("IRequest.PrivateEndpointConnection", "there are no Azure private endpoints outside Azure"),
            Map.entry("IDeployment.GatewayId", "use context.Deployment.ServiceId, the id of this Gatehouse instance"),
            Map.entry("IProxyRequestContext.Workspace", "Gatehouse has no APIM workspaces"));

    /** {@code Array.Exists(a, x => ..)} and friends, as the LINQ call they equal. */
    private static final Map<String, String> ARRAY_LINQ = Map.of("Exists", "Any", "TrueForAll", "All", "Find",
            "FirstOrDefault", "FindAll", "Where", "FindLast", "LastOrDefault", "ConvertAll", "Select");

    private C arrayLinq(Call c, Member m) {
        if (c.args().size() != 2) {
            return fail(m.namePos(), "'Array." + m.name() + "' takes an array and a lambda, e.g. Array." + m.name() + "(items, x => ...)");
        }
        for (Arg a : c.args()) {
            if (a.out()) {
                return fail(a.pos(), "'Array." + m.name() + "' does not take 'out' arguments");
            }
        }
        Expr arr = c.args().get(0).expr();
        Expr fn = c.args().get(1).expr();
        Call linq = new Call(c.pos(), new Member(arr.pos(), arr, ARRAY_LINQ.get(m.name()), m.namePos(), false, m.end()),
                List.of(), List.of(new Arg(fn, false, null, null, fn.pos())), c.end());
        if (m.name().equals("FindAll") || m.name().equals("ConvertAll")) {
            linq = new Call(c.pos(), new Member(arr.pos(), linq, "ToArray", m.namePos(), false, m.end()), List.of(), List.of(), c.end());
        }
        return expr(linq);
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
                return fail(a.pos(), "'out' arguments need a receiver of a known type; cast it first");
            }
            if (a.expr() instanceof Lambda) {
                return fail(a.pos(), "cannot use a lambda on a value of unknown type; cast it first, e.g. ((JArray)x)");
            }
            args.add(value(a.expr()).e);
        }
        Type typeArg = c.typeArgs().isEmpty() ? null : resolveType(c.typeArgs().get(0));
        return new C(new Checked.DynamicCall(recv.e, m.name(), args, typeArg, m.nullConditional()), Type.OBJECT);
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
                return fail(a.pos(), "'" + m.name() + "' does not take a lambda");
            } else {
                C v = value(a.expr());
                args.add(v);
                argTypes.add(v.t);
            }
        }
        Type typeArg = c.typeArgs().isEmpty() ? null : resolveType(c.typeArgs().get(0));
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
                return fail(m.namePos(), "method '" + m.name() + "' on " + owner + " takes " + arities
                        + " argument" + (arities.toString().equals("1") ? "" : "s") + ", not " + argc);
            }
            Method first = byArity.get(0);
            for (int k = 0; k < argc; k++) {
                if (k == first.outIndex()) {
                    if (outIndex != k) {
                        return fail(c.args().get(k).pos(), "argument " + (k + 1) + " of '" + m.name() + "' must be passed with 'out'");
                    }
                    continue;
                }
                if (c.args().get(k).out()) {
                    return fail(c.args().get(k).pos(), "argument " + (k + 1) + " of '" + m.name() + "' must not use 'out'");
                }
                if (!argTypes.get(k).convertibleTo(first.params()[k])) {
                    return fail(c.args().get(k).expr().pos(), "argument " + (k + 1) + " of '" + m.name() + "' on "
                            + owner + " must be '" + first.params()[k].name() + "' but is '" + argTypes.get(k).name() + "'");
                }
            }
            return fail(m.namePos(), "no overload of '" + m.name() + "' on " + owner + " accepts these arguments");
        }
        if (chosen.generic() && typeArg == null) {
            return fail(m.namePos(), "'" + m.name() + "' needs a type argument, e.g. " + m.name() + "<string>(...)");
        }
        if (!chosen.generic() && typeArg != null) {
            return fail(m.namePos(), "'" + m.name() + "' on " + owner + " is not generic: remove the <...>");
        }
        Type ret = chosen.ret().ret(recv == null ? null : recv.t, argTypes, typeArg);
        if (ret == null) {
            return fail(c.typeArgs().isEmpty() ? m.namePos() : c.typeArgs().get(0).pos(),
                    "'" + m.name() + "' does not support the type argument '" + (typeArg == null ? "?" : typeArg.name()) + "'");
        }
        List<Checked.Expr> an = new ArrayList<>(argc);
        for (int k = 0; k < argc; k++) {
            an.add(k == outIndex ? null : implicit(args.get(k).e, args.get(k).t, chosen.params()[k]));
        }
        int outSlot = -1;
        if (outIndex >= 0) {
            Type outType = chosen.outType();
            if (outArg.outName() != null) {
                Type declared = outArg.outType() == null ? outType : resolveType(outArg.outType());
                if (!outType.convertibleTo(declared)) {
                    return fail(outArg.pos(), "the out variable must be '" + outType.name() + "' but is declared '"
                            + declared.name() + "'");
                }
                outSlot = declare(outArg.outName(), declared, outArg.pos()).slot();
            } else if (((Name) outArg.expr()).name().equals("_") && lookup("_") == null) {
                outSlot = slots++;
            } else {
                Name nm = (Name) outArg.expr();
                Var l = lookup(nm.name());
                if (l == null) {
                    return fail(nm.pos(), "the name '" + nm.name() + "' does not exist in the current context"
                            + (nm.name().equals("var") ? "; to declare an out variable, write 'out var name'" : ""));
                }
                if (!outType.convertibleTo(l.type())) {
                    return fail(nm.pos(), "the out variable must be '" + outType.name() + "' but '" + nm.name()
                            + "' is '" + l.type().name() + "'");
                }
                outSlot = l.slot();
            }
        }
        return new C(new Checked.Invoke(recv == null ? null : recv.e, chosen.inv(), java.util.Collections.unmodifiableList(an),
                outIndex, outSlot, typeArg, nullConditional), ret);
    }
    // ---- lambdas (for Linq)

    /** Checks a one-parameter lambda whose parameter is a {@code paramType}. */
    Checked.Lambda lambda(Expr e, Type paramType) {
        if (!(e instanceof Lambda l)) {
            C v = value(e);
            error(e.pos(), "expected a lambda such as 'x => ...' but found '" + v.t.name() + "'");
            return new Checked.Lambda(0, NULL, Type.ERROR);
        }
        if (l.params().size() != 1) {
            error(l.pos(), "this lambda must take exactly one parameter");
            return new Checked.Lambda(0, NULL, Type.ERROR);
        }
        scopes.push(new HashMap<>());
        int slot = declare(l.params().get(0), paramType, l.pos()).slot();
        Checked.Expr body;
        Type ret;
        if (l.body() != null) {
            C c = value(l.body());
            body = c.e;
            ret = c.t;
        } else {
            List<Type> rets = new ArrayList<>();
            returnTypes.push(rets);
            Checked.Stmt ex = block(l.block(), true);
            returnTypes.pop();
            if (canComplete(l.block())) {
                error(l.block().end(), "not all code paths of the lambda return a value");
            }
            ret = rets.isEmpty() ? Type.ERROR : rets.get(0);
            body = new Checked.BlockValue(ex);
        }
        scopes.pop();
        return new Checked.Lambda(slot, body, ret);
    }

    C valueOf(Expr e) {
        return value(e);
    }

    C failAt(int pos, String msg) {
        return fail(pos, msg);
    }

    // ---- object creation

    private C creation(New n) {
        if (n.array()) {
            Type elem;
            if (n.type() == null) {
                if (n.init() == null || n.init().isEmpty()) {
                    return fail(n.pos(), "'new[]' needs at least one element to infer its type");
                }
                elem = null;
            } else {
                Type arr = resolveType(n.type());
                if (arr == Type.ERROR) {
                    return new C(NULL, Type.ERROR);
                }
                elem = arr.elem();
            }
            List<C> items = new ArrayList<>();
            if (n.init() != null) {
                for (Expr e : n.init()) {
                    items.add(value(e));
                }
            }
            if (elem == null) {
                elem = items.get(0).t;
                for (C it : items) {
                    if (!it.t.convertibleTo(elem)) {
                        elem = it.t.convertibleTo(elem) ? elem : elem.convertibleTo(it.t) ? it.t : Type.OBJECT;
                    }
                }
            }
            Type at = Type.arrayOf(elem);
            List<Checked.Expr> nodes = new ArrayList<>();
            for (int k = 0; k < items.size(); k++) {
                nodes.add(convert(n.init().get(k), items.get(k), elem));
            }
            Checked.Expr sizeNode = null;
            if (n.size() != null) {
                C s = value(n.size());
                if (!s.t.convertibleTo(Type.LONG) || (!s.t.isNumeric() && !s.t.isDynamic())) {
                    return fail(n.size().pos(), "an array size must be an integer but is '" + s.t.name() + "'");
                }
                sizeNode = s.e;
            }
            return new C(new Checked.NewArray(nodes, sizeNode, elem), at);
        }
        Type t = resolveType(n.type());
        if (t == Type.ERROR) {
            for (Expr e : n.args()) {
                value(e);
            }
            return new C(NULL, Type.ERROR);
        }
        C made;
        if (t == lib.tException) {
            made = newException(n);
        } else if (t.isRealList()) {
            made = newList(n, t);
        } else if (t.isDictionary()) {
            made = newDictionary(n, t);
        } else if (t.cls() == java.util.LinkedHashSet.class) {
            made = newSet(n, t);
        } else {
            List<Method> ctors = lib.constructors(t);
            if (ctors.isEmpty()) {
                return fail(n.type().pos(), "type '" + t.name() + "' cannot be created with 'new' in policy expressions");
            }
            List<Arg> args = new ArrayList<>();
            for (Expr e : n.args()) {
                args.add(new Arg(e, false, null, null, e.pos()));
            }
            Call synthetic = new Call(n.pos(), new Name(n.type().pos(), t.name()), List.of(), args, n.pos());
            Member fake = new Member(n.pos(), new Name(n.type().pos(), t.name()), t.name(), n.type().pos(), false, n.pos());
            made = invoke(synthetic, fake, null, ctors, "'" + t.name() + "'", false);
        }
        if (n.init() == null || made.t == Type.ERROR) {
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
            C a = value(n.args().get(0));
            if (a.t.isIntegral()) {
                return collection(Checked.CollectionKind.LIST, null, t);
            }
            if (a.t.isDynamic() || elementType(a.t) != null && elementType(a.t).convertibleTo(t.elem())) {
                return collection(Checked.CollectionKind.LIST_FROM, a.e, t);
            }
            return fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from a capacity or a collection of '"
                    + t.elem().name() + "', not from '" + a.t.name() + "'");
        }
        return fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments, not " + n.args().size());
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
            C a = value(n.args().get(0));
            if (a.t.isDynamic() || elementType(a.t) != null) {
                return collection(Checked.CollectionKind.SET_FROM, a.e, t);
            }
            return fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from a collection, not from '" + a.t.name() + "'");
        }
        return fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments here, not " + n.args().size());
    }

    /** {@code new Dictionary<K, V>()}, with a copy of another dictionary, or with a comparer. */
    private C newDictionary(New n, Type t) {
        if (n.args().isEmpty()) {
            return collection(Checked.CollectionKind.MAP, null, t);
        }
        if (n.args().size() == 1) {
            C a = value(n.args().get(0));
            if (a.t.isDictionary() || a.t.isDynamic()) {
                return collection(Checked.CollectionKind.MAP_COPY, a.e, t);
            }
            if (a.t.name().equals("StringComparer")) {
                return collection(Checked.CollectionKind.MAP_WITH_COMPARER, a.e, t);
            }
            if (a.t.isIntegral()) {
                return collection(Checked.CollectionKind.MAP, null, t);
            }
            return fail(n.args().get(0).pos(), "a '" + t.name() + "' is made from nothing, a capacity, a comparer or another dictionary, not from '" + a.t.name() + "'");
        }
        return fail(n.pos(), "'" + t.name() + "' takes 0 or 1 constructor arguments here, not " + n.args().size());
    }

    /** Object and collection initializers: runs the constructor, then each {@code X = v}, {@code [k] = v} or {@code Add(..)}. */
    private C initialize(New n, C made, Type t) {
        scopes.push(new HashMap<>());
        String tmp = "$init" + (hidden++);
        int slot = declare(tmp, t, n.pos()).slot();
        List<Checked.Expr> steps = new ArrayList<>();
        boolean collection = t.isRealList() || !lib.methods(t, "Add").isEmpty();
        for (Expr item : n.init()) {
            Expr step;
            if (item instanceof Assign a && a.target() instanceof Name nm && a.op().equals("=")) {
                if (lib.setter(t, nm.name()) == null) {
                    error(nm.pos(), "'" + nm.name() + "' on '" + t.name() + "' cannot be set in an object initializer"
                            + (lib.prop(t, nm.name()) == null ? ": it does not exist" : ": it is read only"));
                    continue;
                }
                step = new Assign(a.pos(), "=", a.opPos(), new Member(nm.pos(), new Name(nm.pos(), tmp), nm.name(),
                        nm.pos(), false, nm.pos() + nm.name().length()), a.value());
            } else if (item instanceof Assign a && a.target() instanceof Index ix && ix.target() == null) {
                step = new Assign(a.pos(), a.op(), a.opPos(), new Index(ix.pos(), new Name(ix.pos(), tmp), ix.args(),
                        false, ix.end()), a.value());
            } else if (!collection) {
                error(item.pos(), "type '" + t.name() + "' has no 'Add' method, so it cannot take a collection initializer;"
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
            steps.add(expr(step).e);
        }
        scopes.pop();
        return new C(new Checked.Initialize(made.e, slot, steps), t);
    }

    /** {@code new Exception(message)} and any other {@code *Exception}: a value for {@code throw}. */
    private C newException(New n) {
        String written = n.type().name();
        String dotnet = written.contains(".") ? written : exceptionNamespace(written) + written;
        List<Checked.Expr> args = new ArrayList<>();
        for (Expr e : n.args()) {
            args.add(value(e).e);
        }
        if (args.size() > 2) {
            return fail(n.pos(), "an exception takes at most a message and an inner exception, not " + args.size() + " arguments");
        }
        Checked.Expr msg = args.isEmpty() ? null : args.get(0);
        // ArgumentNullException(string) and ArgumentOutOfRangeException(string) take the parameter name, not a message.
        String paramPrefix = args.size() == 1 && written.endsWith("ArgumentNullException") ? "Value cannot be null."
                : args.size() == 1 && written.endsWith("ArgumentOutOfRangeException") ? "Specified argument was out of the range of valid values."
                : null;
        return new C(new Checked.NewException(dotnet, msg, paramPrefix), lib.tException);
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

    // ---- local functions

    private LocalFn lookupFunction(String name) {
        for (Map<String, Var> s : scopes) {
            Var v = s.get("fn:" + name);
            if (v != null) {
                return functions.get(v.slot());
            }
        }
        return null;
    }

    private final Map<Integer, LocalFn> functions = new HashMap<>();

    private void declareFunction(LocalFunc f) {
        if (scopes.peek().containsKey("fn:" + f.name())) {
            error(f.namePos(), "a local function named '" + f.name() + "' is already defined in this scope");
            return;
        }
        Type ret = f.ret() == null ? Type.VOID : resolveType(f.ret());
        Type[] params = new Type[f.params().size()];
        int[] slotsOf = new int[params.length];
        for (int k = 0; k < params.length; k++) {
            params[k] = resolveType(f.params().get(k).type());
            slotsOf[k] = slots++;
        }
        LocalFn fn = new LocalFn(f.name(), ret, params, slotsOf, slots++);
        int id = functions.size();
        functions.put(id, fn);
        scopes.peek().put("fn:" + f.name(), new Var(id, Type.VOID));
    }

    private Checked.Stmt localFunction(LocalFunc f) {
        LocalFn fn = null;
        Var v = scopes.peek().get("fn:" + f.name());
        if (v != null) {
            fn = functions.get(v.slot());
        }
        if (fn == null || fn.body != null) {
            return new Checked.Nop();
        }
        scopes.push(new HashMap<>());
        for (int k = 0; k < fn.params.length; k++) {
            Param prm = f.params().get(k);
            if (lookup(prm.name()) != null) {
                error(prm.pos(), "a local variable named '" + prm.name() + "' is already defined in this scope");
            }
            scopes.peek().put(prm.name(), new Var(fn.slots[k], fn.params[k]));
        }
        fn.checking = true;
        List<Type> rets = new ArrayList<>();
        rets.add(fn.ret);
        returnTypes.push(rets);
        Deque<Integer> savedCatch = new ArrayDeque<>(catchSlots);
        catchSlots.clear();
        if (f.expr() != null) {
            C c = value(f.expr());
            Checked.Expr n = fn.ret == Type.VOID ? c.e : coerceResult(c, fn.ret, f.expr().pos());
            if (fn.ret != Type.VOID && !c.t.convertibleTo(fn.ret) && c.t != Type.ERROR) {
                error(f.expr().pos(), "local function '" + f.name() + "' returns '" + fn.ret.name() + "' but this is '" + c.t.name() + "'");
            }
            fn.body = n;
        } else {
            Checked.Stmt body = block(f.body(), true);
            if (fn.ret != Type.VOID && canComplete(f.body())) {
                error(f.body().end(), "not all code paths of local function '" + f.name() + "' return a value");
            }
            fn.body = new Checked.BlockValue(body);
        }
        catchSlots.addAll(savedCatch);
        returnTypes.pop();
        fn.checking = false;
        scopes.pop();
        return new Checked.LocalFunction(fn);
    }

    private C callLocal(Call c, Name n, LocalFn fn) {
        if (fn.checking) {
            return fail(n.pos(), "local function '" + fn.name + "' calls itself: recursion is not supported in policy expressions");
        }
        if (c.args().size() != fn.params.length) {
            return fail(n.pos(), "local function '" + fn.name + "' takes " + fn.params.length + " argument"
                    + (fn.params.length == 1 ? "" : "s") + ", not " + c.args().size());
        }
        Checked.Expr[] an = new Checked.Expr[fn.params.length];
        for (int k = 0; k < an.length; k++) {
            Arg a = c.args().get(k);
            if (a.out() || a.expr() instanceof Lambda) {
                return fail(a.pos(), "local function arguments cannot be 'out' or lambdas");
            }
            C v = value(a.expr());
            if (!v.t.convertibleTo(fn.params[k])) {
                return fail(a.expr().pos(), "argument " + (k + 1) + " of '" + fn.name + "' must be '" + fn.params[k].name()
                        + "' but is '" + v.t.name() + "'");
            }
            an[k] = convert(a.expr(), v, fn.params[k]);
        }
        return new C(new Checked.CallLocal(fn, List.of(an)), fn.ret);
    }

    private C nameof(Call c) {
        if (c.args().size() != 1 || c.args().get(0).expr() == null) {
            return fail(c.pos(), "'nameof' takes one name");
        }
        String name = switch (c.args().get(0).expr()) {
            case Name n -> n.name();
            case Member m -> m.name();
            case TypeExpr t -> t.type().name();
            default -> null;
        };
        if (name == null) {
            return fail(c.args().get(0).expr().pos(), "'nameof' needs a name, such as nameof(x) or nameof(x.Member)");
        }
        return new C(new Checked.Const(name), Type.STRING);
    }

    // ---- exceptions

    private Checked.Stmt tryStatement(Try t) {
        Checked.Stmt body = block(t.body(), true);
        List<Checked.Catch> catches = new ArrayList<>();
        for (Catch c : t.catches()) {
            scopes.push(new HashMap<>());
            String type = "Exception";
            if (c.type() != null) {
                Type ct = resolveType(c.type());
                if (ct != lib.tException && ct != Type.ERROR) {
                    error(c.type().pos(), "'" + c.type().name() + "' is not an exception type");
                }
                type = c.type().name();
            }
            int varSlot = c.name() == null ? -1 : declare(c.name(), lib.tException, c.namePos()).slot();
            int rethrowSlot = slots++;
            Checked.Expr filter = c.filter() == null ? null : condition(c.filter());
            catchSlots.push(rethrowSlot);
            Checked.Stmt handler = block(c.body(), true);
            catchSlots.pop();
            scopes.pop();
            catches.add(new Checked.Catch(type, varSlot, rethrowSlot, filter, handler));
        }
        Checked.Stmt fin = t.fin() == null ? null : block(t.fin(), true);
        if (t.fin() != null && !canComplete(t.fin())) {
            error(t.fin().pos(), "control cannot leave the body of a 'finally' clause ('return', 'break' or 'continue')");
        }
        return new Checked.Try(body, catches, fin);
    }

    private Checked.Stmt throwStatement(Throw t) {
        if (t.value() == null) {
            if (catchSlots.isEmpty()) {
                error(t.pos(), "'throw;' without an exception is only allowed inside a 'catch' block");
                return new Checked.Nop();
            }
            return new Checked.Rethrow(catchSlots.peek());
        }
        return new Checked.Throw(thrown(t.value()));
    }

    private Checked.Thrown thrown(Expr e) {
        C c = value(e);
        if (c.t != lib.tException && !c.t.isDynamic() && c.t != Type.NULL) {
            error(e.pos(), "only exceptions can be thrown, e.g. throw new Exception(\"message\"); this is '" + c.t.name() + "'");
        }
        return new Checked.Thrown(c.e);
    }

    private C throwExpression(ThrowExpr t) {
        return new C(new Checked.ThrowExpr(thrown(t.value())), Type.NULL);
    }

    // ---- switch

    private Checked.Stmt switchStatement(Switch sw) {
        C subject = value(sw.subject());
        scopes.push(new HashMap<>());
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
                        error(label.pos(), "the switch has more than one 'default' label");
                    }
                    defaultSection = k;
                    continue;
                }
                ms.add(guarded(pattern(label.pattern(), subject.t), label.guard()));
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
                error(sec.labels().get(0).pos(), "control cannot fall through from one case label to another: end the section with 'break;' or 'return'");
            }
            bodies.add(new Checked.Seq(stmts));
        }
        scopes.pop();
        return new Checked.Switch(subject.e, matchers, bodies, defaultSection);
    }

    /** A pattern with its {@code when} guard, if any. */
    private Checked.Pat guarded(Checked.Pat p, Expr guard) {
        return guard == null ? p : new Checked.GuardPat(p, condition(guard));
    }

    private C switchExpression(SwitchExpr se) {
        C subject = value(se.subject());
        int n = se.arms().size();
        List<Checked.Pat> matchers = new ArrayList<>(n);
        C[] results = new C[n];
        for (int k = 0; k < n; k++) {
            Arm arm = se.arms().get(k);
            scopes.push(new HashMap<>());
            matchers.add(guarded(pattern(arm.pattern(), subject.t), arm.guard()));
            results[k] = value(arm.result());
            scopes.pop();
        }
        Type type = null;
        for (C r : results) {
            if (r.t == Type.NULL || r.t == Type.ERROR) {
                continue;
            }
            boolean all = true;
            for (C o : results) {
                all &= o.t == Type.NULL || o.t == Type.ERROR || o.t.convertibleTo(r.t);
            }
            if (all) {
                type = r.t;
                break;
            }
        }
        if (type == null) {
            boolean anyValue = false;
            for (C r : results) {
                anyValue |= r.t != Type.NULL && r.t != Type.ERROR;
            }
            type = anyValue ? Type.OBJECT : Type.NULL;
        }
        List<Checked.Expr> nodes = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            nodes.add(results[k].t == Type.NULL ? results[k].e : implicit(results[k].e, results[k].t, type));
        }
        return new C(new Checked.SwitchExpr(subject.e, matchers, nodes), type);
    }

    private Checked.Pat pattern(Pattern p, Type subject) {
        return switch (p) {
            case Discard d -> new Checked.AnyPat();
            case NotPat np -> new Checked.NotPat(pattern(np.inner(), subject));
            case AndPat ap -> {
                Checked.Pat a = pattern(ap.left(), subject);
                yield new Checked.AndPat(a, pattern(ap.right(), subject));
            }
            case OrPat op -> {
                Checked.Pat a = pattern(op.left(), subject);
                yield new Checked.OrPat(a, pattern(op.right(), subject));
            }
            case ConstPat cp -> {
                C c = value(cp.value());
                if (c.t == Type.NULL) {
                    yield new Checked.NullPat();
                }
                if (!comparable(subject, c.t)) {
                    error(cp.pos(), "a value of type '" + subject.name() + "' can never match a constant of type '" + c.t.name() + "'");
                }
                yield new Checked.ConstPat(c.e);
            }
            case RelPat rp -> {
                C c = value(rp.value());
                if (!(c.t.isNumeric() || c.t.isDynamic() || c.t == Type.CHAR || c.t.name().equals("DateTime"))) {
                    error(rp.pos(), "a relational pattern '" + rp.op() + "' needs a number, not '" + c.t.name() + "'");
                }
                yield new Checked.RelPat(Operator.binary(rp.op()), c.e);
            }
            case TypePat tp -> {
                Type t = tp.type() == null ? subject : resolveType(tp.type());
                int slot = tp.bind() == null ? -1 : declare(tp.bind(), t, tp.bindPos()).slot();
                yield new Checked.TypePat(t, tp.type() == null, slot);
            }
        };
    }

    private C defaultOf(DefaultOf d) {
        if (d.type() == null) {
            return new C(NULL, Type.NULL);
        }
        Type t = resolveType(d.type());
        return new C(new Checked.Const(Conv.zero(t)), t);
    }

    /** {@code new { a = 1, b }}: built as a JObject, which is how Newtonsoft serializes it. */
    private C anonymous(AnonNew an) {
        int n = an.names().size();
        String[] names = an.names().toArray(String[]::new);
        List<Checked.Expr> values = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < k; j++) {
                if (names[j].equals(names[k])) {
                    error(an.values().get(k).pos(), "an anonymous object cannot have two members named '" + names[k] + "'");
                }
            }
            values.add(value(an.values().get(k)).e);
        }
        return new C(new Checked.Anonymous(List.of(names), values), lib.tJObject);
    }

    /** For {@link Linq}: typed access to the library. */
    Library lib() {
        return lib;
    }

}
