package io.gatehouse.config.keyvault;

/**
 * One config entry read from Key Vault by a load, with the version that load used.
 *
 * @param kind {@code certificate}, {@code caCertificate} or {@code namedValue}
 * @param id the entry's id (or a named value's name)
 * @param reference the secret
 * @param identityClientId the user-assigned identity named for it, or null
 * @param version the version in use; null when none could be read
 */
public record KeyVaultItem(String kind, String id, KeyVaultReference reference, String identityClientId, String version) {
}
