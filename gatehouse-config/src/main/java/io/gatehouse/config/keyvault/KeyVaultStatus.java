package io.gatehouse.config.keyvault;

import java.time.Instant;

/**
 * What one Key Vault-backed item is serving and how its last refresh went, for an admin view.
 * Holds no secret value.
 *
 * @param kind {@code certificate}, {@code caCertificate} or {@code namedValue}
 * @param id the certificate or CA certificate id, or the named value's name
 * @param vaultUrl {@code https://VAULT.vault.azure.net}
 * @param secretName the secret's name
 * @param pinnedVersion the version the config pins, or null when it follows the latest
 * @param versionInService the version the running config uses, or null when none could be read
 * @param lastRefresh when the vault was last asked (successfully or not), or null
 * @param lastError the last refresh's failure in words, or null when it succeeded
 */
public record KeyVaultStatus(String kind, String id, String vaultUrl, String secretName, String pinnedVersion,
        String versionInService, Instant lastRefresh, String lastError) {
}
