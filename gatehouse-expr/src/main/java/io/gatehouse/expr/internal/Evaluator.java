package io.gatehouse.expr.internal;

import io.gatehouse.common.Position;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.expr.ExprLimits;
import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.context.PolicyContext;

import static java.util.Objects.requireNonNull;

/**
 * A compiled expression: the closure tree plus what it needs to run. Every failure while it runs
 * leaves as an {@link ExpressionException} with .NET's wording.
 */
public final class Evaluator implements CompiledExpression {
    private final String source;
    private final Position origin;
    private final Planner.Node node;
    private final int slots;
    private final boolean readsRequestBody;
    private final boolean readsResponseBody;
    private final long maxIterations;
    private final long maxNanos;

    public Evaluator(String source, Position origin, Planner.Node node, int slots, boolean readsRequestBody,
            boolean readsResponseBody, ExprLimits limits) {
        this.source = source;
        this.origin = origin;
        this.node = node;
        this.slots = slots;
        this.readsRequestBody = readsRequestBody;
        this.readsResponseBody = readsResponseBody;
        this.maxIterations = limits.maxLoopIterations();
        this.maxNanos = limits.maxEvaluationTime().toNanos();
    }

    /** The offset of a syntax error, or null when e is not one. */
    public static Integer syntaxOffset(RuntimeException e) {
        return e instanceof SyntaxError s ? s.offset : null;
    }

    @Override
    public Object evaluate(PolicyContext context) {
        requireNonNull(context, "context");
        Env env = new Env(context, slots, maxIterations, maxNanos);
        Env previous = Env.current();
        env.enter();
        try {
            return node.eval(env);
        } catch (ExpressionException e) {
            throw e;
        } catch (NullPointerException e) {
            throw ExpressionException.nullReference();
        } catch (ClassCastException e) {
            throw ExpressionException.invalidCast();
        } catch (ArithmeticException e) {
            throw new ExpressionException("System.OverflowException", "Arithmetic operation resulted in an overflow.", e);
        } catch (IndexOutOfBoundsException e) {
            throw new ExpressionException("System.IndexOutOfRangeException", "Index was outside the bounds of the array.", e);
        } catch (NumberFormatException e) {
            throw ExpressionException.format();
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentException", String.valueOf(e.getMessage()), e);
        } catch (StackOverflowError e) {
            throw new ExpressionException("System.InsufficientExecutionStackException",
                    "Insufficient stack to continue executing the program safely.");
        } catch (OutOfMemoryError e) {
            throw new ExpressionException("System.OutOfMemoryException",
                    "Insufficient memory to continue the execution of the program.");
        } catch (RuntimeException e) {
            throw new ExpressionException("System.Exception", String.valueOf(e.getMessage()), e);
        } finally {
            if (previous != null) {
                previous.enter();
            } else {
                Env.exit();
            }
        }
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public Position origin() {
        return origin;
    }

    @Override
    public boolean readsRequestBody() {
        return readsRequestBody;
    }

    @Override
    public boolean readsResponseBody() {
        return readsResponseBody;
    }

    @Override
    public String toString() {
        return "CompiledExpression[" + origin + "]";
    }
}
