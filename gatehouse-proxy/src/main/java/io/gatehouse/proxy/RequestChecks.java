package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;

/**
 * What a client's request head must satisfy before anything of it is routed or forwarded
 * (RFC 9112 sections 2.3, 3 and 3.2, RFC 9113 section 8.3): a version the gateway speaks, a
 * request target of visible ASCII in origin form, exactly one valid {@code Host} on HTTP/1.1,
 * and a {@code Connection} header that does not name the fields the body's framing or the
 * request's routing were decided by. A target in absolute form is rewritten to origin form, its
 * authority becoming {@code Host}. Netty's decoder has already refused what does not parse
 * (bad chunk sizes, Content-Length together with Transfer-Encoding, two different lengths,
 * invalid field names and values); these are the checks it leaves to the application.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    /** Why a request is refused: the failure to answer with and what to log (never sent to the client). */
    record Refusal(FailureKind kind, String why) {
    }

    /**
     * The refusal for this request head, or null when it may go on. {@code http2}: the head came
     * from an HTTP/2 stream (its version is Netty's translation, and {@code :authority} has become
     * {@code Host}, conflicts already refused by Netty).
     */
    static Refusal check(HttpRequest req, boolean http2) {
        HttpVersion v = req.protocolVersion();
        if (!http2 && v != HttpVersion.HTTP_1_1 && v != HttpVersion.HTTP_1_0) {
            return new Refusal(FailureKind.VERSION_NOT_SUPPORTED, "HTTP version '" + v.text()
                    + "' is not supported on an HTTP/1.1 connection (expected HTTP/1.1 or HTTP/1.0)");
        }
        String target = req.uri();
        int bad = invalidTargetChar(target);
        if (bad >= 0) {
            return new Refusal(FailureKind.BAD_REQUEST, "the request target has a byte outside visible ASCII ("
                    + String.format("0x%02x", (int) target.charAt(bad)) + ") at offset " + bad);
        }
        HttpHeaders h = req.headers();
        if (!http2 && absoluteFormAuthorityEnd(target) > 0) {
            // RFC 9112 section 3.2.2: a server accepts the absolute form, and its authority
            // replaces Host (the request goes on in origin form with that Host)
            int end = absoluteFormAuthorityEnd(target);
            int start = target.indexOf("://") + 3;
            String authority = target.substring(start, end);
            if (!validHost(authority)) {
                return new Refusal(FailureKind.BAD_REQUEST, "an invalid authority in an absolute-form request target");
            }
            String rest = target.substring(end);
            req.setUri(rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest);
            h.set(HttpHeaderNames.HOST, authority);
            target = req.uri();
        }
        if (target.isEmpty() || target.charAt(0) != '/') {
            return new Refusal(FailureKind.BAD_REQUEST,
                    "the request target is not in origin form (an absolute path such as /api/items)");
        }
        if (h.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1) && h.contains(HttpHeaderNames.SEC_WEBSOCKET_KEY2)) {
            // Netty's decoder reads 8 body bytes for such a request (the 2010 WebSocket draft) with
            // no header saying so: they would reach the backend unframed
            return new Refusal(FailureKind.BAD_REQUEST, "Sec-WebSocket-Key1 and -Key2 (a WebSocket draft "
                    + "handshake whose body has no framing header)");
        }
        Refusal host = checkHost(h, !http2 && v == HttpVersion.HTTP_1_1);
        if (host != null) {
            return host;
        }
        return checkConnection(h);
    }

    /** How a request's body is framed, as the gateway read it; the backend gets it framed the same way. */
    enum Framing {
        /** No body (neither Content-Length nor Transfer-Encoding on HTTP/1.1; END_STREAM on HTTP/2). */
        NONE,
        /** Content-Length. */
        LENGTH,
        /** Chunked (HTTP/1.1), or an HTTP/2 body without Content-Length (chunked to the backend). */
        CHUNKED
    }

    /**
     * The body's framing for an HTTP/1.1 request, or null when its Transfer-Encoding is anything
     * but {@code chunked} alone (RFC 9112 section 6.1: a transfer coding the gateway does not
     * decode, 501). Netty has already refused Content-Length together with Transfer-Encoding,
     * and a final coding other than chunked.
     */
    static Framing framing(HttpRequest req) {
        HttpHeaders h = req.headers();
        java.util.List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!te.isEmpty()) {
            return te.size() == 1 && te.getFirst().strip().equalsIgnoreCase("chunked") ? Framing.CHUNKED : null;
        }
        return h.contains(HttpHeaderNames.CONTENT_LENGTH) ? Framing.LENGTH : Framing.NONE;
    }

    /**
     * For a target in absolute form ({@code http://authority/path} or https, scheme in any case),
     * the offset where its authority ends (at '/', '?' or the end); otherwise -1.
     */
    static int absoluteFormAuthorityEnd(String target) {
        int start;
        if (target.regionMatches(true, 0, "http://", 0, 7)) {
            start = 7;
        } else if (target.regionMatches(true, 0, "https://", 0, 8)) {
            start = 8;
        } else {
            return -1;
        }
        int end = start;
        while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') {
            end++;
        }
        return end;
    }

    /**
     * The offset of the first byte of {@code target} that may not stand in a request target, or
     * -1: anything outside visible ASCII (controls, NUL, space, DEL, bytes over 0x7e), and
     * {@code #} (a fragment is never sent) .
     */
    static int invalidTargetChar(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '#') {
                return i;
            }
        }
        return -1;
    }

    /**
     * RFC 9112 section 3.2: an HTTP/1.1 request has exactly one {@code Host}; any request has at
     * most one, and its value must be a valid {@code uri-host [":" port]} (no user information,
     * no list, no spaces).
     */
    static Refusal checkHost(HttpHeaders h, boolean required) {
        Iterator<String> values = h.valueStringIterator(HttpHeaderNames.HOST);
        if (!values.hasNext()) {
            return required ? new Refusal(FailureKind.BAD_REQUEST, "an HTTP/1.1 request without a Host header") : null;
        }
        String host = values.next();
        if (values.hasNext()) {
            return new Refusal(FailureKind.BAD_REQUEST, "more than one Host header");
        }
        return validHost(host) ? null : new Refusal(FailureKind.BAD_REQUEST, "an invalid Host header value");
    }

    /**
     * Whether {@code host} is {@code name [":" port]} where name is a DNS name or IPv4 address
     * (letters, digits, '-', '.', '_'), or an IPv6 literal in brackets; the port 1 to 5 digits.
     * Stricter than RFC 3986's reg-name (which allows sub-delimiters and percent-encoding), as no
     * hostname the gateway serves contains them, and a lenient reading is how {@code Host:
     * a@b} or {@code Host: a, b} got past a comparison with the TLS server name.
     */
    static boolean validHost(String host) {
        int n = host.length();
        if (n == 0 || n > 255 + 6) {
            return false;
        }
        int i;
        if (host.charAt(0) == '[') {
            int end = host.indexOf(']');
            if (end < 3) {
                return false;
            }
            for (int k = 1; k < end; k++) {
                char c = host.charAt(k);
                if (!(isHex(c) || c == ':' || c == '.')) {
                    return false;
                }
            }
            i = end + 1;
        } else {
            i = 0;
            while (i < n) {
                char c = host.charAt(i);
                if (c == ':') {
                    break;
                }
                if (!(isAlnum(c) || c == '-' || c == '.' || c == '_')) {
                    return false;
                }
                i++;
            }
            if (i == 0) {
                return false;
            }
        }
        if (i == n) {
            return true;
        }
        if (host.charAt(i) != ':') {
            return false;
        }
        int digits = n - i - 1;
        if (digits < 1 || digits > 5) {
            return false;
        }
        for (int k = i + 1; k < n; k++) {
            if (host.charAt(k) < '0' || host.charAt(k) > '9') {
                return false;
            }
        }
        return Integer.parseInt(host, i + 1, n, 10) <= 65535;
    }

    /**
     * A {@code Connection} header may name hop-by-hop fields for the gateway to drop, but never
     * the ones the request was framed or routed by: dropping {@code Content-Length} or
     * {@code Transfer-Encoding} after framing the body with it is how a body became a second
     * request at the backend.
     */
    static Refusal checkConnection(HttpHeaders h) {
        Iterator<String> values = h.valueStringIterator(HttpHeaderNames.CONNECTION);
        while (values.hasNext()) {
            String v = values.next();
            int start = 0;
            while (start <= v.length()) {
                int comma = v.indexOf(',', start);
                int end = comma < 0 ? v.length() : comma;
                int from = start;
                int to = end;
                while (from < to && (v.charAt(from) == ' ' || v.charAt(from) == '\t')) {
                    from++;
                }
                while (to > from && (v.charAt(to - 1) == ' ' || v.charAt(to - 1) == '\t')) {
                    to--;
                }
                // compared in place: most requests carry "Connection: keep-alive", no copy per token
                if (ForwardedHeaders.isProtected(v, from, to)) {
                    return new Refusal(FailureKind.BAD_REQUEST, "the Connection header names '"
                            + shown(v.substring(from, to)) + "', a field the request is framed or routed by");
                }
                start = end + 1;
            }
        }
        return null;
    }

    /** A client's text for a log line: at most 80 characters (the log layer escapes controls). */
    static String shown(String clientText) {
        return clientText.length() <= 80 ? clientText : clientText.substring(0, 80) + "...";
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean isHex(char c) {
        return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9');
    }
}
