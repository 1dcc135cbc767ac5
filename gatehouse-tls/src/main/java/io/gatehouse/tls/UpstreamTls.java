package io.gatehouse.tls;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * What the gateway's TLS client needs for one backend. {@code trustedCas} empty means: the JDK's
 * default trust store plus the Root certificates of {@code caStore}. {@code clientKey} is the
 * certificate presented to the backend (outbound mTLS), or null. {@code revocation} is the mode
 * the server's certificate is checked with (configured CRLs, OCSP, CRL distribution points, see
 * {@link CrlChecks}): the backend's {@code tls.revocation}, else {@code gateway.revocation.mode}.
 *
 * <p>{@code validateCertificateChain = false} trusts any certificate the backend shows, as APIM
 * allows; it makes the connection open to interception and is meant for development only.
 */
public record UpstreamTls(boolean validateCertificateChain, boolean validateCertificateName,
        List<X509Certificate> trustedCas, CaStore caStore, KeyMaterial clientKey, RevocationMode revocation) {

    public UpstreamTls {
        trustedCas = List.copyOf(trustedCas == null ? List.of() : trustedCas);
        caStore = caStore == null ? CaStore.empty() : caStore;
        revocation = revocation == null ? RevocationMode.SOFT_FAIL : revocation;
    }

    /** Revocation {@link RevocationMode#SOFT_FAIL}, as backends have always been checked. */
    public UpstreamTls(boolean validateCertificateChain, boolean validateCertificateName,
            List<X509Certificate> trustedCas, CaStore caStore, KeyMaterial clientKey) {
        this(validateCertificateChain, validateCertificateName, trustedCas, caStore, clientKey, RevocationMode.SOFT_FAIL);
    }

    /** Chain and name checked against the JDK trust store and {@code caStore}, no client certificate. */
    public static UpstreamTls defaults(CaStore caStore) {
        return new UpstreamTls(true, true, List.of(), caStore, null);
    }
}
