package io.gatehouse.common;

import static java.util.Objects.requireNonNull;

/** Where a value came from in a user's file: the file as named and a 1-based line and column. */
public record Position(String file, int line, int column) {
    public Position {
        requireNonNull(file, "file");
    }

    public static Position unknown(String file) {
        return new Position(file, 0, 0);
    }

    public Diagnostic error(String message) {
        return Diagnostic.error(file, line, column, message);
    }

    public Diagnostic warning(String message) {
        return Diagnostic.warning(file, line, column, message);
    }

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
