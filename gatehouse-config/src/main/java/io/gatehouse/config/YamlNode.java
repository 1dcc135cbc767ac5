package io.gatehouse.config;

import io.gatehouse.common.Position;
import java.util.List;

/**
 * The config file as a tree that remembers where every key and value came from. Both YAML and
 * JSON read into this shape, so checks never care which syntax the user chose.
 */
sealed interface YamlNode {

    Position position();

    /** A word for error messages: "a text value", "a mapping", "a list". */
    String describe();

    /**
     * A scalar value.
     *
     * @param value the text, or null for YAML null ({@code key:} with nothing after it, {@code ~})
     * @param quoted whether the user quoted it (a quoted value is always text)
     * @param plainSingleLine whether columns inside the value map one-to-one onto the source
     * @param endLine 1-based line where the value ends (used to redact secrets in excerpts)
     * @param endColumn 1-based column just after the value
     */
    record Scalar(String value, boolean quoted, boolean plainSingleLine, Position position, int endLine, int endColumn)
            implements YamlNode {
        public boolean isNull() {
            return value == null;
        }

        @Override
        public String describe() {
            return isNull() ? "nothing" : "a value";
        }
    }

    /** A mapping, in source order; duplicate keys are reported by the parser and the last one kept out. */
    record Mapping(List<Entry> entries, Position position) implements YamlNode {
        public Mapping {
            entries = List.copyOf(entries);
        }

        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** One {@code key: value} pair of a mapping. */
    record Entry(Scalar key, YamlNode value) {
    }

    /** A list. */
    record Sequence(List<YamlNode> items, Position position) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }

        @Override
        public String describe() {
            return "a list";
        }
    }
}
