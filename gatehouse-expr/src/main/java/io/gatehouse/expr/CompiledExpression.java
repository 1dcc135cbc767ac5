package io.gatehouse.expr;

import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;

/** A policy expression checked and compiled once at load; evaluate it per request, from any thread. */
public interface CompiledExpression {
    /**
     * Evaluates against one request's context. A runtime failure (exception in user code, null
     * dereference, bad cast, a limit exceeded) throws {@link ExpressionException} whose message reads
     * like .NET's, e.g. "Object reference not set to an instance of an object."
     */
    Object evaluate(PolicyContext context);

    /** The expression exactly as written, starting with {@code @(} or {@code @{}. */
    String source();

    /** File and 1-based line/column of the leading '@'. */
    Position origin();

    /** True if the expression touches {@code context.Request.Body}: the proxy must buffer the request body. */
    boolean readsRequestBody();

    /** True if the expression touches {@code context.Response.Body}. */
    boolean readsResponseBody();
}
