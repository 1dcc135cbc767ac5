package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.RegexFlags;
import io.gatehouse.expr.lib.DotnetEnums.RegexOptions;
import io.gatehouse.expr.lib.TimeSpan;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BinaryOperator;

import static io.gatehouse.expr.internal.Ops.asDecimal;
import static io.gatehouse.expr.internal.Ops.asDouble;
import static io.gatehouse.expr.internal.Ops.asInt;
import static io.gatehouse.expr.internal.Ops.asLong;
import static io.gatehouse.expr.internal.Ops.kind;

/**
 * C#'s binary operators, each with its symbol and run-time behaviour following C# and .NET. The
 * checker maps a symbol to its constant once; {@link #resolve(Type, Type)} then picks, from the
 * operands' static types, the implementation the planner wires into the closure tree. Evaluation
 * never looks at a symbol: a dynamic operand runs {@link #apply(Object, Object)}, which dispatches
 * on the values' numeric kind to this constant's {@code ints}, {@code longs}, {@code doubles} or
 * {@code decimals}.
 *
 * <p>{@code &&}, {@code ||} and {@code ??} short-circuit: the planner builds them as control flow,
 * and their {@link #apply(Object, Object)} gives what they compute once both values are known.
 * The prefix operators ({@code ! - + ~}) are {@link PrefixOperator}.
 */
public enum Operator {
    ADD("+") {
        @Override
        Planner.Node intNode(Planner.Node l, Planner.Node r) {
            return env -> asInt(l.eval(env)) + asInt(r.eval(env));
        }

        @Override
        public Object apply(Object a, Object b) {
            if (a instanceof String || b instanceof String) {
                return Ops.concat(a, b);
            }
            if (a instanceof DateTime d && b instanceof TimeSpan t) {
                return d.add(t);
            }
            if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
                return x.add(y);
            }
            return arith(a, b);
        }

        @Override
        Object ints(int x, int y) {
            return x + y;
        }

        @Override
        Object longs(long x, long y) {
            return x + y;
        }

        @Override
        Object doubles(double x, double y) {
            return x + y;
        }

        @Override
        Object decimals(BigDecimal x, BigDecimal y) {
            return checkDecimal(x.add(y));
        }
    },
    SUB("-") {
        @Override
        Planner.Node intNode(Planner.Node l, Planner.Node r) {
            return env -> asInt(l.eval(env)) - asInt(r.eval(env));
        }

        @Override
        public Object apply(Object a, Object b) {
            if (a instanceof DateTime x && b instanceof DateTime y) {
                return x.subtract(y);
            }
            if (a instanceof DateTime x && b instanceof TimeSpan y) {
                return x.subtract(y);
            }
            if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
                return x.subtract(y);
            }
            return arith(a, b);
        }

        @Override
        Object ints(int x, int y) {
            return x - y;
        }

        @Override
        Object longs(long x, long y) {
            return x - y;
        }

        @Override
        Object doubles(double x, double y) {
            return x - y;
        }

        @Override
        Object decimals(BigDecimal x, BigDecimal y) {
            return checkDecimal(x.subtract(y));
        }
    },
    MUL("*") {
        @Override
        Planner.Node intNode(Planner.Node l, Planner.Node r) {
            return env -> asInt(l.eval(env)) * asInt(r.eval(env));
        }

        @Override
        Object ints(int x, int y) {
            return x * y;
        }

        @Override
        Object longs(long x, long y) {
            return x * y;
        }

        @Override
        Object doubles(double x, double y) {
            return x * y;
        }

        @Override
        Object decimals(BigDecimal x, BigDecimal y) {
            return checkDecimal(x.multiply(y, DEC));
        }
    },
    DIV("/") {
        @Override
        Object ints(int x, int y) {
            return x / nonZero(y);
        }

        @Override
        Object longs(long x, long y) {
            return x / nonZero(y);
        }

        @Override
        Object doubles(double x, double y) {
            return x / y;
        }

        @Override
        Object decimals(BigDecimal x, BigDecimal y) {
            BigDecimal q = x.divide(nonZero(y), DEC);
            return q.scale() > 0 ? stripTo(q, Math.max(x.scale(), 0)) : q;
        }
    },
    REM("%") {
        @Override
        Object ints(int x, int y) {
            return x % nonZero(y);
        }

        @Override
        Object longs(long x, long y) {
            return x % nonZero(y);
        }

        @Override
        Object doubles(double x, double y) {
            return x % y;
        }

        @Override
        Object decimals(BigDecimal x, BigDecimal y) {
            return x.remainder(nonZero(y));
        }
    },
    AND("&") {
        @Override
        void combine(Set<RegexOptions> out, Set<RegexOptions> other) {
            out.retainAll(other);
        }

        @Override
        Object ints(int x, int y) {
            return x & y;
        }

        @Override
        Object longs(long x, long y) {
            return x & y;
        }
    },
    OR("|") {
        @Override
        void combine(Set<RegexOptions> out, Set<RegexOptions> other) {
            out.addAll(other);
        }

        @Override
        Object ints(int x, int y) {
            return x | y;
        }

        @Override
        Object longs(long x, long y) {
            return x | y;
        }
    },
    XOR("^") {
        @Override
        void combine(Set<RegexOptions> out, Set<RegexOptions> other) {
            for (RegexOptions o : other) {
                if (!out.remove(o)) {
                    out.add(o);
                }
            }
        }

        @Override
        Object ints(int x, int y) {
            return x ^ y;
        }

        @Override
        Object longs(long x, long y) {
            return x ^ y;
        }
    },
    SHL("<<") {
        @Override
        Object ints(int x, int y) {
            return x << y;
        }

        @Override
        Object longs(long x, long y) {
            return x << y;
        }
    },
    SHR(">>") {
        @Override
        Object ints(int x, int y) {
            return x >> y;
        }

        @Override
        Object longs(long x, long y) {
            return x >> y;
        }
    },
    LT("<") {
        @Override
        boolean test(int c) {
            return c < 0;
        }

        @Override
        boolean test(double x, double y) {
            return x < y;
        }
    },
    GT(">") {
        @Override
        boolean test(int c) {
            return c > 0;
        }

        @Override
        boolean test(double x, double y) {
            return x > y;
        }
    },
    LE("<=") {
        @Override
        boolean test(int c) {
            return c <= 0;
        }

        @Override
        boolean test(double x, double y) {
            return x <= y;
        }
    },
    GE(">=") {
        @Override
        boolean test(int c) {
            return c >= 0;
        }

        @Override
        boolean test(double x, double y) {
            return x >= y;
        }
    },
    EQ("==") {
        @Override
        public Object apply(Object a, Object b) {
            return Ops.equal(a, b);
        }
    },
    NE("!=") {
        @Override
        public Object apply(Object a, Object b) {
            return !Ops.equal(a, b);
        }
    },
    /** {@code &&} on two values already computed; the planner short-circuits it (the right side may not run). */
    CONDITIONAL_AND("&&") {
        @Override
        public Object apply(Object a, Object b) {
            return Ops.truth(a) && Ops.truth(b);
        }
    },
    /** {@code ||} on two values already computed; the planner short-circuits it. */
    CONDITIONAL_OR("||") {
        @Override
        public Object apply(Object a, Object b) {
            return Ops.truth(a) || Ops.truth(b);
        }
    },
    /** {@code ??} on two values already computed; the planner evaluates the right side only for null. */
    COALESCE("??") {
        @Override
        public Object apply(Object a, Object b) {
            return a != null ? a : b;
        }
    };

    /**
     * A binary operator's implementation for operands of known static types: what it computes on
     * two values, and the closure the planner uses to compute it on two planned operands. The hot
     * implementations bring closures of their own, so that each closure calls one known method
     * the JIT can inline rather than an implementation shared by every operator.
     */
    @FunctionalInterface
    public interface Impl {
        Object apply(Object a, Object b);

        default Planner.Node node(Planner.Node l, Planner.Node r) {
            return env -> apply(l.eval(env), r.eval(env));
        }
    }

    /** An implementation whose closure is made by {@code node}. */
    private static Impl impl(Impl apply, BinaryOperator<Planner.Node> node) {
        return new Impl() {
            @Override
            public Object apply(Object a, Object b) {
                return apply.apply(a, b);
            }

            @Override
            public Planner.Node node(Planner.Node l, Planner.Node r) {
                return node.apply(l, r);
            }
        };
    }

    /** String concatenation: {@code +} with a string operand. */
    public static final Impl CONCAT = impl(Ops::concat, (l, r) -> env -> Ops.concat(l.eval(env), r.eval(env)));
    private static final Impl EQUALS = impl((a, b) -> Ops.equal(a, b), (l, r) -> env -> Ops.equal(l.eval(env), r.eval(env)));
    private static final Impl NOT_EQUALS = impl((a, b) -> !Ops.equal(a, b), (l, r) -> env -> !Ops.equal(l.eval(env), r.eval(env)));
    private static final Impl STRING_EQUALS = impl((a, b) -> Objects.equals(a, b),
            (l, r) -> env -> Objects.equals(l.eval(env), r.eval(env)));
    private static final Impl STRING_NOT_EQUALS = impl((a, b) -> !Objects.equals(a, b),
            (l, r) -> env -> !Objects.equals(l.eval(env), r.eval(env)));

    private static final MathContext DEC = new MathContext(28, RoundingMode.HALF_EVEN);
    private static final Map<String, Operator> BINARY = new HashMap<>();

    static {
        for (Operator o : values()) {
            BINARY.put(o.symbol, o);
        }
    }

    private final String symbol;

    Operator(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    /** The binary operator written {@code symbol}, or null. */
    public static Operator binary(String symbol) {
        return BINARY.get(symbol);
    }

    public boolean isArithmetic() {
        return this == ADD || this == SUB || this == MUL || this == DIV || this == REM;
    }

    public boolean isBitwise() {
        return this == AND || this == OR || this == XOR;
    }

    public boolean isShift() {
        return this == SHL || this == SHR;
    }

    public boolean isRelational() {
        return this == LT || this == GT || this == LE || this == GE;
    }

    /**
     * This operator on values of any run-time type, as C#'s dynamic binder does it. Bitwise, shift
     * and relational operators dispatch on the operands' kind here, arithmetic ones in
     * {@link #arith}; equality and the three conditional operators override this method.
     */
    public Object apply(Object a, Object b) {
        if (isBitwise()) {
            return bitwise(a, b);
        }
        if (isShift()) {
            return shift(a, b);
        }
        if (isRelational()) {
            return compare(a, b);
        }
        return arith(a, b);
    }

    /**
     * The implementation for operands of static types {@code l} and {@code r}: a fast path for the
     * common exact run-time classes that falls back to {@link #apply(Object, Object)} for anything
     * else, so the result is always the dynamic one.
     */
    public Impl resolve(Type l, Type r) {
        if (this == ADD && (l == Type.STRING || r == Type.STRING)) {
            return CONCAT;
        }
        if (this == EQ || this == NE) {
            boolean strings = l == Type.STRING && r == Type.STRING;
            return this == EQ ? (strings ? STRING_EQUALS : EQUALS) : (strings ? STRING_NOT_EQUALS : NOT_EQUALS);
        }
        if (rank(l, r) == 0 && (this == ADD || this == SUB || this == MUL)) {
            // int op int: C#'s int arithmetic, no run-time type test (a null operand is a NullReferenceException)
            return impl((a, b) -> ints(asInt(a), asInt(b)), this::intNode);
        }
        return guarded(l, r);
    }

    /**
     * Like {@link #resolve(Type, Type)}, but every fast path tests the values' classes and otherwise
     * runs {@link #apply(Object, Object)}: for compound assignment, whose operands C# lifts.
     */
    public Impl guarded(Type l, Type r) {
        int rank = rank(l, r);
        if (isRelational()) {
            if (rank == 0) {
                return impl((a, b) -> a instanceof Integer x && b instanceof Integer y ? test(Integer.compare(x, y)) : compare(a, b),
                        (ln, rn) -> env -> {
                            Object a = ln.eval(env);
                            Object b = rn.eval(env);
                            return a instanceof Integer x && b instanceof Integer y ? test(Integer.compare(x, y)) : compare(a, b);
                        });
            }
            if (rank == 2) {
                return impl((a, b) -> a instanceof Double x && b instanceof Double y ? test(x, y) : compare(a, b),
                        (ln, rn) -> env -> {
                            Object a = ln.eval(env);
                            Object b = rn.eval(env);
                            return a instanceof Double x && b instanceof Double y ? test(x, y) : compare(a, b);
                        });
            }
            return impl(this::compare, (ln, rn) -> env -> compare(ln.eval(env), rn.eval(env)));
        }
        if (rank == 0 && (isArithmetic() || isBitwise() || isShift())) {
            return impl(this::guardedInts, (ln, rn) -> env -> guardedInts(ln.eval(env), rn.eval(env)));
        }
        if (rank == 1 && isArithmetic()) {
            return impl(this::guardedLongs, (ln, rn) -> env -> guardedLongs(ln.eval(env), rn.eval(env)));
        }
        if (rank == 2 && isArithmetic()) {
            return impl(this::guardedDoubles, (ln, rn) -> env -> guardedDoubles(ln.eval(env), rn.eval(env)));
        }
        return impl(this::apply, (ln, rn) -> env -> apply(ln.eval(env), rn.eval(env)));
    }

    /** int op int without a type test beyond the values' classes; anything else as {@link #apply}. */
    private Object guardedInts(Object a, Object b) {
        return a instanceof Integer x && b instanceof Integer y ? ints(x, y) : apply(a, b);
    }

    /** long op long, or long with int (promoted, as {@link #arith} does); anything else as {@link #apply}. */
    private Object guardedLongs(Object a, Object b) {
        if (a instanceof Long ? b instanceof Long || b instanceof Integer : a instanceof Integer && b instanceof Long) {
            return longs(((Number) a).longValue(), ((Number) b).longValue());
        }
        return apply(a, b);
    }

    /** double op double, or double with int or long (promoted); anything else as {@link #apply}. */
    private Object guardedDoubles(Object a, Object b) {
        if (a instanceof Double ? b instanceof Double || b instanceof Integer || b instanceof Long
                : (a instanceof Integer || a instanceof Long) && b instanceof Double) {
            return doubles(((Number) a).doubleValue(), ((Number) b).doubleValue());
        }
        return apply(a, b);
    }

    private static int rank(Type l, Type r) {
        return l.isDynamic() || r.isDynamic() || !l.isNumeric() || !r.isNumeric() ? -1 : Math.max(l.rank(), r.rank());
    }

    // ---- per-kind behaviour, overridden by the constants that have it

    /** int op int as a closure of this constant's own (ADD, SUB, MUL). */
    Planner.Node intNode(Planner.Node l, Planner.Node r) {
        throw new IllegalStateException(symbol);
    }

    Object ints(int x, int y) {
        throw new IllegalStateException(symbol);
    }

    Object longs(long x, long y) {
        throw new IllegalStateException(symbol);
    }

    Object doubles(double x, double y) {
        throw new IllegalStateException(symbol);
    }

    Object decimals(BigDecimal x, BigDecimal y) {
        throw new IllegalStateException(symbol);
    }

    /** Relational: the outcome for a comparison result {@code c} (negative, zero, positive). */
    boolean test(int c) {
        throw new IllegalStateException(symbol);
    }

    /** Relational on doubles, where NaN compares false. */
    boolean test(double x, double y) {
        throw new IllegalStateException(symbol);
    }

    /** Bitwise on RegexOptions flags: combines {@code other} into {@code out}. */
    void combine(Set<RegexOptions> out, Set<RegexOptions> other) {
        throw new IllegalStateException(symbol);
    }

    // ---- the dynamic dispatch shared by the constants

    /** Arithmetic on numbers: promotes to the wider kind; a null operand (lifted operator) gives null. */
    final Object arith(Object a, Object b) {
        int ka = kind(a);
        int kb = kind(b);
        if (ka < 0 || kb < 0) {
            if (a == null || b == null) {
                return null;
            }
            throw badOperands(a, b);
        }
        return switch (Math.max(ka, kb)) {
            case 0 -> ints(asInt(a), asInt(b));
            case 1 -> longs(asLong(a), asLong(b));
            case 2 -> doubles(asDouble(a), asDouble(b));
            default -> decimals(asDecimal(a), asDecimal(b));
        };
    }

    private Object bitwise(Object a, Object b) {
        Set<RegexOptions> fa = flags(a);
        Set<RegexOptions> fb = flags(b);
        if (fa != null && fb != null) {
            EnumSet<RegexOptions> out = EnumSet.noneOf(RegexOptions.class);
            out.addAll(fa);
            combine(out, fb);
            return new RegexFlags(out);
        }
        if (a instanceof Boolean x && b instanceof Boolean y) {
            return (Integer) ints(x ? 1 : 0, y ? 1 : 0) != 0;
        }
        int ka = kind(a);
        int kb = kind(b);
        if (ka < 0 || kb < 0 || ka > 1 || kb > 1) {
            throw badOperands(a, b);
        }
        return Math.max(ka, kb) == 0 ? ints(asInt(a), asInt(b)) : longs(asLong(a), asLong(b));
    }

    private Object shift(Object a, Object b) {
        int ka = kind(a);
        if (ka < 0 || ka > 1 || kind(b) != 0) {
            throw badOperands(a, b);
        }
        int n = asInt(b);
        return ka == 0 ? ints(asInt(a), n) : longs(asLong(a), n);
    }

    /** C# relational operators; a null operand makes the result false (lifted operators). */
    public final boolean compare(Object a, Object b) {
        if (a == null || b == null) {
            return false;
        }
        int c;
        int ka = kind(a);
        int kb = kind(b);
        if (ka >= 0 && kb >= 0) {
            int k = Math.max(ka, kb);
            if (k == 2) {
                return test(asDouble(a), asDouble(b));
            }
            c = switch (k) {
                case 0 -> Integer.compare(asInt(a), asInt(b));
                case 1 -> Long.compare(asLong(a), asLong(b));
                default -> asDecimal(a).compareTo(asDecimal(b));
            };
        } else if (a instanceof DateTime x && b instanceof DateTime y) {
            c = x.compareTo(y);
        } else if (a instanceof TimeSpan x && b instanceof TimeSpan y) {
            c = x.compareTo(y);
        } else {
            throw badOperands(a, b);
        }
        return test(c);
    }

    private static Set<RegexOptions> flags(Object v) {
        if (v instanceof RegexOptions o) {
            return o == RegexOptions.None ? Set.of() : Set.of(o);
        }
        if (v instanceof RegexFlags f) {
            return f.options();
        }
        return null;
    }

    private static int nonZero(int y) {
        if (y == 0) {
            throw Ops.divideByZero();
        }
        return y;
    }

    private static long nonZero(long y) {
        if (y == 0) {
            throw Ops.divideByZero();
        }
        return y;
    }

    private static BigDecimal nonZero(BigDecimal y) {
        if (y.signum() == 0) {
            throw Ops.divideByZero();
        }
        return y;
    }

    private static BigDecimal checkDecimal(BigDecimal d) {
        if (d.precision() - d.scale() > 29) {
            throw new ExpressionException("System.OverflowException", "Value was either too large or too small for a Decimal.");
        }
        return d;
    }

    private static BigDecimal stripTo(BigDecimal q, int minScale) {
        BigDecimal s = q.stripTrailingZeros();
        return s.scale() < minScale ? s.setScale(minScale) : s;
    }

    final ExpressionException badOperands(Object a, Object b) {
        return new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                "Operator '" + symbol + "' cannot be applied to operands of type '" + Dotnet.typeName(a) + "' and '"
                        + Dotnet.typeName(b) + "'");
    }
}
