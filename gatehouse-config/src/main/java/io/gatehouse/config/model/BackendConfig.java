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
     */
    public record BackendTls(
            boolean validateCertificateChain,
            boolean validateCertificateName,
            String serverName,
            List<String> trustedCaCertificateIds) {

        public BackendTls {
            trustedCaCertificateIds = List.copyOf(trustedCaCertificateIds);
        }

        public static BackendTls defaults() {
            return new BackendTls(true, true, null, List.of());
        }
    }
}
