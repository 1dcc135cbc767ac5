package io.gatehouse.expr.internal;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.internal.Ast.*;
import io.gatehouse.expr.internal.Members.Prop;

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

    static final Checked.Expr NULL = new Checked.Const(null);

    record Var(int slot, Type type) {
    }

    final StatementChecker statements = new StatementChecker(this);
    final CallChecker calls = new CallChecker(this);

    static final Set<String> NAMESPACES = Set.of("System", "System.Text", "System.Linq",
            "System.Collections", "System.Collections.Generic", "System.Text.RegularExpressions", "System.Security",
            "System.Security.Cryptography", "System.Security.Cryptography.X509Certificates", "Newtonsoft",
            "Newtonsoft.Json", "Newtonsoft.Json.Linq", "System.Net", "System.Globalization");
    static final Set<String> FORBIDDEN = Set.of("File", "Directory", "Environment", "Process", "Thread",
            "Task", "Activator", "AppDomain", "Assembly", "Type", "HttpClient", "WebClient", "WebRequest", "Console",
            "GC", "Marshal", "Socket", "TcpClient", "Path", "Stream", "FileStream", "Reflection", "IO", "Diagnostics",
            "Threading", "Runtime");

    private final String src;
    private final Position origin;
    /** Where each offset of the source is written, when it is not counted from {@link #origin}; or null. */
    private final java.util.function.IntFunction<Position> positions;
    private final Diagnostics diags;
    final Library lib = Library.INSTANCE;
    final Deque<Map<String, Var>> scopes = new ArrayDeque<>();
    int slots;
    private int errors;
    boolean readsRequestBody;
    boolean readsResponseBody;

    public Checker(String src, Position origin, Diagnostics diags) {
        this(src, origin, null, diags);
    }

    /** With where each offset of {@code src} is written (null: counted from {@code origin}). */
    public Checker(String src, Position origin, java.util.function.IntFunction<Position> positions, Diagnostics diags) {
        this.src = src;
        this.origin = origin;
        this.positions = positions;
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
        if (positions != null && origin.line() != 0) {
            Position at = positions.apply(Math.max(0, Math.min(offset, src.length())));
            diags.error(at.file(), at.line(), at.column(), message);
            return;
        }
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

    C fail(int offset, String message) {
        error(offset, message);
        return new C(NULL, Type.ERROR);
    }

    String describe(Expr e) {
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

    String describe(Expr e, Type t) {
        String d = describe(e);
        return d != null ? "'" + d + "'" : "type '" + t.name() + "'";
    }

    // ---- entry points

    /** Checks a statement block; every path must return a value convertible to expected. */
    public Checked.Expr checkBlock(Block b, Type expected) {
        return statements.checkBlock(b, expected);
    }

    /** Checks an expression whose value must convert to {@code expected}. */
    public Checked.Expr checkExpression(Expr e, Type expected) {
        C c = expr(e);
        return coerceResult(c, expected, e.pos());
    }


    Checked.Expr coerceResult(C c, Type expected, int pos) {
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

    Var lookup(String name) {
        for (Map<String, Var> s : scopes) {
            Var l = s.get(name);
            if (l != null) {
                return l;
            }
        }
        return null;
    }

    Var declare(String name, Type type, int pos) {
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

    /** Numeric widening of a checked value, when the types differ. */
    static Checked.Expr implicit(Checked.Expr e, Type from, Type to) {
        if (from == to || !to.isNumeric() || !from.isNumeric() || from == Type.ERROR) {
            return e;
        }
        return new Checked.Implicit(e, from, to);
    }

    Checked.Expr condition(Expr e) {
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
            Type set = Type.hashSetOf(elem);
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
    C value(Expr e) {
        C c = expr(e);
        if (c.staticOf != null) {
            return fail(e.pos(), "'" + c.staticOf + "' is a type, not a value");
        }
        return c;
    }

    /** Like {@link #convert(C, Type, int)}, but also allows C#'s constant conversions (an int literal to byte or char). */
    Checked.Expr convert(Expr e, C c, Type to) {
        if (e instanceof DefaultOf d && d.type() == null) {
            return new Checked.Const(Conv.zero(to));
        }
        if ((to == Type.BYTE || to == Type.CHAR) && c.t == Type.INT && e instanceof Lit l && l.value() instanceof Integer v
                && v >= 0 && v <= (to == Type.BYTE ? 255 : 65535)) {
            return new Checked.Const(to == Type.BYTE ? (Object) v : (Object) (char) (int) v);
        }
        return convert(c, to, e.pos());
    }

    Checked.Expr convert(C c, Type to, int pos) {
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
            case Call c -> calls.call(c);
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
            case New n -> calls.creation(n);
            case TypeExpr t -> typeRef(t);
            case InitList il -> fail(il.pos(), "an element initializer '{ ... }' is only allowed inside a collection initializer");
            case AnonNew an -> anonymous(an);
            case SwitchExpr se -> switchExpression(se);
            case DefaultOf d -> defaultOf(d);
            case ThrowExpr t -> statements.throwExpression(t);
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

    C name(Name n) {
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
    C receiver(Expr e) {
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
            String apim = NsApim.notProvided(tt.name(), m.name());
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
        } else if (tt.isGrouping() && m.name().equals("Key")) {
            pt = tt.key();
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
        switch (PrefixOperator.of(u.op())) {
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
                return new C(new Checked.UnaryOp(PrefixOperator.NEGATE, n), t == Type.CHAR || t == Type.BYTE ? Type.INT : t);
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
                return new C(new Checked.UnaryOp(PrefixOperator.COMPLEMENT, n), t == Type.LONG ? Type.LONG : t.isDynamic() ? t : Type.INT);
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
        if ((op == Operator.EQ || op == Operator.NE) && (l.t == lib.tXName && r.t == Type.STRING || l.t == Type.STRING && r.t == lib.tXName)) {
            // XName's implicit conversion from string: e.Name == "b" compares names (namespace and local name)
            l = l.t == Type.STRING ? new C(new Checked.ToXName(l.e, true), lib.tXName) : l;
            r = r.t == Type.STRING ? new C(new Checked.ToXName(r.e, true), lib.tXName) : r;
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
                Operator.Impl impl = t == Type.STRING ? Operator.CONCAT : op.resolve(lt, rt);
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
                || (lib.isJToken(to) && (from.isNumeric() || from == Type.STRING || from == Type.BOOL))
                || ((from == lib.tXElement || from.name().equals("XAttribute")) && (to == Type.STRING || to == Type.BOOL || to.isNumeric()));
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
                Operator.Impl impl = t == Type.STRING ? Operator.CONCAT : bop.guarded(current.t, rhs.t);
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

    /** Checks a one-parameter lambda whose parameter is a {@code paramType}. */
    Checked.Lambda lambda(Expr e, Type paramType) {
        return statements.lambda(e, paramType);
    }

    Checked.Lambda lambda(Expr e, Type... paramTypes) {
        return statements.lambda(e, paramTypes);
    }

    Type elementTypeOf(Type t) {
        return elementType(t);
    }

    C valueOf(Expr e) {
        return value(e);
    }

    C failAt(int pos, String msg) {
        return fail(pos, msg);
    }

    /** A pattern with its {@code when} guard, if any. */
    Checked.Pat guarded(Checked.Pat p, Expr guard) {
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

    Checked.Pat pattern(Pattern p, Type subject) {
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

    /** For {@link NsSystemLinq}: typed access to the library. */
    Library lib() {
        return lib;
    }

}
