package io.gatehouse.tls;

import java.nio.channels.ClosedChannelException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.gatehouse.common.x509.DotNetNames;

/**
 * Plain words for failed TLS handshakes, for logs, request traces, {@code gatehouse probe} and
 * metrics labels: which side, which certificate, which check, which alert.
 */
public final class TlsFailures {

    /** Which side of the gateway the handshake was on. */
    public enum Side {
        /** A client connecting to the gateway. */
        DOWNSTREAM,
        /** The gateway connecting to a backend. */
        UPSTREAM
    }

    private static final Pattern JDK_ALERT = Pattern.compile("[Rr]eceived fatal alert: ([a-z_0-9]+)");
    private static final Pattern OPENSSL_ALERT = Pattern.compile("(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_0-9]+)");
    private static final Pattern OPENSSL_CERT_REQUIRED = Pattern.compile("TLSV13?_(?:ALERT_)?CERTIFICATE_REQUIRED");

    private TlsFailures() {
    }

    /** {@link #explain(Throwable, Side, String, X509Certificate)} without naming our own certificate. */
    public static String explain(Throwable t, Side side, String peerName) {
        return explain(t, side, peerName, null);
    }

    /**
     * Explains a handshake failure.
     *
     * @param peerName for UPSTREAM the backend's host (or server name); for DOWNSTREAM the
     *     client's address or the hostname it asked for
     * @param ourCertificate the client certificate the gateway presented upstream, or null
     */
    public static String explain(Throwable t, Side side, String peerName, X509Certificate ourCertificate) {
        String peer = peerName == null ? (side == Side.UPSTREAM ? "the backend" : "the client") : peerName;
        CertificateVerificationException.NameMismatch mismatch = find(t, CertificateVerificationException.NameMismatch.class);
        if (mismatch != null) {
            return (side == Side.UPSTREAM ? "backend" : "peer") + " " + mismatch.getMessage();
        }
        CertificateVerificationException refused = find(t, CertificateVerificationException.class);
        if (refused != null) {
            VerificationResult r = refused.result();
            String verdict = "chain".equals(r.failedCheck()) ? "is not trusted" : "was refused (" + r.failedCheck() + ")";
            return side == Side.UPSTREAM
                    ? "backend certificate for " + peer + " " + verdict + ": " + r.reason()
                    : "client certificate " + verdict + ": " + r.reason();
        }
        String alert = alertName(t);
        String all = messages(t);
        if (side == Side.UPSTREAM) {
            String ours = ourCertificate == null ? null
                    : "'" + DotNetNames.format(ourCertificate.getSubjectX500Principal()) + "'";
            if (alert != null) {
                switch (alert) {
                    case "certificate_required":
                        return ours == null
                                ? "the backend asked for a client certificate and none is configured (alert: certificate_required)"
                                : "the backend did not receive our client certificate " + ours
                                        + " (alert: certificate_required)";
                    case "unknown_ca", "bad_certificate", "certificate_unknown", "unsupported_certificate",
                            "certificate_expired", "certificate_revoked", "access_denied", "decrypt_error":
                        return ours == null
                                ? "the backend rejected the handshake and we sent no client certificate; it probably"
                                        + " requires one (alert: " + alert + ")"
                                : "the backend rejected our client certificate " + ours + " (alert: " + alert + ")";
                    case "handshake_failure":
                        return ours == null
                                ? "the backend refused the handshake (alert: handshake_failure); it may require a client"
                                        + " certificate, and none is configured, or share no TLS version or cipher with us"
                                : "the backend refused the handshake (alert: handshake_failure): no common TLS version or"
                                        + " cipher, or it refused our client certificate " + ours;
                    case "protocol_version", "insufficient_security":
                        return "the backend " + peer + " shares no TLS version or cipher with the gateway (alert: "
                                + alert + ")";
                    case "unrecognized_name":
                        return "the backend does not serve the name we asked for with SNI (alert: unrecognized_name)";
                    default:
                        return "the backend " + peer + " ended the handshake (alert: " + alert + ")";
                }
            }
            if (contains(all, "WRONG_VERSION_NUMBER") || contains(all, "not an SSL/TLS record")
                    || contains(all, "Unsupported or unrecognized SSL message")) {
                return "the backend " + peer + " did not answer with TLS (is it plain HTTP?)";
            }
            if (isClosed(t, all)) {
                return "the backend closed the connection during the handshake";
            }
            if (contains(all, "timed out") || contains(all, "SslHandshakeTimeoutException")) {
                return "the TLS handshake with the backend " + peer + " timed out";
            }
            return "the TLS handshake with the backend " + peer + " failed: " + firstMessage(t);
        }
        // downstream
        if (alert != null) {
            return switch (alert) {
                case "unknown_ca", "bad_certificate", "certificate_unknown", "certificate_expired",
                        "unsupported_certificate", "certificate_revoked" ->
                    "the client " + peer + " rejected the gateway's certificate (alert: " + alert + ")";
                default -> "the client " + peer + " ended the handshake (alert: " + alert + ")";
            };
        }
        if (contains(all, "PEER_DID_NOT_RETURN_A_CERTIFICATE") || contains(all, "Empty client certificate chain")
                || contains(all, "Empty server certificate chain") || contains(all, "peer not authenticated")) {
            return "the client sent no certificate, and this hostname requires one";
        }
        if (contains(all, "NO_SHARED_CIPHER") || contains(all, "UNSUPPORTED_PROTOCOL")
                || contains(all, "no cipher suites in common") || contains(all, "protocol is disabled")
                || contains(all, "Client requested protocol")) {
            return "the client shares no TLS version or cipher with the gateway";
        }
        if (contains(all, "HTTP_REQUEST") || contains(all, "not an SSL/TLS record")
                || contains(all, "WRONG_VERSION_NUMBER") || contains(all, "Unsupported or unrecognized SSL message")) {
            return "the client did not speak TLS (plain HTTP sent to a TLS port?)";
        }
        if (isClosed(t, all)) {
            return "the client closed the connection during the handshake";
        }
        return "the TLS handshake with the client failed: " + firstMessage(t);
    }

    /**
     * The TLS alert a failure carries, by its RFC 8446 name ("unknown_ca", "bad_certificate",
     * "certificate_required"...), or null when none can be read from the exception.
     */
    public static String alertName(Throwable t) {
        String all = messages(t);
        Matcher jdk = JDK_ALERT.matcher(all);
        if (jdk.find()) {
            return jdk.group(1);
        }
        Matcher ossl = OPENSSL_ALERT.matcher(all);
        if (ossl.find()) {
            return ossl.group(1).toLowerCase(Locale.ROOT);
        }
        if (OPENSSL_CERT_REQUIRED.matcher(all).find()) {
            return "certificate_required";
        }
        return null;
    }

    /** Every value {@link #reasonLabel} returns besides an RFC 8446 alert name: a closed set, for metric labels. */
    public static final java.util.Set<String> LABELS = java.util.Set.of("no_certificate", "untrusted_issuer",
            "bad_signature", "expired", "not_yet_valid", "revoked", "revocation_unknown", "wrong_purpose",
            "name_mismatch", "protocol_mismatch", "cipher_mismatch", "not_tls", "handshake_timeout", "closed", "other",
            "weak_crypto", "not_end_entity", "name_constraints");

    /**
     * Why a handshake failed, as a metric label ({@code gatehouse_downstream_handshake_failures_total},
     * {@code gatehouse_upstream_tls_failures_total}): the check the gateway's own verification
     * failed (no certificate, untrusted issuer, bad signature, expired, not yet valid, revoked,
     * revocation unknown, wrong purpose, name mismatch), what the two sides could not agree on
     * (protocol, cipher), else the alert the peer sent by its RFC 8446 name ("unknown_ca" when a
     * backend refuses our certificate), else "not_tls", "handshake_timeout", "closed" or "other".
     * Never text from the peer.
     */
    public static String reasonLabel(Throwable t) {
        if (find(t, CertificateVerificationException.NameMismatch.class) != null) {
            return "name_mismatch";
        }
        CertificateVerificationException refused = find(t, CertificateVerificationException.class);
        if (refused != null) {
            VerificationResult r = refused.result();
            return switch (r.failedCheck()) {
                case "missing" -> "no_certificate";
                // ChainVerifier's words for an issuer of the right name whose key did not sign the certificate
                case "chain" -> r.reason().contains("did not sign it") ? "bad_signature" : "untrusted_issuer";
                case "not-yet-valid" -> "not_yet_valid";
                case "revocation-unknown" -> "revocation_unknown";
                case "purpose" -> "wrong_purpose";
                case "weak-crypto" -> "weak_crypto";
                case "not-end-entity" -> "not_end_entity";
                case "name-constraints" -> "name_constraints";
                default -> r.failedCheck(); // expired, revoked
            };
        }
        String all = messages(t);
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getClass().getName().equals("io.netty.handler.ssl.SslHandshakeTimeoutException")) {
                return "handshake_timeout"; // by name: this class also serves modules without Netty
            }
        }
        if (contains(all, "PEER_DID_NOT_RETURN_A_CERTIFICATE") || contains(all, "Empty client certificate chain")
                || contains(all, "peer not authenticated")) {
            return "no_certificate";
        }
        if (contains(all, "NO_SHARED_CIPHER") || contains(all, "no cipher suites in common")) {
            return "cipher_mismatch";
        }
        if (contains(all, "UNSUPPORTED_PROTOCOL") || contains(all, "protocol is disabled")
                || contains(all, "Client requested protocol")) {
            return "protocol_mismatch";
        }
        String alert = alertName(t);
        if (alert != null) {
            return switch (alert) {
                case "certificate_required" -> "no_certificate";
                case "protocol_version" -> "protocol_mismatch";
                case "insufficient_security" -> "cipher_mismatch";
                default -> alert.matches("[a-z_0-9]{1,40}") ? alert : "other";
            };
        }
        if (contains(all, "HTTP_REQUEST") || contains(all, "not an SSL/TLS record")
                || contains(all, "WRONG_VERSION_NUMBER") || contains(all, "Unsupported or unrecognized SSL message")) {
            return "not_tls";
        }
        return isClosed(t, all) ? "closed" : "other";
    }

    private static boolean isClosed(Throwable t, String all) {
        return find(t, ClosedChannelException.class) != null || contains(all, "closed")
                || contains(all, "Connection reset") || contains(all, "end of stream")
                || contains(all, "Remote host terminated");
    }

    private static boolean contains(String haystack, String needle) {
        return haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
    }

    private static String messages(Throwable t) {
        StringBuilder s = new StringBuilder();
        int depth = 0;
        for (Throwable c = t; c != null && depth < 12; c = c.getCause(), depth++) {
            s.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append('\n');
            for (Throwable sup : c.getSuppressed()) {
                s.append(sup.getClass().getSimpleName()).append(": ").append(sup.getMessage()).append('\n');
            }
        }
        return s.toString();
    }

    private static String firstMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                return c.getMessage();
            }
        }
        return t == null ? "unknown error" : t.getClass().getSimpleName();
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        int depth = 0;
        for (Throwable c = t; c != null && depth < 12; c = c.getCause(), depth++) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
            for (Throwable sup : c.getSuppressed()) {
                if (type.isInstance(sup)) {
                    return type.cast(sup);
                }
            }
        }
        return null;
    }
}
