package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;
import java.nio.file.Path;

/**
 * One APIM "Certificate": a key pair (PEM certificate chain + key, or PFX + password), or a
 * public certificate alone (for matching). Exactly one source is set.
 *
 * @param keyPassword password of an encrypted PEM key, or null
 * @param keyVault a Key Vault reference (a secret holding a PFX or PEM), or null
 */
public record CertificateConfig(
        String id,
        Path certificateFile,
        Path keyFile,
        Secret keyPassword,
        Path pfx,
        Secret password,
        KeyVaultRef keyVault,
        Position position) {

    /**
     * A Key Vault secret ({@code https://VAULT.vault.azure.net/secrets/NAME[/VERSION]}), read with
     * the identity {@code identityClientId} (a user-assigned managed identity's client id), or with
     * {@code gateway.keyVault}'s default identity when null. Used by certificates, CA certificates
     * and named values.
     */
    public record KeyVaultRef(String secretIdentifier, String identityClientId) {
    }

    public boolean hasPrivateKey() {
        return keyFile != null || pfx != null || keyVault != null;
    }
}
