package io.gatehouse.common;

/**
 * Makes text safe to write into a log line: characters that a terminal or a log reader would act
 * on instead of showing are written as escapes, so a request path, a header name or a config
 * value cannot colour the terminal ({@code ESC [31m}), move the cursor, or start a forged log
 * line ({@code \r\n2026-01-01T00:00:00Z INFO ...}).
 *
 * <p>Escaped: the C0 controls (U+0000 to U+001F, so tab, CR and LF too), DEL (U+007F) and the C1
 * controls (U+0080 to U+009F) as {@code \xHH}, except tab, CR and LF as {@code \t}, {@code \r},
 * {@code \n}; the line and paragraph separators (U+2028, U+2029), the bidirectional embeddings,
 * overrides and isolates (U+202A to U+202E, U+2066 to U+2069) and the marks U+200E, U+200F,
 * U+061C, which can reorder what a reader sees, as {@code \}{@code uHHHH}. A backslash is left as
 * it is, so paths stay readable; an escape in the output is therefore not proof of a control
 * character in the input.
 */
public final class LogText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogText() {
    }

    /** True for the characters {@link #escape} rewrites. */
    public static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
                || c == '\u200e' || c == '\u200f' || c == '\u061c';
    }

    /** The text with every character {@link #needsEscape} rewritten; the same instance when there is none. */
    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        int i = 0;
        int n = text.length();
        while (i < n && !needsEscape(text.charAt(i))) {
            i++;
        }
        if (i == n) {
            return text;
        }
        StringBuilder sb = new StringBuilder(n + 16).append(text, 0, i);
        for (; i < n; i++) {
            char c = text.charAt(i);
            if (!needsEscape(c)) {
                sb.append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c <= 0xff) {
                sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                sb.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf]).append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }
}
