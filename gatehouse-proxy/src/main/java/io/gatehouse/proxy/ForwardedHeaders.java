package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.List;

/** Header rules applied on the way through: hop-by-hop removal, forged identity, X-Forwarded-*. */
final class ForwardedHeaders {
    private ForwardedHeaders() {
    }

    /** Headers that carry client-certificate identity to backends: a client may never set them. */
    static final List<AsciiString> IDENTITY = List.of(
            AsciiString.cached("client-cert"),
            AsciiString.cached("client-cert-chain"),
            AsciiString.cached("x-forwarded-client-cert"),
            AsciiString.cached("x-ssl-client-cert"),
            AsciiString.cached("x-arr-clientcert"));

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

    static void stripIdentity(HttpHeaders h) {
        for (AsciiString name : IDENTITY) {
            h.remove(name);
        }
    }

    /** Removes hop-by-hop headers, including those the Connection header names. */
    static void stripHopByHop(HttpHeaders h) {
        String connection = h.get(HttpHeaderNames.CONNECTION);
        if (connection != null) {
            for (String token : connection.split(",")) {
                String t = token.trim();
                if (!t.isEmpty()) {
                    h.remove(t);
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

    static void addForwarded(HttpHeaders h, String clientIp, boolean tls, String originalHost) {
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null || xff.isBlank() ? clientIp : xff + ", " + clientIp);
        h.set(X_FORWARDED_PROTO, tls ? HTTPS : HTTP);
        if (originalHost != null) {
            h.set(X_FORWARDED_HOST, originalHost);
        }
    }
}
