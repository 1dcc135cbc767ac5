package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.TimeSpan;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;

import static io.gatehouse.expr.internal.Ops.asDouble;
import static io.gatehouse.expr.internal.Ops.asInt;
import static io.gatehouse.expr.internal.Ops.asLong;
import static io.gatehouse.expr.internal.Ops.kind;

/**
 * C#'s prefix operators {@code ! - + ~}, each with its run-time behaviour on a value of any type
 * (a {@code dynamic} operand), as C#'s dynamic binder does it. The checker types them; the
 * planner calls {@link #apply} for {@code -} and {@code ~} (and plans {@code !} and {@code +}
 * directly, as a truth test and a conversion).
 */
public enum PrefixOperator {
    NOT("!") {
        @Override
        public Object apply(Object v) {
            return !Ops.truth(v);
        }
    },
    NEGATE("-") {
        @Override
        public Object apply(Object v) {
            return switch (kind(v)) {
                case 0 -> -asInt(v);
                case 1 -> -asLong(v);
                case 2 -> -asDouble(v);
                case 3 -> ((BigDecimal) v).negate();
                default -> {
                    if (v instanceof TimeSpan t) {
                        yield t.negate();
                    }
                    throw badOperand(v);
                }
            };
        }
    },
    /** Unary plus: a number as it is, promoted to int from char and byte as C# does. */
    PLUS("+") {
        @Override
        public Object apply(Object v) {
            return switch (kind(v)) {
                case 0 -> asInt(v);
                case 1, 2, 3 -> v;
                default -> throw badOperand(v);
            };
        }
    },
    COMPLEMENT("~") {
        @Override
        public Object apply(Object v) {
            return switch (kind(v)) {
                case 0 -> ~asInt(v);
                case 1 -> ~asLong(v);
                default -> throw badOperand(v);
            };
        }
    };

    private static final Map<String, PrefixOperator> BY_SYMBOL = new HashMap<>();

    static {
        for (PrefixOperator o : values()) {
            BY_SYMBOL.put(o.symbol, o);
        }
    }

    private final String symbol;

    PrefixOperator(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    /** The prefix operator written {@code symbol}, or null. */
    public static PrefixOperator of(String symbol) {
        return BY_SYMBOL.get(symbol);
    }

    /** This operator on a value of any run-time type. */
    public abstract Object apply(Object v);

    final ExpressionException badOperand(Object v) {
        return new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                "Operator '" + symbol + "' cannot be applied to operand of type '" + Dotnet.typeName(v) + "'");
    }
}
