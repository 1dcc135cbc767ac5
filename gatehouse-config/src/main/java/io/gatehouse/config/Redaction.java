package io.gatehouse.config;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Blanks literal secrets (passwords, secret named values) out of the config text kept for
 * diagnostics, so that a source excerpt under an error never shows one. Values that are only
 * {@code ${env:...}} or {@code ${file:...}} references stay visible: they name the secret
 * without revealing it.
 */
final class Redaction {
    private static final Pattern ONLY_REFERENCES = Pattern.compile("(\\$\\{[^}]*\\})+");

    private Redaction() {
    }

    /** A secret inside one line: {@code length} characters from a 1-based column. */
    record Span(int line, int column, int length) {
    }

    static String redact(String text, List<YamlNode.Scalar> secrets, List<Span> spans) {
        if (secrets.isEmpty() && spans.isEmpty()) {
            return text;
        }
        String[] lines = text.split("\n", -1);
        for (Span span : spans) {
            if (span.line() >= 1 && span.line() <= lines.length) {
                lines[span.line() - 1] = mask(lines[span.line() - 1], span.column() - 1, span.column() - 1 + span.length());
            }
        }
        for (YamlNode.Scalar s : secrets) {
            if (s.value() == null || ONLY_REFERENCES.matcher(s.value().trim()).matches()) {
                continue;
            }
            int startLine = s.position().line();
            int endLine = Math.max(s.endLine(), startLine);
            for (int l = startLine; l <= endLine && l <= lines.length; l++) {
                String line = lines[l - 1];
                int from = l == startLine ? Math.max(s.position().column() - 1, 0) : 0;
                int to = l == endLine && s.endLine() > 0 ? Math.min(s.endColumn() - 1, line.length()) : line.length();
                if (from >= to || from >= line.length()) {
                    continue;
                }
                lines[l - 1] = mask(line, from, to);
            }
        }
        return String.join("\n", lines);
    }

    private static String mask(String line, int from, int to) {
        StringBuilder sb = new StringBuilder(line);
        for (int i = Math.max(from, 0); i < Math.min(to, sb.length()); i++) {
            if (!Character.isWhitespace(sb.charAt(i))) {
                sb.setCharAt(i, '*');
            }
        }
        return sb.toString();
    }
}
