package io.gatehouse.common;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects diagnostics from several files; readers keep going after an error so the user sees
 * every problem at once.
 */
public final class Diagnostics {
    private final List<Diagnostic> items = new ArrayList<>();
    private final Map<String, SourceText> sources = new ConcurrentHashMap<>();

    /** Adds a diagnostic; the same one reported twice (a shared document composed twice) is kept once. */
    public void add(Diagnostic d) {
        if (!items.contains(d)) {
            items.add(d);
        }
    }

    public void addAll(Diagnostics other) {
        items.addAll(other.items);
        sources.putAll(other.sources);
    }

    public void error(String file, int line, int column, String message) {
        add(Diagnostic.error(file, line, column, message));
    }

    public void warning(String file, int line, int column, String message) {
        add(Diagnostic.warning(file, line, column, message));
    }

    /** Remembers a file's text so its diagnostics print with the source line and a caret. */
    public void source(SourceText source) {
        sources.put(source.name(), source);
    }

    public List<Diagnostic> all() {
        return List.copyOf(items);
    }

    public boolean hasErrors() {
        return items.stream().anyMatch(Diagnostic::isError);
    }

    public long errorCount() {
        return items.stream().filter(Diagnostic::isError).count();
    }

    public long warningCount() {
        return items.size() - errorCount();
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** Every diagnostic, in file then position order, each with its source excerpt. */
    public String render() {
        List<Diagnostic> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparing(Diagnostic::file)
                .thenComparingInt(Diagnostic::line)
                .thenComparingInt(Diagnostic::column));
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : sorted) {
            sb.append(d.render(sources.get(d.file()))).append('\n');
        }
        return sb.toString();
    }
}
