package io.gatehouse.tls;

import java.util.Objects;

/**
 * What one hostname's server-side TLS needs: its key pair, what it asks of clients, the CA
 * certificates that client certificates are checked against, revocation and the lowest TLS
 * version ("1.2" or "1.3").
 */
public record DownstreamTls(KeyMaterial serverKey, ClientCertificateMode mode, CaStore caStore,
        RevocationMode revocation, String minimumProtocolVersion) {

    public DownstreamTls {
        Objects.requireNonNull(serverKey, "serverKey");
        mode = mode == null ? ClientCertificateMode.NONE : mode;
        caStore = caStore == null ? CaStore.empty() : caStore;
        revocation = revocation == null ? RevocationMode.SOFT_FAIL : revocation;
        minimumProtocolVersion = minimumProtocolVersion == null ? "1.2" : minimumProtocolVersion.trim();
        if (!minimumProtocolVersion.equals("1.2") && !minimumProtocolVersion.equals("1.3")) {
            throw new IllegalArgumentException("minimumProtocolVersion: " + minimumProtocolVersion
                    + " (expected: \"1.2\" or \"1.3\")");
        }
    }
}
