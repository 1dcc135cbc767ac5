package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import java.util.Arrays;

import static java.util.Objects.requireNonNull;

/**
 * A string read from a policy file (an attribute value or text) that remembers where each of its
 * characters came from, so an error inside an expression, after entity decoding or named-value
 * substitution, still points at the right line and column.
 */
public final class SourceValue {
    private final String text;
    private final int[] offsets; // source offset of each char, plus one extra entry for "end"
    private final LineMap lines;

    SourceValue(String text, int[] offsets, LineMap lines) {
        this.text = requireNonNull(text, "text");
        this.offsets = offsets;
        this.lines = lines;
        if (offsets.length != text.length() + 1) {
            throw new IllegalArgumentException("offsets: " + offsets.length + " (expected: " + (text.length() + 1) + ")");
        }
    }

    /** A value with no source file behind it (built-in documents, tests). */
    public static SourceValue synthetic(String text, Position at) {
        int[] offs = new int[text.length() + 1];
        return new SourceValue(text, offs, LineMap.fixed(at));
    }

    public String text() {
        return text;
    }

    public Position start() {
        return positionAt(0);
    }

    /** Where the character at {@code index} of {@link #text()} was written. */
    public Position positionAt(int index) {
        int i = Math.max(0, Math.min(index, offsets.length - 1));
        return lines.position(offsets[i]);
    }

    /** This value with leading and trailing whitespace removed, positions kept. */
    public SourceValue strip() {
        int b = 0;
        int e = text.length();
        while (b < e && Character.isWhitespace(text.charAt(b))) {
            b++;
        }
        while (e > b && Character.isWhitespace(text.charAt(e - 1))) {
            e--;
        }
        return sub(b, e);
    }

    public SourceValue sub(int begin, int end) {
        if (begin == 0 && end == text.length()) {
            return this;
        }
        return new SourceValue(text.substring(begin, end), Arrays.copyOfRange(offsets, begin, end + 1), lines);
    }

    SourceValue concat(SourceValue other) {
        int[] offs = new int[text.length() + other.text.length() + 1];
        System.arraycopy(offsets, 0, offs, 0, text.length());
        System.arraycopy(other.offsets, 0, offs, text.length(), other.offsets.length);
        return new SourceValue(text + other.text, offs, lines);
    }

    /** Replaces {@code text[begin, end)} with {@code replacement}; the new characters point at {@code begin}. */
    public SourceValue replace(int begin, int end, String replacement) {
        String t = text.substring(0, begin) + replacement + text.substring(end);
        int[] offs = new int[t.length() + 1];
        System.arraycopy(offsets, 0, offs, 0, begin);
        Arrays.fill(offs, begin, begin + replacement.length(), offsets[begin]);
        System.arraycopy(offsets, end, offs, begin + replacement.length(), offsets.length - end);
        return new SourceValue(t, offs, lines);
    }

    @Override
    public String toString() {
        return text;
    }
}
