package io.gatehouse.common;

import static java.util.Objects.requireNonNull;

/**
 * One problem found in a user's input: a config file, a policy document or an expression.
 *
 * <p>Every reader in Gatehouse reports through this one type so that all problems print the
 * same way: {@code path/to/file.xml:12:34: error: unknown member 'Certifcate' on
 * 'context.Request'}, followed by the offending source line and a caret.
 *
 * @param severity error or warning
 * @param file the file as the user named it (or a pseudo-name such as {@code <inline>})
 * @param line 1-based line, 0 when unknown
 * @param column 1-based column, 0 when unknown
 * @param message what is wrong and, where possible, what was expected
 */
public record Diagnostic(Severity severity, String file, int line, int column, String message) {

    /** Characters of a source line shown under a diagnostic; a longer line is cut around the column. */
    public static final int MAX_EXCERPT = 500;

    public enum Severity {
        ERROR, WARNING;

        public String label() {
            return this == ERROR ? "error" : "warning";
        }
    }

    public Diagnostic {
        requireNonNull(severity, "severity");
        requireNonNull(file, "file");
        requireNonNull(message, "message");
        if (line < 0 || column < 0) {
            throw new IllegalArgumentException("line/column: " + line + ":" + column + " (expected: >= 0)");
        }
    }

    public static Diagnostic error(String file, int line, int column, String message) {
        return new Diagnostic(Severity.ERROR, file, line, column, message);
    }

    public static Diagnostic warning(String file, int line, int column, String message) {
        return new Diagnostic(Severity.WARNING, file, line, column, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line:col: error: message}, without the source excerpt. */
    public String headline() {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
            if (column > 0) {
                sb.append(':').append(column);
            }
        }
        return sb.append(": ").append(severity.label()).append(": ").append(message).toString();
    }

    /**
     * The headline, then the source line and a caret under the column when the source is
     * known; of a line longer than {@link #MAX_EXCERPT} characters, only that many around the
     * column, with {@code ...} where it was cut. Control characters are escaped ({@link LogText}):
     * the rendering goes to a terminal or a log.
     */
    public String render(SourceText source) {
        String headline = LogText.escape(headline());
        if (source == null || line <= 0) {
            return headline;
        }
        String text = source.line(line);
        if (text == null) {
            return headline;
        }
        int caret = column > 0 ? source.shownColumn(line, column) : 0;
        if (text.length() > MAX_EXCERPT) {
            // a long line (a minified document, or a hostile one) shows only the part around the column
            int at = Math.max(0, Math.min(caret - 1, text.length()));
            int from = Math.max(0, Math.min(at - MAX_EXCERPT / 2, text.length() - MAX_EXCERPT));
            int to = from + MAX_EXCERPT;
            String before = from > 0 ? "..." : "";
            text = before + text.substring(from, to) + (to < text.length() ? "..." : "");
            caret = caret > 0 ? at - from + 1 + before.length() : 0;
        }
        // control characters in the file (an ESC, a CR) are shown escaped, and the caret follows
        StringBuilder shown = new StringBuilder(text.length());
        StringBuilder under = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String piece = c == '\t' ? "\t" : LogText.escape(String.valueOf(c));
            shown.append(piece);
            if (i < caret - 1) {
                under.append(c == '\t' ? "\t" : " ".repeat(piece.length()));
            }
        }
        StringBuilder sb = new StringBuilder(headline).append('\n').append("  ").append(shown);
        if (caret > 0) {
            sb.append('\n').append("  ").append(under).append('^');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return headline();
    }
}
