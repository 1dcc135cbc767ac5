package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;

/** Argument casts and errors shared by the library registrations ({@code Ns*}), imported statically. */
final class Args {
    private Args() {
    }

    static String s(Object o) {
        return (String) o;
    }

    static double d(Object o) {
        return Ops.asDouble(o);
    }

    static int i(Object o) {
        return Ops.asInt(o);
    }

    static int n(Object[] a) {
        return a.length;
    }

    static StringBuilder sb(Object o) {
        return (StringBuilder) o;
    }

    /** A {@code System.FormatException}. */
    static ExpressionException format(String msg) {
        return new ExpressionException("System.FormatException", msg);
    }
}
