package io.gatehouse.proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An operation's URL template, such as {@code /patients/{id}} or {@code /files/*}, compiled once
 * at load. A {@code {param}} segment matches exactly one non-empty path segment; a segment that
 * mixes text and parameters, such as {@code {name}.json} or {@code {name}.{ext}}, matches a
 * segment with that text around non-empty parameter values: each parameter but the last ends at
 * the first place the text after it follows (so {@code a.b.json} gives name {@code a} and ext
 * {@code b.json}), found in one pass without backtracking;
 * a trailing {@code *} matches the rest of the path (including nothing).
 */
final class UrlTemplate {
    private final String text;
    private final String[] segments;   // literal text, or null for a parameter
    private final String[] paramNames; // parameter name at the same index, or null
    private final String[][] mixed;      // for a segment of text and parameters, its texts (one more than names), else null
    private final String[][] mixedNames; // the parameter names of that segment, in order
    private final boolean trailingWildcard;
    private final int literalCount;

    private UrlTemplate(String text, String[] segments, String[] paramNames, String[][] mixed, String[][] mixedNames,
                        boolean trailingWildcard) {
        this.text = text;
        this.segments = segments;
        this.paramNames = paramNames;
        this.mixed = mixed;
        this.mixedNames = mixedNames;
        this.trailingWildcard = trailingWildcard;
        int literals = 0;
        for (int i = 0; i < segments.length; i++) {
            if (segments[i] != null || mixed[i] != null) {
                literals++; // a segment with text of its own is more specific than a bare parameter
            }
        }
        this.literalCount = literals;
    }

    /** Compiles a template; the config loader has already checked its syntax. */
    static UrlTemplate compile(String template) {
        String t = template == null || template.isEmpty() ? "/*" : template;
        List<String> segs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String[]> patterns = new ArrayList<>();
        List<String[]> patternNames = new ArrayList<>();
        boolean wildcard = false;
        String[] parts = split(t);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.equals("*") && i == parts.length - 1) {
                wildcard = true;
                continue;
            }
            int open = part.indexOf('{');
            if (open == 0 && part.indexOf('}') == part.length() - 1 && part.length() > 2) {
                segs.add(null);
                names.add(part.substring(1, part.length() - 1));
                patterns.add(null);
                patternNames.add(null);
            } else if (open >= 0) {
                List<String> texts = new ArrayList<>();
                List<String> groupNames = new ArrayList<>();
                int at = 0;
                while (open >= 0) {
                    int close = part.indexOf('}', open);
                    texts.add(part.substring(at, open));
                    groupNames.add(part.substring(open + 1, close));
                    at = close + 1;
                    open = part.indexOf('{', at);
                }
                texts.add(part.substring(at));
                segs.add(null);
                names.add(null);
                patterns.add(texts.toArray(String[]::new));
                patternNames.add(groupNames.toArray(String[]::new));
            } else {
                segs.add(part);
                names.add(null);
                patterns.add(null);
                patternNames.add(null);
            }
        }
        return new UrlTemplate(template, segs.toArray(String[]::new), names.toArray(String[]::new),
                patterns.toArray(String[][]::new), patternNames.toArray(String[][]::new), wildcard);
    }

    private static String[] split(String path) {
        String p = path;
        int q = p.indexOf('?');
        if (q >= 0) {
            p = p.substring(0, q);
        }
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? new String[0] : p.split("/", -1);
    }

    /**
     * Matches a path relative to the API (starting with '/' or empty); returns the template
     * parameters, or null when the path does not match.
     */
    Map<String, String> match(String relativePath) {
        String[] parts = split(relativePath);
        if (parts.length < segments.length || (!trailingWildcard && parts.length != segments.length)) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < segments.length; i++) {
            String seg = segments[i];
            if (mixed[i] != null) {
                if (params == null) {
                    params = new LinkedHashMap<>();
                }
                if (!matchMixed(mixed[i], mixedNames[i], parts[i], params)) {
                    return null;
                }
            } else if (seg == null) {
                if (parts[i].isEmpty()) {
                    return null;
                }
                if (params == null) {
                    params = new LinkedHashMap<>();
                }
                params.put(paramNames[i], parts[i]);
            } else if (!seg.equals(parts[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }

    /** Matches one segment of texts and parameters (see the class comment), adding the parameters to {@code params}. */
    private static boolean matchMixed(String[] texts, String[] names, String part, Map<String, String> params) {
        String first = texts[0];
        String last = texts[texts.length - 1];
        if (!part.startsWith(first) || part.length() < first.length() + last.length() + names.length
                || !part.endsWith(last)) {
            return false;
        }
        int at = first.length();
        int end = part.length() - last.length();
        for (int p = 0; p < names.length; p++) {
            int stop;
            if (p == names.length - 1) {
                stop = end;
            } else {
                stop = part.indexOf(texts[p + 1], at + 1);
                if (stop < 0 || stop >= end) {
                    return false;
                }
            }
            if (stop <= at) {
                return false;
            }
            params.put(names[p], part.substring(at, stop));
            at = stop + texts[p + 1].length();
        }
        return true;
    }

    /** More literal segments, then more segments, then no wildcard: the more specific template wins. */
    int specificity() {
        return literalCount * 1000 + segments.length * 10 + (trailingWildcard ? 0 : 1);
    }

    @Override
    public String toString() {
        return text;
    }
}
