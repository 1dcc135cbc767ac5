package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Template text with the position in the policy file of each character, so a syntax error inside
 * {@code <set-body template="liquid">} names the line and column where the user wrote it.
 */
public final class LiquidSource {
    private final String text;
    private final List<Position> positions;
    private final Position fallback;

    private LiquidSource(String text, List<Position> positions, Position fallback) {
        this.text = text;
        this.positions = positions;
        this.fallback = fallback;
    }

    public String text() {
        return text;
    }

    /** Where the character at {@code index} was written (the end maps to the last character). */
    public Position positionAt(int index) {
        if (positions.isEmpty()) {
            return fallback;
        }
        return positions.get(Math.max(0, Math.min(index, positions.size() - 1)));
    }

    /** Appends text and positions one character at a time. */
    public static final class Builder {
        private final StringBuilder text = new StringBuilder();
        private final List<Position> positions = new ArrayList<>();
        private final Position fallback;

        public Builder(Position fallback) {
            this.fallback = requireNonNull(fallback, "fallback");
        }

        public Builder append(char c, Position at) {
            text.append(c);
            positions.add(at);
            return this;
        }

        /** Appends generated text (markup re-serialized from XML): every character points at {@code at}. */
        public Builder append(String s, Position at) {
            for (int i = 0; i < s.length(); i++) {
                append(s.charAt(i), at);
            }
            return this;
        }

        public LiquidSource build() {
            return new LiquidSource(text.toString(), List.copyOf(positions), fallback);
        }
    }
}
