package io.gatehouse.expr.context;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** APIM's {@code IUrl}: Scheme, Host, Port, Path, Query, QueryString; mutable for the gateway. */
public final class Url {
    private String scheme;
    private String host;
    private int port;
    private String path;
    private final LinkedHashMap<String, List<String>> query = new LinkedHashMap<>();

    public Url(String scheme, String host, int port, String path) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.path = path == null || path.isEmpty() ? "/" : path;
    }

    /** Parses an absolute URL such as {@code https://api.example.com:8443/a/b?x=1&y=2}. */
    public static Url parse(String text) {
        int schemeEnd = text.indexOf("://");
        if (schemeEnd <= 0) {
            throw new IllegalArgumentException("Invalid URI: The format of the URI could not be determined.");
        }
        String scheme = text.substring(0, schemeEnd).toLowerCase(java.util.Locale.ROOT);
        String rest = text.substring(schemeEnd + 3);
        int frag = rest.indexOf('#');
        if (frag >= 0) {
            rest = rest.substring(0, frag);
        }
        int q = rest.indexOf('?');
        String qs = q >= 0 ? rest.substring(q + 1) : null;
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String authority = slash >= 0 ? rest.substring(0, slash) : rest;
        String path = slash >= 0 ? rest.substring(slash) : "/";
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            authority = authority.substring(at + 1);
        }
        String host = authority;
        int port = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
        int colon = authority.lastIndexOf(':');
        if (colon >= 0 && authority.indexOf(']', colon) < 0) {
            host = authority.substring(0, colon);
            try {
                port = Integer.parseInt(authority.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Invalid URI: Invalid port specified.");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("Invalid URI: The hostname could not be parsed.");
        }
        Url u = new Url(scheme, host.toLowerCase(java.util.Locale.ROOT), port, path);
        if (qs != null) {
            u.queryString(qs);
        }
        return u;
    }

    /** An independent copy (the query lists are copied too): cheaper than parsing the text again. */
    public Url copy() {
        Url u = new Url(scheme, host, port, path);
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            u.query.put(e.getKey(), new ArrayList<>(e.getValue()));
        }
        return u;
    }

    public String scheme() {
        return scheme;
    }

    public Url scheme(String s) {
        this.scheme = s;
        return this;
    }

    public String host() {
        return host;
    }

    public Url host(String h) {
        this.host = h;
        return this;
    }

    public int port() {
        return port;
    }

    public Url port(int p) {
        this.port = p;
        return this;
    }

    public String path() {
        return path;
    }

    public Url path(String p) {
        this.path = p;
        return this;
    }

    /** Query parameters, decoded, in order; mutable. */
    public Map<String, List<String>> query() {
        return query;
    }

    /** APIM's {@code Query.GetValueOrDefault(name, default)}: values joined with ",". */
    public String queryValueOrDefault(String name, String defaultValue) {
        List<String> v = query.get(name);
        return v == null ? defaultValue : String.join(",", v);
    }

    /** Replaces the query from a raw query string (without the leading '?'). */
    public Url queryString(String raw) {
        query.clear();
        if (raw == null || raw.isEmpty()) {
            return this;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = decode(eq >= 0 ? pair.substring(0, eq) : pair);
            String v = eq >= 0 ? decode(pair.substring(eq + 1)) : "";
            query.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return this;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** APIM's {@code QueryString}: "?a=1&b=2", or "" without parameters. */
    public String queryString() {
        if (query.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("?");
        query.forEach((k, vs) -> vs.forEach(v -> {
            if (sb.length() > 1) {
                sb.append('&');
            }
            sb.append(encode(k)).append('=').append(encode(v));
        }));
        return sb.toString();
    }

    /** The whole URL; the port is left out when it is the scheme's default. */
    @Override
    public String toString() {
        boolean defaultPort = port < 0 || (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
        return scheme + "://" + host + (defaultPort ? "" : ":" + port) + path + queryString();
    }
}
