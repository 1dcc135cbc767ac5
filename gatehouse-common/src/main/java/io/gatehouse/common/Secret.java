package io.gatehouse.common;

import java.util.Arrays;

/**
 * A password or other secret from the config. Its {@link #toString()} never shows the value, so
 * a secret that reaches a log line, an exception message or a trace prints as {@code ******}.
 */
public final class Secret {
    private final char[] value;

    private Secret(char[] value) {
        this.value = value;
    }

    public static Secret of(String value) {
        return value == null ? null : new Secret(value.toCharArray());
    }

    /** The secret itself: pass it straight to the API that needs it, never to a log. */
    public char[] reveal() {
        return value.clone();
    }

    public String revealString() {
        return new String(value);
    }

    public boolean isEmpty() {
        return value.length == 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret s && Arrays.equals(value, s.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "******";
    }
}
