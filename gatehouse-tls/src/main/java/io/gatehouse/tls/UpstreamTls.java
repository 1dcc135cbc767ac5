package io.gatehouse.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What the gateway's TLS client needs for one backend. {@code trustedCas} empty means: the JDK's
 * default trust store plus the Root certificates of {@code caStore}. {@code clientKeys} are the
 * certificates that may be presented to the backend (outbound mTLS), in the config's order, or
 * empty: when the backend's CertificateRequest names acceptable CAs, the first that chains to one
 * of them is presented, otherwise the first. {@code revocation} is the mode
 * the server's certificate is checked with (configured CRLs, OCSP, CRL distribution points, see
 * {@link CrlChecks}): the backend's {@code tls.revocation}, else {@code gateway.revocation.mode}.
 *
 * <p>{@code validateCertificateChain = false} trusts any certificate the backend shows, as APIM
 * allows; it makes the connection open to interception and is meant for development only.
 */
public record UpstreamTls(boolean validateCertificateChain, boolean validateCertificateName,
        List<X509Certificate> trustedCas, CaStore caStore, List<KeyMaterial> clientKeys, RevocationMode revocation) {

    public UpstreamTls {
        trustedCas = List.copyOf(trustedCas == null ? List.of() : trustedCas);
        clientKeys = List.copyOf(clientKeys == null ? List.of() : clientKeys);
        caStore = caStore == null ? CaStore.empty() : caStore;
        revocation = revocation == null ? RevocationMode.SOFT_FAIL : revocation;
    }

    /** One client certificate ({@code clientKey}, or none when null). */
    public UpstreamTls(boolean validateCertificateChain, boolean validateCertificateName,
            List<X509Certificate> trustedCas, CaStore caStore, KeyMaterial clientKey, RevocationMode revocation) {
        this(validateCertificateChain, validateCertificateName, trustedCas, caStore,
                clientKey == null ? List.<KeyMaterial>of() : List.of(clientKey), revocation);
    }

    /** The certificate presented when the backend names no CA it accepts (the first), or null. */
    public KeyMaterial clientKey() {
        return clientKeys.isEmpty() ? null : clientKeys.get(0);
    }

    /** Revocation {@link RevocationMode#SOFT_FAIL}, as backends have always been checked. */
    public UpstreamTls(boolean validateCertificateChain, boolean validateCertificateName,
            List<X509Certificate> trustedCas, CaStore caStore, KeyMaterial clientKey) {
        this(validateCertificateChain, validateCertificateName, trustedCas, caStore, clientKey, RevocationMode.SOFT_FAIL);
    }

    /** Chain and name checked against the JDK trust store and {@code caStore}, no client certificate. */
    public static UpstreamTls defaults(CaStore caStore) {
        return new UpstreamTls(true, true, List.of(), caStore, (KeyMaterial) null);
    }
}
