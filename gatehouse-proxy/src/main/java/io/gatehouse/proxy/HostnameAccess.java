package io.gatehouse.proxy;

import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.proxy.GatewaySnapshot.HostnameBinding;
import io.gatehouse.tls.HandshakeInfo;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * Which hostname a request is on, which APIs it can reach there and whether it may reach an API
 * that requires a client certificate. Everything per hostname (its router, its chain check) is
 * built once per config by {@link GatewaySnapshot}; per request this does one map look-up at
 * most, and per connection it remembers the last answer.
 *
 * <ul>
 *   <li>On a TLS connection the hostname is the binding the handshake chose (SNI, else the
 *       default binding), never the {@code Host} header: a {@code Host} that names another
 *       configured hostname is misdirected (421).</li>
 *   <li>On a plain-HTTP listener there is no binding: the normalised {@code Host} picks the
 *       hostname, and a {@code Host} that names none reaches only the APIs served on every
 *       hostname.</li>
 *   <li>SNI and {@code Host} are compared after {@link #normalize}.</li>
 * </ul>
 */
final class HostnameAccess {

    /**
     * One hostname's view of the config: the APIs served on it and the chain check for its
     * clients. {@code binding} is null for the plain-HTTP view of no hostname; {@code misdirected}
     * is set only on the answers {@link #resolve} makes for a misdirected request.
     */
    record Scope(String name, HostnameBinding binding, Router router, ChainCheck chainCheck, String misdirected) {
    }

    /** Why a request was refused: the failure, the check that failed (a metric label) and the log message. */
    record Refusal(FailureKind kind, String check, String message) {
    }

    private record HostCheck(GatewaySnapshot snap, String host, Scope scope) {
    }

    private record Verdict(Scope scope, Refusal refusal) {
    }

    private static final AttributeKey<HostCheck> HOST_CHECK = AttributeKey.valueOf("gatehouse.hostCheck");
    private static final AttributeKey<Verdict> VERDICT = AttributeKey.valueOf("gatehouse.certificateVerdict");

    private HostnameAccess() {
    }

    /**
     * A host name as SNI or {@code Host} gives it, in the form hostnames are compared in: lower
     * case, the port removed, IPv6 brackets removed, one trailing dot removed. Total: any text
     * gives an answer (null only for null), which odd input simply makes match nothing.
     */
    static String normalize(String host) {
        if (host == null) {
            return null;
        }
        String h = host;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            h = end > 0 ? h.substring(1, end) : h.substring(1);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0 && colon == h.lastIndexOf(':')) {
                h = h.substring(0, colon); // host:port; more than one colon is a bare IPv6 address
            }
        }
        if (h.length() > 1 && h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c >= 'A' && c <= 'Z' || c > 0x7f) {
                return h.toLowerCase(Locale.ROOT);
            }
        }
        return h;
    }

    /**
     * The hostname a request on {@code connection} naming {@code host} is on, in {@code snap}.
     * The answer is remembered on the connection, so its next requests naming the same host in
     * the same config are not looked up again. A misdirected answer has
     * {@link Scope#misdirected()} set and must be refused with 421.
     */
    static Scope resolve(GatewaySnapshot snap, boolean tls, Channel connection, String host) {
        HostCheck last = connection.attr(HOST_CHECK).get();
        if (last != null && last.snap() == snap && Objects.equals(last.host(), host)) {
            return last.scope();
        }
        Scope scope = tls ? onTls(snap, DownstreamInitializer.binding(connection), host) : onPlain(snap, host);
        if (scope.misdirected() == null) {
            connection.attr(HOST_CHECK).set(new HostCheck(snap, host, scope));
        }
        return scope;
    }

    private static Scope onTls(GatewaySnapshot snap, HostnameBinding served, String host) {
        if (served == null) {
            return misdirected("the connection has no hostname binding");
        }
        Scope on = snap.scopes.get(served.key());
        if (on == null) {
            // the handshake chose a hostname that a reload removed: the client must connect again
            return misdirected("the connection's hostname '" + served.name() + "' is no longer configured");
        }
        String named = normalize(host);
        Scope other = snap.scopeFor(named);
        if (other != null && other != on) {
            return misdirected("Host '" + host + "' names hostname '" + other.name() + "', but the TLS handshake chose '"
                    + on.name() + "': its client-certificate settings would not apply");
        }
        return on;
    }

    private static Scope onPlain(GatewaySnapshot snap, String host) {
        String named = normalize(host);
        Scope s = snap.scopeFor(named);
        return s != null ? s : snap.unbound;
    }

    private static Scope misdirected(String why) {
        return new Scope(null, null, null, ChainCheck.NONE, why);
    }

    /**
     * Null when the matched API lets the request through; otherwise why it may not reach it. An
     * API with {@code clientCertificate: required} needs a client certificate on the connection
     * that verifies (revocation included) against the CA certificates of the connection's
     * hostname. Checked once per connection and config; the verdict is kept on the connection.
     */
    static Refusal admit(Scope scope, Router.Match match, Channel connection, GatewayMetrics metrics) {
        ApiConfig api = match.api().config();
        if (!api.clientCertificateRequired()) {
            return null;
        }
        io.netty.util.Attribute<Verdict> a = connection.attr(VERDICT);
        Verdict v = a.get();
        if (v == null || v.scope() != scope) {
            v = new Verdict(scope, verdict(scope, DownstreamInitializer.handshake(connection)));
            a.set(v);
        }
        Refusal r = v.refusal();
        if (r != null && metrics != null) {
            metrics.clientCertificateRefusal(api.id(), r.check());
        }
        return r;
    }

    /** The verdict on a connection's client certificate for an API that requires one; null when it passes. */
    static Refusal verdict(Scope scope, HandshakeInfo hs) {
        if (hs == null) {
            return refuse("no_tls", "the API requires a client certificate and the request did not come over TLS");
        }
        if (hs.clientChain().isEmpty()) {
            return refuse("missing", "the API requires a client certificate and the client sent none"
                    + (scope.binding() != null && !scope.binding().mode().requestsCertificate()
                            ? " (hostname '" + scope.name() + "' does not ask for one)" : ""));
        }
        ChainCheck.Result r = scope.chainCheck().check(hs.clientChain(), true, Instant.now());
        if (r.trusted()) {
            return null;
        }
        String check = r.revoked() ? "revoked" : label(r.reason());
        String subject = io.gatehouse.common.x509.DotNetNames.format(hs.clientCertificate().getSubjectX500Principal());
        return refuse(check, "the API requires a client certificate that verifies against the CA certificates of "
                + "hostname '" + scope.name() + "'; '" + subject + "' does not: " + r.reason());
    }

    private static Refusal refuse(String check, String message) {
        return new Refusal(FailureKind.CLIENT_CERTIFICATE_REQUIRED, check, message);
    }

    /** The check named at the start of a chain check's reason ("chain: ..."), or "untrusted". */
    private static String label(String reason) {
        if (reason != null) {
            int colon = reason.indexOf(':');
            if (colon > 0 && reason.substring(0, colon).matches("[a-z_]{1,32}")) {
                return reason.substring(0, colon);
            }
        }
        return "untrusted";
    }
}
