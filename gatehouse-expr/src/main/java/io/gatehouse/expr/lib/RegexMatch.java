package io.gatehouse.expr.lib;

import java.util.List;

/** .NET {@code Match} / {@code Group}: Success, Value, Index, Length, and Groups for a match. */
public record RegexMatch(boolean success, String value, int index, int length, List<RegexMatch> groups,
        List<String> groupNames) {
    public static final RegexMatch EMPTY = new RegexMatch(false, "", 0, 0, List.of(), List.of());

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
