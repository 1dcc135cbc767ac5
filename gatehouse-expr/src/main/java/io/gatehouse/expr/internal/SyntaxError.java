package io.gatehouse.expr.internal;

/** Thrown inside the lexer and parser to stop at the first syntax error; carries the offset. */
final class SyntaxError extends RuntimeException {
    final int offset;

    SyntaxError(int offset, String message) {
        super(message, null, false, false);
        this.offset = offset;
    }
}
