package io.gatehouse.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * What one completed downstream handshake established, captured once and kept on the channel:
 * {@code context.Request.Certificate} and the policies read this record, never the engine.
 *
 * @param sni the server name the client sent, or null (when null is passed to {@code from}, the
 *     name the session recorded is used)
 * @param alpn the negotiated application protocol ("h2", "http/1.1"), or null
 * @param clientChain the client's chain, leaf first; empty when it sent none
 * @param clientVerification the chain's verdict against the hostname's CA store; null when no
 *     certificate was sent
 */
public record HandshakeInfo(String sni, String protocol, String cipherSuite, String alpn,
        List<X509Certificate> clientChain, VerificationResult clientVerification) {

    public HandshakeInfo {
        clientChain = List.copyOf(clientChain == null ? List.of() : clientChain);
        if (clientChain.isEmpty() && clientVerification != null) {
            throw new IllegalArgumentException("clientVerification: given without a client certificate");
        }
    }

    /** The client's leaf certificate, or null. */
    public X509Certificate clientCertificate() {
        return clientChain.isEmpty() ? null : clientChain.get(0);
    }

    /**
     * Reads a finished session. {@code alpn} is not part of {@link SSLSession}: use
     * {@link #from(SSLEngine, String, ChainVerifier)} or pass it with
     * {@link #from(SSLSession, String, String, ChainVerifier)}.
     *
     * @param verifierOrNull the hostname's verifier; null means no CA certificates are configured,
     *     and a client certificate is then recorded as not verified
     */
    public static HandshakeInfo from(SSLSession session, String sni, ChainVerifier verifierOrNull) {
        return from(session, sni, null, verifierOrNull);
    }

    /** As {@link #from(SSLSession, String, ChainVerifier)}, with the negotiated ALPN protocol. */
    public static HandshakeInfo from(SSLSession session, String sni, String alpn, ChainVerifier verifierOrNull) {
        return from(session, sni, alpn, chain -> verifierOrNull == null
                ? VerificationResult.failed("chain", "no trusted CA certificates are configured to check "
                        + ChainVerifier.quote(chain.get(0)) + " against")
                : verifierOrNull.verify(chain, ChainVerifier.Purpose.CLIENT_AUTH, Instant.now()));
    }

    /**
     * Reads a finished session, with the verdict on the client's chain given by {@code judge}
     * (called once, only when the client sent a certificate): the gateway passes what its
     * handshake already established, or the hostname's own chain check.
     */
    public static HandshakeInfo from(SSLSession session, String sni, String alpn,
            Function<List<X509Certificate>, VerificationResult> judge) {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(judge, "judge");
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (Certificate c : session.getPeerCertificates()) {
                if (c instanceof X509Certificate x) {
                    chain.add(x);
                }
            }
        } catch (SSLPeerUnverifiedException e) {
            // the client sent no certificate
        }
        VerificationResult verdict = chain.isEmpty() ? null : Objects.requireNonNull(judge.apply(chain), "verdict");
        if (sni == null && session instanceof javax.net.ssl.ExtendedSSLSession ext) {
            try {
                sni = ext.getRequestedServerNames().stream()
                        .filter(n -> n instanceof javax.net.ssl.SNIHostName)
                        .map(n -> ((javax.net.ssl.SNIHostName) n).getAsciiName())
                        .findFirst().orElse(null);
            } catch (UnsupportedOperationException e) {
                // the provider does not record it; the caller passes the name its SNI handler saw
            }
        }
        return new HandshakeInfo(sni, session.getProtocol(), session.getCipherSuite(),
                alpn == null || alpn.isEmpty() ? null : alpn, chain, verdict);
    }

    /** Reads a finished handshake from its engine, including the ALPN protocol. */
    public static HandshakeInfo from(SSLEngine engine, String sni, ChainVerifier verifierOrNull) {
        return from(engine.getSession(), sni, engine.getApplicationProtocol(), verifierOrNull);
    }

    /** Reads a finished handshake from its engine, with the verdict {@code judge} gives (see above). */
    public static HandshakeInfo from(SSLEngine engine, String sni,
            Function<List<X509Certificate>, VerificationResult> judge) {
        return from(engine.getSession(), sni, engine.getApplicationProtocol(), judge);
    }

    @Override
    public String toString() {
        X509Certificate leaf = clientCertificate();
        return "HandshakeInfo[sni=" + sni + ", " + protocol + ", " + cipherSuite + ", alpn=" + alpn + ", client="
                + (leaf == null ? "none" : ChainVerifier.quote(leaf) + " " + clientVerification) + "]";
    }
}
