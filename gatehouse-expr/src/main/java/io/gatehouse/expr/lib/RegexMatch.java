package io.gatehouse.expr.lib;

import java.util.List;

/** .NET {@code Match} / {@code Group}: Success, Value, Index, Length, and Groups for a match. */
public record RegexMatch(boolean success, String value, int index, int length, List<RegexMatch> groups,
        List<String> groupNames, String input, java.util.function.Supplier<List<RegexMatch>> captureSource) {
    public static final RegexMatch EMPTY = new RegexMatch(false, "", 0, 0, List.of(), List.of());

    /** A match that keeps its input text; its Captures is itself. */
    public RegexMatch(boolean success, String value, int index, int length, List<RegexMatch> groups, List<String> groupNames,
            String input) {
        this(success, value, index, length, groups, groupNames, input, null);
    }

    /**
     * {@code Captures}: none for a group that did not match; else every capture the group made (worked out when first
     * asked), or the one capture when no source was given.
     */
    public List<RegexMatch> captures() {
        if (!success) {
            return List.of();
        }
        if (captureSource == null) {
            return List.of(new RegexMatch(true, value, index, length, List.of(), List.of()));
        }
        return captureSource.get();
    }

    /** A group, or a match whose input text is not kept. */
    public RegexMatch(boolean success, String value, int index, int length, List<RegexMatch> groups, List<String> groupNames) {
        this(success, value, index, length, groups, groupNames, null);
    }

    /**
     * {@code Match.Result(replacement)}: the replacement pattern expanded for this match ({@code $n},
     * {@code ${name}}, {@code $$}, {@code $&}, {@code $`}, {@code $'}, {@code $+}, {@code $_}), as .NET's
     * substitutions define them; a {@code $} that starts none of these stays as it is.
     */
    public String result(String replacement) {
        StringBuilder out = new StringBuilder();
        int k = 0;
        while (k < replacement.length()) {
            char c = replacement.charAt(k);
            if (c != '$' || k + 1 >= replacement.length()) {
                out.append(c);
                k++;
                continue;
            }
            char d = replacement.charAt(k + 1);
            String text = input == null ? value : input;
            if (d == '$') {
                out.append('$');
                k += 2;
            } else if (d == '&') {
                out.append(value);
                k += 2;
            } else if (d == '`') {
                out.append(text, 0, Math.min(index, text.length()));
                k += 2;
            } else if (d == '\'') {
                out.append(text.substring(Math.min(index + length, text.length())));
                k += 2;
            } else if (d == '+') {
                out.append(groups.size() > 1 ? groups.get(groups.size() - 1).value() : "");
                k += 2;
            } else if (d == '_') {
                out.append(text);
                k += 2;
            } else if (d == '{') {
                int end = replacement.indexOf('}', k + 2);
                String name = end < 0 ? null : replacement.substring(k + 2, end);
                if (name != null && groupNames.contains(name)) {
                    out.append(group(name).value());
                    k = end + 1;
                } else {
                    out.append(c);
                    k++;
                }
            } else if (Character.isDigit(d)) {
                // the longest run of digits that names a group, as .NET reads $10 when group 10 exists
                int e = k + 1;
                while (e < replacement.length() && Character.isDigit(replacement.charAt(e))) {
                    e++;
                }
                int use = -1;
                for (int end = e; end > k + 1; end--) {
                    String digits = replacement.substring(k + 1, end);
                    if (digits.length() < 10 && Integer.parseInt(digits) < groups.size()) {
                        use = end;
                        break;
                    }
                }
                if (use < 0) {
                    out.append(c);
                    k++;
                } else {
                    out.append(group(Integer.parseInt(replacement.substring(k + 1, use))).value());
                    k = use;
                }
            } else {
                out.append(c);
                k++;
            }
        }
        return out.toString();
    }

    /** Groups[n]: an unsuccessful empty group when out of range, as .NET returns. */
    public RegexMatch group(int n) {
        return n >= 0 && n < groups.size() ? groups.get(n) : new RegexMatch(false, "", 0, 0, List.of(), List.of());
    }

    public RegexMatch group(String name) {
        int i = groupNames.indexOf(name);
        if (i < 0) {
            try {
                return group(Integer.parseInt(name));
            } catch (NumberFormatException e) {
                return new RegexMatch(false, "", 0, 0, List.of(), List.of());
            }
        }
        return group(i);
    }

    @Override
    public String toString() {
        return value;
    }
}
