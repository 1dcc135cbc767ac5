package io.gatehouse.proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An operation's URL template, such as {@code /patients/{id}} or {@code /files/*}, compiled once
 * at load. A {@code {param}} segment matches exactly one non-empty path segment; a trailing
 * {@code *} matches the rest of the path (including nothing).
 */
final class UrlTemplate {
    private final String text;
    private final String[] segments;   // literal text, or null for a parameter
    private final String[] paramNames; // parameter name at the same index, or null
    private final boolean trailingWildcard;
    private final int literalCount;

    private UrlTemplate(String text, String[] segments, String[] paramNames, boolean trailingWildcard) {
        this.text = text;
        this.segments = segments;
        this.paramNames = paramNames;
        this.trailingWildcard = trailingWildcard;
        int literals = 0;
        for (String s : segments) {
            if (s != null) {
                literals++;
            }
        }
        this.literalCount = literals;
    }

    /** Compiles a template; the config loader has already checked its syntax. */
    static UrlTemplate compile(String template) {
        String t = template == null || template.isEmpty() ? "/*" : template;
        List<String> segs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        boolean wildcard = false;
        String[] parts = split(t);
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (part.equals("*") && i == parts.length - 1) {
                wildcard = true;
            } else if (part.startsWith("{") && part.endsWith("}") && part.length() > 2) {
                segs.add(null);
                names.add(part.substring(1, part.length() - 1));
            } else {
                segs.add(part);
                names.add(null);
            }
        }
        return new UrlTemplate(template, segs.toArray(String[]::new), names.toArray(String[]::new), wildcard);
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
            if (seg == null) {
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

    /** More literal segments, then more segments, then no wildcard: the more specific template wins. */
    int specificity() {
        return literalCount * 1000 + segments.length * 10 + (trailingWildcard ? 0 : 1);
    }

    @Override
    public String toString() {
        return text;
    }
}
