package io.gatehouse.config.keyvault;

/**
 * One config entry read from Key Vault by a load, with the version that load used.
 *
 * @param kind {@code certificate}, {@code caCertificate}, {@code namedValue} or {@code subscriptionKey}
 * @param id the entry's id (or a named value's name; for a subscription key, {@code 'ID' primaryKey} or
 *     {@code 'ID' secondaryKey})
 * @param reference the secret
 * @param identityClientId the user-assigned identity named for it, or null
 * @param version the version in use; null when none could be read
 */
public record KeyVaultItem(String kind, String id, KeyVaultReference reference, String identityClientId, String version) {
}
