package io.gatehouse.policy.spi;

import io.gatehouse.common.Position;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.expr.ExpressionException;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;

/**
 * An attribute or text value that is either a constant or a policy expression compiled at load.
 * {@link #get} evaluates per request; an expression that throws becomes a 500
 * {@code ExpressionValueEvaluationFailure} attributed to the policy.
 */
public final class Value<T> {
    private final T constant;
    private final CompiledExpression expression;
    private final Class<T> type;
    private final String policy;
    /** For a placeholder: the value as written (with its unknown {@code {{name}}}); else null. */
    private final String placeholder;

    private Value(T constant, CompiledExpression expression, Class<T> type, String policy) {
        this(constant, expression, type, policy, null);
    }

    private Value(T constant, CompiledExpression expression, Class<T> type, String policy, String placeholder) {
        this.constant = constant;
        this.expression = expression;
        this.type = type;
        this.policy = policy;
        this.placeholder = placeholder;
    }

    /**
     * A value with a named value nobody defined ({@code gatehouse policy check} without a
     * config): neither a constant nor an expression, known only when the policy runs, so load-time
     * checks of its constant skip it as they skip an expression. It never runs: a gateway loads no
     * document with an unknown named value.
     */
    public static <T> Value<T> placeholder(String written, String policy) {
        return new Value<>(null, null, null, policy, written);
    }

    public static <T> Value<T> constant(T value) {
        return new Value<>(value, null, null, null);
    }

    public static <T> Value<T> expression(CompiledExpression e, Class<T> type, String policy) {
        return new Value<>(null, e, type, policy);
    }

    public boolean isConstant() {
        return expression == null && placeholder == null;
    }

    /** True for a {@link #placeholder}. */
    public boolean isPlaceholder() {
        return placeholder != null;
    }

    /** The constant, or null for an expression. */
    public T constant() {
        return constant;
    }

    /** The compiled expression, or null for a constant or a placeholder. */
    public CompiledExpression expression() {
        return expression;
    }

    public T get(Exchange exchange) {
        if (expression == null) {
            if (placeholder != null) {
                throw new GatewayException(500, policy, GatewayException.EXPRESSION_FAILURE,
                        "a named value in '" + placeholder + "' is not defined", null);
            }
            return constant;
        }
        Object v;
        try {
            v = expression.evaluate(exchange.context());
        } catch (ExpressionException e) {
            throw failure(expression.origin(), policy, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw failure(expression.origin(), policy, e.toString(), e);
        }
        return convert(v);
    }

    @SuppressWarnings("unchecked")
    private T convert(Object v) {
        if (v == null || type == Object.class || type.isInstance(v)) {
            return (T) v;
        }
        if (type == String.class) {
            return (T) io.gatehouse.expr.lib.Dotnet.toStr(v);
        }
        if (type == Integer.class && v instanceof Number num) {
            return (T) Integer.valueOf(num.intValue());
        }
        if (type == Boolean.class && v instanceof String s) {
            return (T) Boolean.valueOf(s.equalsIgnoreCase("true"));
        }
        throw failure(expression.origin(), policy,
                "expression returned " + v.getClass().getSimpleName() + " (expected: " + type.getSimpleName() + ")", null);
    }

    static GatewayException failure(Position origin, String policy, String message, Throwable cause) {
        return new GatewayException(500, policy, GatewayException.EXPRESSION_FAILURE,
                "Expression evaluation failed. " + message + " (expression at " + origin + ")", cause);
    }

    @Override
    public String toString() {
        // constants may be secrets (a PFX password): never print them
        return placeholder != null ? placeholder : expression == null ? "<constant>" : expression.source();
    }
}
