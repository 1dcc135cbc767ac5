package io.gatehouse.config.model;

import java.time.Duration;
import java.util.List;

/**
 * The {@code gateway:} section.
 *
 * @param minimumProtocolVersion "1.2" or "1.3"
 * @param admin null when no admin listener is configured
 * @param drainTimeout how long SIGTERM waits for in-flight requests (not in APIM; default 30 s)
 */
public record GatewaySettings(
        List<ListenerConfig> listeners,
        String minimumProtocolVersion,
        RevocationMode revocationMode,
        AdminConfig admin,
        Duration drainTimeout) {

    public GatewaySettings {
        listeners = List.copyOf(listeners);
    }

    public enum RevocationMode {
        OFF, SOFT_FAIL, HARD_FAIL
    }
}
