package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;
import io.gatehouse.tls.Pkcs11KeySpec;
import java.nio.file.Path;

/**
 * One APIM "Certificate": a key pair (PEM certificate chain + key, or PFX + password), or a
 * public certificate alone (for matching), or a key on a PKCS#11 token. Exactly one source is set
 * ({@code pkcs11} may come with {@code certificateFile}, for the chain).
 *
 * @param keyPassword password of an encrypted PEM key, or null
 * @param keyVault a Key Vault reference (a secret holding a PFX or PEM), or null
 * @param pkcs11 a private key on a PKCS#11 token, or null; its certificate comes from the token, or
 *     from {@code certificateFile} when that is given
 */
public record CertificateConfig(
        String id,
        Path certificateFile,
        Path keyFile,
        Secret keyPassword,
        Path pfx,
        Secret password,
        KeyVaultRef keyVault,
        Pkcs11KeySpec pkcs11,
        Position position) {

    /** A certificate without a PKCS#11 key. */
    public CertificateConfig(String id, Path certificateFile, Path keyFile, Secret keyPassword, Path pfx,
            Secret password, KeyVaultRef keyVault, Position position) {
        this(id, certificateFile, keyFile, keyPassword, pfx, password, keyVault, null, position);
    }

    /**
     * A Key Vault secret ({@code https://VAULT.vault.azure.net/secrets/NAME[/VERSION]}), read with
     * the identity {@code identityClientId} (a user-assigned managed identity's client id), or with
     * {@code gateway.keyVault}'s default identity when null. Used by certificates, CA certificates
     * and named values.
     */
    public record KeyVaultRef(String secretIdentifier, String identityClientId) {
    }

    public boolean hasPrivateKey() {
        return keyFile != null || pfx != null || keyVault != null || pkcs11 != null;
    }
}
