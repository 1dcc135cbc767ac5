package io.gatehouse.expr.internal;

/**
 * One lexical token. {@code start}/{@code end} are offsets into the whole expression text.
 *
 * @param kind what sort of token
 * @param text the identifier or operator as written (or the literal's source)
 * @param value a literal's value: Integer, Long, Double, BigDecimal, String, Character; for
 *     INTERPOLATED a {@code List<Object>} of String pieces and {@link Hole}s
 */
public record Token(Kind kind, String text, Object value, int start, int end) {
    public enum Kind { IDENT, NUMBER, STRING, CHAR, INTERPOLATED, OP, EOF }

    /** One {@code {expr,align:format}} of an interpolated string, with the offset of expr. */
    public record Hole(String expr, int offset, String align, String format) {
    }

    public boolean is(String op) {
        return (kind == Kind.OP || kind == Kind.IDENT) && text.equals(op);
    }
}
