package io.gatehouse.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** The text of one input file, split into lines, for printing diagnostics with a caret. */
public final class SourceText {
    private final String name;
    private final String text;
    private final List<String> lines;
    private final List<Replacement> replacements;

    /**
     * A span of one line that the text shown differs from the file in, such as a secret shown as a
     * fixed {@code ******} whatever its length: columns after it move by the difference.
     *
     * @param line 1-based line
     * @param column 1-based column of the span in the file
     * @param fileLength the span's length in the file
     * @param shownLength its length in the text shown
     */
    public record Replacement(int line, int column, int fileLength, int shownLength) {
    }

    public SourceText(String name, String text) {
        this(name, text, List.of());
    }

    /**
     * Text shown in place of the file's, with the replacements that made it from the file's own
     * (non-overlapping), so that a caret still lands under the file's column.
     */
    public SourceText(String name, String text, List<Replacement> replacements) {
        this.replacements = List.copyOf(replacements);
        this.name = requireNonNull(name, "name");
        this.text = requireNonNull(text, "text");
        List<String> ls = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                ls.add(stripCr(text.substring(start, i)));
                start = i + 1;
            }
        }
        ls.add(stripCr(text.substring(start)));
        this.lines = List.copyOf(ls);
    }

    public static SourceText read(Path file, String displayName) {
        try {
            return new SourceText(displayName, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    public String name() {
        return name;
    }

    public String text() {
        return text;
    }

    /** The 1-based line, or null when out of range. */
    public String line(int line) {
        return line >= 1 && line <= lines.size() ? lines.get(line - 1) : null;
    }

    /**
     * Where a column of the file is in {@link #line}: the same unless a replacement earlier on the
     * line changed length; a column inside a replacement is its first.
     */
    public int shownColumn(int line, int column) {
        int shift = 0;
        for (Replacement r : replacements) {
            if (r.line() != line) {
                continue;
            }
            if (column >= r.column() + r.fileLength()) {
                shift += r.shownLength() - r.fileLength();
            } else if (column > r.column()) {
                shift += r.column() - column;
            }
        }
        return Math.max(1, column + shift);
    }

    public int lineCount() {
        return lines.size();
    }
}
