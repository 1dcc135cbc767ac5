package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/** Header rules applied on the way through: hop-by-hop removal, forged identity, X-Forwarded-*. */
final class ForwardedHeaders {
    private ForwardedHeaders() {
    }

    /** RFC 9110 7.6.1 hop-by-hop headers (Transfer-Encoding is handled with the framing). */
    private static final List<AsciiString> HOP_BY_HOP = List.of(
            HttpHeaderNames.CONNECTION,
            HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
            AsciiString.cached("proxy-connection"),
            HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER,
            HttpHeaderNames.UPGRADE);

    /** What HTTP/2 to HTTP/1.1 conversion leaves behind (constants: their hash is computed once). */
    private static final List<AsciiString> HTTP2_CONVERSION = List.of(
            AsciiString.cached("x-http2-scheme"),
            AsciiString.cached("x-http2-stream-id"),
            AsciiString.cached("x-http2-stream-weight"),
            AsciiString.cached("x-http2-stream-dependency-id"),
            AsciiString.cached("x-http2-path"));

    /**
     * Fields a {@code Connection} header may never have removed: the message's framing and the
     * request's routing were decided by them (a request naming them is refused with 400,
     * {@link RequestChecks#checkConnection}; in a backend's response they are kept).
     */
    private static final List<AsciiString> PROTECTED = List.of(
            HttpHeaderNames.CONTENT_LENGTH,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.HOST);

    static boolean isProtected(CharSequence name) {
        return isProtected(name.toString(), 0, name.length());
    }

    /** Whether {@code s[from, to)} names a protected field, ignoring case, without copying it. */
    static boolean isProtected(String s, int from, int to) {
        for (AsciiString p : PROTECTED) {
            if (p.length() == to - from && s.regionMatches(true, from, p.toString(), 0, p.length())) {
                return true;
            }
        }
        return false;
    }

    static boolean isHopByHop(CharSequence name) {
        for (AsciiString p : HOP_BY_HOP) {
            if (p.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Removes hop-by-hop headers, including those the Connection header names, except the
     * framing and routing fields ({@link #isProtected}): the body goes on framed as it was read.
     */
    static void stripHopByHop(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String value : h.getAll(HttpHeaderNames.CONNECTION)) {
                for (String token : value.split(",")) {
                    String t = token.trim();
                    if (!t.isEmpty() && !isProtected(t)) {
                        h.remove(t);
                    }
                }
            }
        }
        for (AsciiString name : HOP_BY_HOP) {
            h.remove(name);
        }
        for (AsciiString name : HTTP2_CONVERSION) {
            h.remove(name);
        }
    }

    /** The gateway's request id on every response (constants: their hash is computed once). */
    static final AsciiString REQUEST_ID = AsciiString.cached("x-request-id");
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    private static final AsciiString HTTP = AsciiString.cached("http");

    private static final AsciiString X_REAL_IP = AsciiString.cached("x-real-ip");
    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");

    /**
     * Where the request came from, for the backend. From a peer outside {@code
     * gateway.trustedProxies} ({@code trustedPeer} false), X-Forwarded-For is the peer's address
     * alone and X-Real-IP and Forwarded, when the client sent them, are replaced by the peer's
     * (the identity pass already removed the other forwarding fields); from a trusted proxy the
     * peer is appended to X-Forwarded-For and Forwarded and its X-Real-IP is kept.
     * X-Forwarded-Proto and X-Forwarded-Host are always the gateway's own.
     */
    static void addForwarded(HttpHeaders h, String clientIp, boolean tls, String originalHost, boolean trustedPeer) {
        AsciiString proto = tls ? HTTPS : HTTP;
        if (trustedPeer) {
            String xff = joined(h, X_FORWARDED_FOR);
            h.set(X_FORWARDED_FOR, xff == null ? clientIp : xff + ", " + clientIp);
            if (!h.contains(X_REAL_IP)) {
                h.set(X_REAL_IP, clientIp);
            }
            String fwd = joined(h, FORWARDED);
            if (fwd != null) {
                h.set(FORWARDED, fwd + ", " + forwardedElement(clientIp, proto, originalHost));
            }
        } else {
            h.set(X_FORWARDED_FOR, clientIp);
            if (h.contains(X_REAL_IP)) {
                h.set(X_REAL_IP, clientIp);
            }
            if (h.contains(FORWARDED)) {
                h.set(FORWARDED, forwardedElement(clientIp, proto, originalHost));
            }
        }
        h.set(X_FORWARDED_PROTO, proto);
        if (originalHost != null) {
            h.set(X_FORWARDED_HOST, originalHost);
        } else {
            h.remove(X_FORWARDED_HOST);
        }
    }

    /** All field lines of a name as one list value, or null when there are none or all are blank. */
    private static String joined(HttpHeaders h, AsciiString name) {
        List<String> all = h.getAll(name);
        if (all.isEmpty()) {
            return null;
        }
        String v = all.size() == 1 ? all.getFirst().strip() : String.join(", ", all).strip();
        return v.isEmpty() ? null : v;
    }

    /** RFC 7239 section 4: {@code for=...;proto=...;host=...}, an IPv6 address or a port in quotes. */
    static String forwardedElement(String clientIp, AsciiString proto, String host) {
        StringBuilder sb = new StringBuilder(48).append("for=");
        if (clientIp.indexOf(':') >= 0) {
            sb.append("\"[").append(clientIp).append("]\"");
        } else {
            sb.append(clientIp);
        }
        sb.append(";proto=").append(proto);
        if (host != null) {
            sb.append(";host=\"").append(host).append('"');
        }
        return sb.toString();
    }
}
