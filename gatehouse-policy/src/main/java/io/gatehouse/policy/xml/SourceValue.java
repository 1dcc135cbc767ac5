package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A string read from a policy file (an attribute value or text) that remembers where each of its
 * characters came from, so an error inside an expression, after entity decoding or named-value
 * substitution, still points at the right line and column.
 */
public final class SourceValue {
    /** {@code {{name}}}: APIM's named value names are letters, digits, dots, dashes and underscores. */
    private static final Pattern NAMED_VALUE = Pattern.compile("\\{\\{([A-Za-z0-9._-]+)}}");
    private static final int[] NONE = new int[0];

    private final String text;
    private final int[] offsets; // source offset of each char, plus one extra entry for "end"
    private final LineMap lines;
    /** The text as written, before named values were substituted; null when nothing was. */
    private final String written;
    /** Indexes in {@link #text} of each {@code {{name}}} left as written because no named value has that name. */
    private final int[] unresolved;

    SourceValue(String text, int[] offsets, LineMap lines) {
        this(text, offsets, lines, null, NONE);
    }

    private SourceValue(String text, int[] offsets, LineMap lines, String written, int[] unresolved) {
        this.text = requireNonNull(text, "text");
        this.offsets = offsets;
        this.lines = lines;
        this.written = written;
        this.unresolved = unresolved;
        if (offsets.length != text.length() + 1) {
            throw new IllegalArgumentException("offsets: " + offsets.length + " (expected: " + (text.length() + 1) + ")");
        }
    }

    /**
     * Replaces each {@code {{name}}} that {@code namedValues} knows with its value, as APIM does
     * before it reads a policy: the new characters point at the {@code {{} they replace, and
     * {@link #written()} keeps the text as written for messages (a secret value must never reach
     * one). A name {@code namedValues} does not know stays as written and is listed by
     * {@link #unresolved()}.
     */
    SourceValue substitute(Function<String, String> namedValues) {
        if (text.indexOf("{{") < 0) {
            return this;
        }
        Matcher m = NAMED_VALUE.matcher(text);
        StringBuilder t = new StringBuilder(text.length());
        int[] offs = new int[text.length() + 1];
        int k = 0; // characters written to t (and offs)
        int last = 0; // characters of text copied
        List<Integer> left = new ArrayList<>();
        boolean changed = false;
        while (m.find()) {
            String value = namedValues.apply(m.group(1));
            if (value == null) { // kept as written, copied with what precedes it
                left.add(k + (m.start() - last));
                continue;
            }
            offs = room(offs, k + (m.start() - last) + value.length() + (text.length() - m.end()) + 1);
            t.append(text, last, m.start());
            System.arraycopy(offsets, last, offs, k, m.start() - last);
            k += m.start() - last;
            t.append(value);
            Arrays.fill(offs, k, k + value.length(), offsets[m.start()]);
            k += value.length();
            last = m.end();
            changed = true;
        }
        if (!changed && left.isEmpty()) {
            return this;
        }
        offs = room(offs, k + (text.length() - last) + 1);
        t.append(text, last, text.length());
        System.arraycopy(offsets, last, offs, k, offsets.length - last);
        k += offsets.length - last;
        return new SourceValue(t.toString(), Arrays.copyOf(offs, k), lines, changed ? written() : written,
                left.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int[] room(int[] a, int size) {
        return a.length >= size ? a : Arrays.copyOf(a, Math.max(size, a.length * 2));
    }

    /** The text as written in the file: before named values were substituted, for messages. */
    public String written() {
        return written == null ? text : written;
    }

    /** True if a {@code {{name}}} in this value names no known named value. */
    public boolean hasUnresolved() {
        return unresolved.length > 0;
    }

    /** Each {@code {{name}}} that names no known named value: its name and where it is written. */
    public List<Unresolved> unresolved() {
        List<Unresolved> out = new ArrayList<>(unresolved.length);
        for (int i : unresolved) {
            Matcher m = NAMED_VALUE.matcher(text);
            if (m.find(i) && m.start() == i) {
                out.add(new Unresolved(m.group(1), positionAt(i)));
            }
        }
        return out;
    }

    /**
     * This value with each unknown {@code {{name}}} replaced by as many underscores (a C#
     * identifier inside code, plain text inside a string literal), every position kept, for
     * checking the code around a placeholder; {@code standIns} gets the position of each
     * character replaced.
     */
    public SourceValue withStandIns(java.util.Set<Position> standIns) {
        if (unresolved.length == 0) {
            return this;
        }
        char[] t = text.toCharArray();
        Matcher m = NAMED_VALUE.matcher(text);
        for (int i : unresolved) {
            if (m.find(i) && m.start() == i) {
                for (int k = m.start(); k < m.end(); k++) {
                    t[k] = '_';
                    standIns.add(positionAt(k));
                }
            }
        }
        return new SourceValue(new String(t), offsets, lines, written, NONE);
    }

    /** A {@code {{name}}} with no named value behind it. */
    public record Unresolved(String name, Position position) {
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
        return new SourceValue(text.substring(begin, end), Arrays.copyOfRange(offsets, begin, end + 1), lines,
                written, shift(unresolved, begin, end, -begin));
    }

    /** The indexes in [from, to) moved by {@code by}. */
    private static int[] shift(int[] indexes, int from, int to, int by) {
        if (indexes.length == 0) {
            return NONE;
        }
        return Arrays.stream(indexes).filter(i -> i >= from && i < to).map(i -> i + by).toArray();
    }

    SourceValue concat(SourceValue other) {
        int[] offs = new int[text.length() + other.text.length() + 1];
        System.arraycopy(offsets, 0, offs, 0, text.length());
        System.arraycopy(other.offsets, 0, offs, text.length(), other.offsets.length);
        int[] both = new int[unresolved.length + other.unresolved.length];
        System.arraycopy(unresolved, 0, both, 0, unresolved.length);
        for (int i = 0; i < other.unresolved.length; i++) {
            both[unresolved.length + i] = other.unresolved[i] + text.length();
        }
        return new SourceValue(text + other.text, offs, lines,
                written == null && other.written == null ? null : written() + other.written(), both);
    }

    /** Replaces {@code text[begin, end)} with {@code replacement}; the new characters point at {@code begin}. */
    public SourceValue replace(int begin, int end, String replacement) {
        String t = text.substring(0, begin) + replacement + text.substring(end);
        int[] offs = new int[t.length() + 1];
        System.arraycopy(offsets, 0, offs, 0, begin);
        Arrays.fill(offs, begin, begin + replacement.length(), offsets[begin]);
        System.arraycopy(offsets, end, offs, begin + replacement.length(), offsets.length - end);
        int[] kept = new int[unresolved.length];
        int n = 0;
        for (int i : unresolved) {
            if (i < begin) {
                kept[n++] = i;
            } else if (i >= end) {
                kept[n++] = i + replacement.length() - (end - begin);
            }
        }
        return new SourceValue(t, offs, lines, written, n == 0 ? NONE : Arrays.copyOf(kept, n));
    }

    @Override
    public String toString() {
        return text;
    }
}
