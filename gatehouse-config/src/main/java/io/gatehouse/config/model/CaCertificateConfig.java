package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.nio.file.Path;

/**
 * One APIM "CA certificate".
 *
 * @param file PEM or DER file, or null when {@code pem} is given inline
 * @param pem inline PEM text, or null
 * @param storeName Root (a trust anchor) or CertificateAuthority (an intermediate)
 * @param crlFile optional CRL for this CA
 * @param keyVault a Key Vault secret holding the certificate (PEM, DER or PFX), or null
 */
public record CaCertificateConfig(
        String id, Path file, String pem, StoreName storeName, Path crlFile, Position position,
        CertificateConfig.KeyVaultRef keyVault) {

    public CaCertificateConfig(String id, Path file, String pem, StoreName storeName, Path crlFile, Position position) {
        this(id, file, pem, storeName, crlFile, position, null);
    }

    public enum StoreName {
        ROOT, CERTIFICATE_AUTHORITY
    }
}
