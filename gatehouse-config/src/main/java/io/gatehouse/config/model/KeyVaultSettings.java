package io.gatehouse.config.model;

import java.time.Duration;
import java.util.List;

/**
 * {@code gateway.keyVault}: how the gateway reads Key Vault references ({@code certificates[].keyVault},
 * {@code caCertificates[].keyVault}, {@code namedValues[].keyVault}).
 *
 * @param refreshInterval how often a versionless reference is checked for a newer version
 *     (default 1 hour; APIM checks every 4 hours)
 * @param credential which azure-identity credential signs in when {@code gateway.managedIdentity}
 *     names no token endpoint: one of {@link #CREDENTIALS}
 * @param identityClientId the user-assigned managed identity (or workload identity app) used by
 *     references that name none; null for the system-assigned identity
 */
public record KeyVaultSettings(Duration refreshInterval, String credential, String identityClientId) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofHours(1);
    /** The accepted values of {@code gateway.keyVault.credential}. */
    public static final List<String> CREDENTIALS = List.of("default", "managed-identity", "workload-identity",
            "environment", "azure-cli");

    public KeyVaultSettings {
        if (refreshInterval == null) {
            refreshInterval = DEFAULT_REFRESH_INTERVAL;
        }
        if (credential == null) {
            credential = "default";
        }
    }

    public static KeyVaultSettings defaults() {
        return new KeyVaultSettings(DEFAULT_REFRESH_INTERVAL, "default", null);
    }
}
