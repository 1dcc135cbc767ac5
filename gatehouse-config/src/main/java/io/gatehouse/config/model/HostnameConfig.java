package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import io.gatehouse.tls.ClientCertificateMode;
import java.util.List;

/**
 * One custom domain (APIM "custom domains"): served by SNI with its own certificate and its
 * own client-certificate mode. {@code negotiateClientCertificate: true} is read as
 * {@link ClientCertificateMode#REQUEST}.
 *
 * @param trustedCaCertificateIds the CA certificates that verify this hostname's client
 *     certificates (in the handshake, in the CertificateRequest's CA names, in {@code Verify()}
 *     and {@code validate-client-certificate}); empty means every {@code storeName: Root} entry
 */
public record HostnameConfig(
        String hostName,
        String certificateId,
        ClientCertificateMode clientCertificateMode,
        boolean defaultSslBinding,
        Position position,
        List<String> trustedCaCertificateIds) {

    public HostnameConfig {
        trustedCaCertificateIds = trustedCaCertificateIds == null ? List.of() : List.copyOf(trustedCaCertificateIds);
    }

    /** As before {@code trustedCaCertificateIds}: every Root CA certificate verifies clients. */
    public HostnameConfig(String hostName, String certificateId, ClientCertificateMode clientCertificateMode,
            boolean defaultSslBinding, Position position) {
        this(hostName, certificateId, clientCertificateMode, defaultSslBinding, position, List.of());
    }
}
