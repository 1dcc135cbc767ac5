package io.gatehouse.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCertificateException;
import io.netty.internal.tcnative.CertificateVerifier;

/**
 * The trust and key managers {@link SslContextFactory} installs: what the gateway accepts from
 * clients and backends during a handshake, and the client certificate it presents.
 *
 * <p>With revocation on, the checks may wait for an OCSP responder or a CRL download
 * ({@link RevocationSources}): BoringSSL contexts then hand them out as delegated tasks
 * ({@code OpenSslContextOption.USE_TASKS}) and the gateway's handlers run those on
 * {@link SslContextFactory#handshakeTasks()}, never on an event loop; were one to run on an event
 * loop all the same, it would read the cache only and not wait.
 */
final class HandshakeCertificateChecks {

    private HandshakeCertificateChecks() {
    }

    /**
     * Server side. For REQUEST and REQUIRE every chain is accepted (policies judge it); for the
     * VERIFY modes a chain {@link ChainVerifier} refuses fails the handshake with an alert
     * matching the failed check (unknown_ca, certificate_expired, certificate_revoked...).
     * {@link #getAcceptedIssuers()} gives the roots, whose subjects go in the CertificateRequest.
     */
    static final class Downstream extends X509ExtendedTrustManager {
        private final ClientCertificateMode mode;
        private final ChainVerifier verifier;
        private final X509Certificate[] acceptedIssuers;
        /** Recently verified chains: a client opening a connection per request is not path-built each time. */
        private final VerifiedChains recent = new VerifiedChains(Duration.ofSeconds(30), 10_000);

        Downstream(ClientCertificateMode mode, ChainVerifier verifier) {
            this.mode = Objects.requireNonNull(mode, "mode");
            this.verifier = Objects.requireNonNull(verifier, "verifier");
            this.acceptedIssuers = verifier.store().roots().toArray(X509Certificate[]::new);
        }

        private void check(X509Certificate[] chain) throws CertificateException {
            if (!mode.verifiesInHandshake()) {
                return; // REQUEST / REQUIRE: the policy decides; HandshakeInfo records the verdict
            }
            List<X509Certificate> presented = List.of(chain);
            if (recent.isKnownValid(presented)) {
                return;
            }
            Instant now = Instant.now();
            VerificationResult r = verifier.verify(presented, ChainVerifier.Purpose.CLIENT_AUTH, now);
            if (!r.valid()) {
                throw withAlert(new CertificateVerificationException(r));
            }
            recent.remember(presented, now);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a server-side trust manager cannot check servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a server-side trust manager cannot check servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server-side trust manager cannot check servers");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return acceptedIssuers.clone();
        }
    }

    /**
     * Client side. Verifies the backend's chain with {@link ChainVerifier} (SERVER_AUTH) unless
     * {@code verifier} is null, which is {@code validateCertificateChain: false} and trusts ANY
     * chain; checks the name when the engine's endpoint identification algorithm is "HTTPS"
     * (set by {@link SslContextFactory#upstreamEngine}), against the engine's peer host.
     */
    static final class Upstream extends X509ExtendedTrustManager {
        private final ChainVerifier verifierOrNullToTrustAnyChain;

        Upstream(ChainVerifier verifierOrNullToTrustAnyChain) {
            this.verifierOrNullToTrustAnyChain = verifierOrNullToTrustAnyChain;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            checkChain(chain);
            if (engine != null) {
                SSLParameters p = engine.getSSLParameters();
                if ("HTTPS".equalsIgnoreCase(p.getEndpointIdentificationAlgorithm()) && engine.getPeerHost() != null) {
                    checkName(chain[0], engine.getPeerHost());
                }
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            checkChain(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            checkChain(chain);
        }

        private void checkChain(X509Certificate[] chain) throws CertificateException {
            if (verifierOrNullToTrustAnyChain == null) {
                return; // validateCertificateChain: false — INSECURE, any chain is accepted
            }
            VerificationResult r = verifierOrNullToTrustAnyChain.verify(List.of(chain),
                    ChainVerifier.Purpose.SERVER_AUTH, Instant.now());
            if (!r.valid()) {
                throw withAlert(new CertificateVerificationException(r));
            }
        }

        private static void checkName(X509Certificate leaf, String host) throws CertificateException {
            if (!HostnameMatcher.matches(leaf, host)) {
                CertificateException e = new CertificateVerificationException.NameMismatch(host,
                        HostnameMatcher.names(leaf));
                throw OpenSsl.isAvailable()
                        ? new OpenSslCertificateException(e.getMessage(), e, CertificateVerifier.X509_V_ERR_HOSTNAME_MISMATCH)
                        : e;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("a client-side trust manager cannot check clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("a client-side trust manager cannot check clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client-side trust manager cannot check clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /**
     * Chooses the client certificate presented to a backend from {@code credentials.certificateIds}:
     * when the backend's CertificateRequest names the CAs it accepts, the first certificate whose
     * chain reaches one of them (its own issuer or any certificate sent with it, by name); when it
     * names none, or none of ours fits, the first. Something is always presented, as curl and .NET
     * do: the JDK's own key managers send nothing when no certificate fits the CA list, which turns
     * the backend's clear "unknown_ca" into a confusing "certificate_required".
     */
    static final class PresentedKeyManager extends X509ExtendedKeyManager {
        private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PresentedKeyManager.class);
        private static final String PREFIX = "gatehouse-client-";
        private final List<KeyMaterial> keys;
        private final String[] aliases;
        /** Per key, the names its chain can be reached through: every issuer and subject on it. */
        private final List<java.util.Set<javax.security.auth.x500.X500Principal>> reachable;

        PresentedKeyManager(KeyMaterial key) {
            this(List.of(key));
        }

        PresentedKeyManager(List<KeyMaterial> keys) {
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("no client certificate to present");
            }
            this.keys = List.copyOf(keys);
            this.aliases = new String[keys.size()];
            List<java.util.Set<javax.security.auth.x500.X500Principal>> names = new java.util.ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                aliases[i] = PREFIX + i;
                java.util.Set<javax.security.auth.x500.X500Principal> n = new java.util.HashSet<>();
                for (X509Certificate c : keys.get(i).chain()) {
                    n.add(c.getIssuerX500Principal());
                    n.add(c.getSubjectX500Principal());
                }
                names.add(java.util.Set.copyOf(n));
            }
            this.reachable = List.copyOf(names);
        }

        /** The index of the key presented to a backend that names {@code issuers} (null or empty: any). */
        int choose(Principal[] issuers) {
            if (keys.size() == 1 || issuers == null || issuers.length == 0) {
                return 0;
            }
            for (int i = 0; i < keys.size(); i++) {
                for (Principal p : issuers) {
                    if (p instanceof javax.security.auth.x500.X500Principal x && reachable.get(i).contains(x)) {
                        if (i > 0 && log.isDebugEnabled()) {
                            log.debug("presenting client certificate '{}' (number {} in credentials.certificateIds): the "
                                    + "backend accepts certificates from '{}'", io.gatehouse.common.x509.DotNetNames
                                    .format(keys.get(i).leaf().getSubjectX500Principal()), i + 1,
                                    io.gatehouse.common.x509.DotNetNames.format(x));
                        }
                        return i;
                    }
                }
            }
            return 0;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return aliases[choose(issuers)];
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return aliases[choose(issuers)];
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return aliases.clone();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        private KeyMaterial key(String alias) {
            if (alias != null && alias.startsWith(PREFIX)) {
                try {
                    int i = Integer.parseInt(alias.substring(PREFIX.length()));
                    return i >= 0 && i < keys.size() ? keys.get(i) : null;
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            KeyMaterial k = key(alias);
            return k == null ? null : k.chain().toArray(X509Certificate[]::new);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            KeyMaterial k = key(alias);
            // a token key stays on the token: BoringSSL gets no key and signs through TokenSigner
            return k == null || k.onToken() ? null : k.key();
        }
    }

    /**
     * Wraps the failure so BoringSSL sends the alert that names the failed check; with the JDK
     * provider the plain exception is thrown and the JDK picks the alert.
     */
    static CertificateException withAlert(CertificateVerificationException e) {
        if (!OpenSsl.isAvailable()) {
            return e;
        }
        int code = switch (e.result().failedCheck()) {
            case "expired" -> CertificateVerifier.X509_V_ERR_CERT_HAS_EXPIRED;
            case "not-yet-valid" -> CertificateVerifier.X509_V_ERR_CERT_NOT_YET_VALID;
            case "revoked" -> CertificateVerifier.X509_V_ERR_CERT_REVOKED;
            case "purpose" -> CertificateVerifier.X509_V_ERR_INVALID_PURPOSE;
            case "revocation-unknown" -> CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_CRL;
            default -> CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY; // unknown_ca
        };
        return new OpenSslCertificateException(e.getMessage(), e, code);
    }
}
