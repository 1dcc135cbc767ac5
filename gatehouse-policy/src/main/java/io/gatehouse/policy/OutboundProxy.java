package io.gatehouse.policy;

import io.gatehouse.common.Secret;

import java.net.URI;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * The HTTP proxy a request's {@code forward-request} goes through, set by the {@code proxy}
 * policy: {@code https} backends through a {@code CONNECT} tunnel (the backend's TLS runs inside
 * it), plain {@code http} ones as absolute-form requests to the proxy. With a username the proxy
 * gets {@code Proxy-Authorization: Basic}. Equal settings are equal values, so the gateway can
 * keep one set of pooled connections per backend and proxy; {@link #toString()} never shows the
 * password.
 *
 * @param host the proxy's host
 * @param port the proxy's port
 * @param username the user for Basic authentication, or null for none
 * @param password the password (may be empty; null when there is no username)
 */
public record OutboundProxy(String host, int port, String username, Secret password) {
    public OutboundProxy {
        requireNonNull(host, "host");
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("proxy port " + port + " is out of range");
        }
        if (username == null) {
            password = null;
        } else if (password == null) {
            password = Secret.of("");
        }
    }

    /**
     * The proxy named by {@code url} ({@code http://host:port}; the port defaults to 80), or an
     * {@link IllegalArgumentException} saying what is wrong with it. The URL itself never holds
     * credentials here: they come from the policy's own attributes.
     */
    public static OutboundProxy parse(String url, String username, Secret password) {
        URI u;
        try {
            u = new URI(url.strip());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL (expected http://host:port)");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("'" + url + "' is not an http://host:port URL"
                    + ("https".equalsIgnoreCase(u.getScheme()) ? " (only HTTP is spoken to a proxy, as in APIM)" : ""));
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the proxy URL carries credentials: give them as username and password");
        }
        if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/") || u.getRawQuery() != null) {
            throw new IllegalArgumentException("'" + url + "' has a path or query: a proxy URL is http://host:port");
        }
        String user = username == null || username.isEmpty() ? null : username;
        if (user != null && user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("the username contains ':', which Basic authentication cannot carry (RFC 7617)");
        }
        return new OutboundProxy(u.getHost(), u.getPort() > 0 ? u.getPort() : 80, user, user == null ? null : password);
    }

    /** The proxy as {@code http://host:port}, without credentials (for logs and messages). */
    public String url() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port;
    }

    /** The {@code Proxy-Authorization} value, or null without a username. Never log it. */
    public String basicAuthorization() {
        if (username == null) {
            return null;
        }
        String pair = username + ":" + password.revealString();
        return "Basic " + java.util.Base64.getEncoder().encodeToString(pair.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboundProxy p && port == p.port && host.equalsIgnoreCase(p.host)
                && Objects.equals(username, p.username) && Objects.equals(password, p.password);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host.toLowerCase(java.util.Locale.ROOT), port, username, password);
    }

    @Override
    public String toString() {
        return "proxy " + url() + (username == null ? "" : " as '" + username + "'");
    }
}
