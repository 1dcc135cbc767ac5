package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import io.gatehouse.tls.ClientCertificateMode;

/**
 * One custom domain (APIM "custom domains"): served by SNI with its own certificate and its
 * own client-certificate mode. {@code negotiateClientCertificate: true} is read as
 * {@link ClientCertificateMode#REQUEST}.
 */
public record HostnameConfig(
        String hostName,
        String certificateId,
        ClientCertificateMode clientCertificateMode,
        boolean defaultSslBinding,
        Position position) {
}
