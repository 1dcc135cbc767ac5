package io.gatehouse.config.model;

import java.time.Duration;
import java.util.List;

/**
 * The {@code gateway:} section.
 *
 * @param minimumProtocolVersion "1.2" or "1.3"
 * @param admin null when no admin listener is configured
 * @param drainTimeout how long SIGTERM waits for in-flight requests (not in APIM; default 30 s)
 * @param managedIdentity the token service for authentication-managed-identity; null when the
 *     config names none (the host's IDENTITY_ENDPOINT/IDENTITY_HEADER are used when set)
 */
public record GatewaySettings(
        List<ListenerConfig> listeners,
        String minimumProtocolVersion,
        RevocationMode revocationMode,
        AdminConfig admin,
        Duration drainTimeout,
        ManagedIdentityConfig managedIdentity) {

    public GatewaySettings {
        listeners = List.copyOf(listeners);
    }

    public enum RevocationMode {
        OFF, SOFT_FAIL, HARD_FAIL
    }
}
