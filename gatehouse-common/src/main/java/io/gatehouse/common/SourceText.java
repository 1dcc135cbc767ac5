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

    public SourceText(String name, String text) {
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

    public int lineCount() {
        return lines.size();
    }
}
