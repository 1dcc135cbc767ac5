package io.gatehouse.proxy;

import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.time.Duration;

/**
 * A backend as the data plane uses it, built once per config load: where to connect, the
 * {@link SslContext} (chain check, trusted CAs, client certificate) and the name to send as SNI
 * and to check. Identity matters: pooled connections are keyed by this object, so a reload that
 * rebuilds targets never reuses a connection made under the old TLS settings.
 *
 * @param id the backend id (or {@code api:<id>} for an API's serviceUrl) for logs and metrics
 * @param basePath the url's path without a trailing '/', prepended to the forwarded path
 * @param authority the Host header sent to the backend
 * @param sslContext null for plain http
 * @param serverName SNI and the name checked
 * @param clientCertificate the client certificates that may be presented, in words for messages
 *     ("certificate id 'x' in credentials.certificateIds"), or null
 * @param clientLeaf the certificate presented when the backend names no CA it accepts, or null
 * @param proxy the HTTP proxy connections go through ({@code proxy} policy), or null for direct
 *     ones: a target through a proxy is another target, so its connections are pooled apart
 */
record UpstreamTarget(
        String id,
        URI url,
        String host,
        int port,
        String basePath,
        String authority,
        SslContext sslContext,
        String serverName,
        boolean validateName,
        Duration timeout,
        String clientCertificate,
        java.security.cert.X509Certificate clientLeaf,
        io.gatehouse.policy.OutboundProxy proxy) {

    /** A target reached directly (no proxy). */
    UpstreamTarget(String id, URI url, String host, int port, String basePath, String authority, SslContext sslContext,
                   String serverName, boolean validateName, Duration timeout, String clientCertificate,
                   java.security.cert.X509Certificate clientLeaf) {
        this(id, url, host, port, basePath, authority, sslContext, serverName, validateName, timeout, clientCertificate,
                clientLeaf, null);
    }

    /** This target reached through {@code via} instead (same TLS settings and context). */
    UpstreamTarget through(io.gatehouse.policy.OutboundProxy via) {
        return new UpstreamTarget(id, url, host, port, basePath, authority, sslContext, serverName, validateName, timeout,
                clientCertificate, clientLeaf, via);
    }

    /**
     * True when requests to this target go to a proxy in absolute form ({@code GET http://host/path}):
     * plain http through a proxy. An https target through a proxy uses a CONNECT tunnel instead.
     */
    boolean absoluteForm() {
        return proxy != null && sslContext == null;
    }

    /** {@link #clientCertificate} for a certificate a policy chose ({@code authentication-certificate}). */
    static String setByPolicy(io.gatehouse.tls.KeyMaterial key) {
        return "certificate '" + io.gatehouse.common.x509.DotNetNames.format(key.leaf().getSubjectX500Principal())
                + "', set by authentication-certificate";
    }

    boolean tls() {
        return sslContext != null;
    }

    /**
     * The request target sent to this backend: its base path, then {@code path} (what follows
     * the API's prefix, "" or starting with '/'), then {@code query} ("" or starting with '?').
     */
    String requestTarget(String path, String query) {
        String t = basePath + path + query;
        t = t.isEmpty() || t.charAt(0) != '/' ? "/" + t : t;
        return absoluteForm() ? "http://" + authority + t : t;
    }

    /** Where connections go: "host:port" of the backend, or of the proxy and the backend, for messages. */
    String where() {
        return proxy == null ? host + ":" + port : host + ":" + port + " through " + proxy;
    }

    /** Identity, as the pool needs (and cheap: a record would hash every component on each lookup). */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    static String basePath(URI url) {
        String p = url.getRawPath();
        if (p == null) {
            return "";
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    static int port(URI url) {
        if (url.getPort() > 0) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }
}
