package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/**
 * A named value, referred to as {@code {{name}}} in policies.
 *
 * @param value the value; empty for a Key Vault named value, whose value is read at load
 * @param keyVault the Key Vault secret holding the value (APIM's Key Vault named values; always
 *     secret), or null
 */
public record NamedValueConfig(String name, String value, boolean secret, Position position,
        CertificateConfig.KeyVaultRef keyVault) {

    public NamedValueConfig(String name, String value, boolean secret, Position position) {
        this(name, value, secret, position, null);
    }

    /** Never shows a secret value. */
    @Override
    public String toString() {
        return "NamedValueConfig[name=" + name + ", value=" + (secret ? "******" : value) + ", secret=" + secret
                + (keyVault == null ? "" : ", keyVault=" + keyVault.secretIdentifier()) + ", position=" + position + "]";
    }
}
