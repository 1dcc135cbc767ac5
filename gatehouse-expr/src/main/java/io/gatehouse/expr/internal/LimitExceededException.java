package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;

/**
 * A limit on an evaluation was exceeded (loop iterations, time, string size). Unlike the other
 * failures a {@code catch} in the expression cannot swallow it: the limit protects the gateway, not
 * the expression.
 */
final class LimitExceededException extends ExpressionException {
    LimitExceededException(String dotNetType, String message) {
        super(dotNetType, message);
    }
}
