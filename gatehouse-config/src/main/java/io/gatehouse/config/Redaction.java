package io.gatehouse.config;

import io.gatehouse.common.SourceText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Blanks literal secrets (passwords, secret named values, the user info of a URL) out of the
 * config text kept for diagnostics, so that a source excerpt under an error never shows one. Each
 * secret shows as {@link #MASK} whatever its length, so the excerpt does not tell the length
 * either; the {@link SourceText.Replacement}s let a caret after a secret on the same line still
 * land under its column. A secret over several lines shows one mask per line. Values that are
 * only {@code ${env:...}} or {@code ${file:...}} references stay visible: they name the secret
 * without revealing it.
 */
final class Redaction {
    /** What every secret shows as. */
    static final String MASK = "******";
    private static final Pattern ONLY_REFERENCES = Pattern.compile("(\\$\\{[^}]*\\})+");

    private Redaction() {
    }

    /** A secret inside one line: {@code length} characters from a 1-based column. */
    record Span(int line, int column, int length) {
    }

    static SourceText redact(String name, String text, List<YamlNode.Scalar> secrets, List<Span> spans) {
        if (secrets.isEmpty() && spans.isEmpty()) {
            return new SourceText(name, text);
        }
        String[] lines = text.split("\n", -1);
        Map<Integer, List<int[]>> ranges = new TreeMap<>(); // 0-based line -> [from, to) in the file's columns
        for (Span span : spans) {
            if (span.line() >= 1 && span.line() <= lines.length) {
                add(ranges, span.line() - 1, span.column() - 1, span.column() - 1 + span.length());
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
                add(ranges, l - 1, from, to);
            }
        }
        List<SourceText.Replacement> replacements = new ArrayList<>();
        for (Map.Entry<Integer, List<int[]>> e : ranges.entrySet()) {
            int l = e.getKey();
            String line = lines[l];
            List<int[]> merged = merge(e.getValue(), line.length());
            StringBuilder sb = new StringBuilder(line);
            for (int k = merged.size() - 1; k >= 0; k--) { // from the right, so earlier columns stay put
                int from = merged.get(k)[0];
                int to = merged.get(k)[1];
                while (from < to && Character.isWhitespace(line.charAt(from))) {
                    from++;
                }
                while (to > from && Character.isWhitespace(line.charAt(to - 1))) {
                    to--;
                }
                if (from < to) {
                    sb.replace(from, to, MASK);
                    replacements.add(new SourceText.Replacement(l + 1, from + 1, to - from, MASK.length()));
                }
            }
            lines[l] = sb.toString();
        }
        return new SourceText(name, String.join("\n", lines), replacements);
    }

    private static void add(Map<Integer, List<int[]>> ranges, int line, int from, int to) {
        if (from < to) {
            ranges.computeIfAbsent(line, k -> new ArrayList<>()).add(new int[] {from, to});
        }
    }

    /** The ranges clipped to the line, sorted, overlapping or touching ones joined. */
    private static List<int[]> merge(List<int[]> ranges, int length) {
        List<int[]> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingInt(r -> r[0]));
        List<int[]> out = new ArrayList<>();
        for (int[] r : sorted) {
            int from = Math.max(0, Math.min(r[0], length));
            int to = Math.max(from, Math.min(r[1], length));
            if (from == to) {
                continue;
            }
            if (!out.isEmpty() && from <= out.get(out.size() - 1)[1]) {
                out.get(out.size() - 1)[1] = Math.max(out.get(out.size() - 1)[1], to);
            } else {
                out.add(new int[] {from, to});
            }
        }
        return out;
    }
}
