package io.gatehouse.common;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Collects diagnostics from several files; readers keep going after an error so the user sees
 * every problem at once.
 */
public final class Diagnostics {
    private final List<Diagnostic> items = new ArrayList<>();
    /** The same as {@code items}, to find a repeat in constant time: a hostile document can give tens of thousands. */
    private final Set<Diagnostic> seen = new HashSet<>();
    private final Map<String, SourceText> sources = new ConcurrentHashMap<>();
    /** Texts no message may show (secret named values), replaced by {@link #CONCEALED}. */
    private Set<String> concealed = Set.of();

    /** What a concealed text becomes in a message. */
    public static final String CONCEALED = "[secret]";

    /**
     * From now on, every message added has each of {@code texts} replaced by {@code [secret]}:
     * a secret named value substituted into a policy never reaches a diagnostic, whatever quotes it.
     */
    public void conceal(Set<String> texts) {
        Set<String> all = new HashSet<>(concealed);
        for (String t : texts) {
            if (t != null && !t.isEmpty()) {
                all.add(t);
            }
        }
        concealed = Set.copyOf(all);
    }

    /** Adds a diagnostic; the same one reported twice (a shared document composed twice) is kept once. */
    public void add(Diagnostic d) {
        if (!concealed.isEmpty()) {
            String m = d.message();
            for (String t : concealed) {
                m = m.replace(t, CONCEALED);
            }
            if (!m.equals(d.message())) {
                d = new Diagnostic(d.severity(), d.file(), d.line(), d.column(), m);
            }
        }
        if (seen.add(d)) {
            items.add(d);
        }
    }

    public void addAll(Diagnostics other) {
        for (Diagnostic d : other.items) {
            add(d);
        }
        sources.putAll(other.sources);
    }

    public void error(String file, int line, int column, String message) {
        add(Diagnostic.error(file, line, column, message));
    }

    public void warning(String file, int line, int column, String message) {
        add(Diagnostic.warning(file, line, column, message));
    }

    /**
     * Reports a failure that is not the user's mistake but a reader's or checker's own, so that
     * one document cannot stop a load, a reload or a check: {@code internal error while loading
     * FILE: what happened}. A {@link StackOverflowError} or {@link OutOfMemoryError} from hostile
     * input counts too; other JVM failures ({@link VirtualMachineError}s such as
     * {@link InternalError}) are rethrown, as the process cannot trust its own state after them.
     */
    public void internalError(String file, Throwable failure) {
        if (failure instanceof VirtualMachineError vme && !(vme instanceof StackOverflowError) && !(vme instanceof OutOfMemoryError)) {
            throw vme;
        }
        add(Diagnostic.error(file, 0, 0, internalErrorMessage(file, failure)));
    }

    /** The message of {@link #internalError}: names the file and the failure, and what to do. */
    public static String internalErrorMessage(String file, Throwable failure) {
        String what = failure instanceof StackOverflowError ? "StackOverflowError (the document nests or chains too deeply for the reader)"
                : failure instanceof OutOfMemoryError ? "OutOfMemoryError (the document is too large for the memory available)"
                : failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        return "internal error while loading " + file + ": " + what + "; the document was not loaded (please report this)";
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
