package io.gatehouse.expr.lib;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/** .NET {@code System.Uri} for absolute URIs. */
public final class Uri {
    private final URI uri;

    public Uri(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Value cannot be null. (Parameter 'uriString')");
        }
        try {
            this.uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("Invalid URI: The format of the URI could not be determined.");
        }
        if (!uri.isAbsolute() || uri.getHost() == null) {
            throw new IllegalArgumentException("Invalid URI: The format of the URI could not be determined.");
        }
    }

    public String scheme() {
        return uri.getScheme().toLowerCase();
    }

    public String host() {
        return uri.getHost().toLowerCase();
    }

    public int port() {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return switch (scheme()) {
            case "https" -> 443;
            case "http" -> 80;
            default -> -1;
        };
    }

    public String absolutePath() {
        String p = uri.getRawPath();
        return p == null || p.isEmpty() ? "/" : p;
    }

    public String query() {
        return uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    }

    public String fragment() {
        return uri.getRawFragment() == null ? "" : "#" + uri.getRawFragment();
    }

    public String pathAndQuery() {
        return absolutePath() + query();
    }

    public String authority() {
        boolean def = uri.getPort() < 0 || port() == (scheme().equals("https") ? 443 : scheme().equals("http") ? 80 : -2);
        return host() + (def ? "" : ":" + port());
    }

    public String absoluteUri() {
        return scheme() + "://" + authority() + pathAndQuery() + fragment();
    }

    public String[] segments() {
        String p = absolutePath();
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < p.length(); i++) {
            if (p.charAt(i) == '/') {
                out.add(p.substring(start, i + 1));
                start = i + 1;
            }
        }
        if (start < p.length()) {
            out.add(p.substring(start));
        }
        return out.toArray(String[]::new);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Uri u && u.absoluteUri().equals(absoluteUri());
    }

    @Override
    public int hashCode() {
        return absoluteUri().hashCode();
    }

    @Override
    public String toString() {
        return absoluteUri();
    }
}
