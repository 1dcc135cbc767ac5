package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * One APIM backend entity.
 *
 * @param certificateIds client certificates that may be presented to the backend: the first that
 *     chains to a CA the backend names in its certificate request, else the first
 * @param timeout how long to wait for the response
 */
public record BackendConfig(
        String id, URI url, BackendTls tls, List<String> certificateIds, Duration timeout, Position position) {

    public BackendConfig {
        certificateIds = List.copyOf(certificateIds);
    }

    /**
     * @param serverName SNI and the name checked; null means the url's host
     * @param trustedCaCertificateIds empty means the JDK trust store plus Root CA certificates
     * @param revocation the revocation mode for this backend's certificate; null means
     *     {@code gateway.revocation.mode}
     */
    public record BackendTls(
            boolean validateCertificateChain,
            boolean validateCertificateName,
            String serverName,
            List<String> trustedCaCertificateIds,
            GatewaySettings.RevocationMode revocation) {

        public BackendTls {
            trustedCaCertificateIds = List.copyOf(trustedCaCertificateIds);
        }

        /** Revocation as {@code gateway.revocation.mode} says. */
        public BackendTls(boolean validateCertificateChain, boolean validateCertificateName, String serverName,
                List<String> trustedCaCertificateIds) {
            this(validateCertificateChain, validateCertificateName, serverName, trustedCaCertificateIds, null);
        }

        public static BackendTls defaults() {
            return new BackendTls(true, true, null, List.of());
        }
    }
}
