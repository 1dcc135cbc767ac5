package io.gatehouse.config.model;

import io.gatehouse.common.Secret;
import java.net.URI;
import java.util.Map;

/**
 * {@code gateway.telemetry}: OpenTelemetry spans exported over OTLP.
 *
 * @param otlpEndpoint the OTLP/HTTP endpoint (for example {@code http://collector:4318}); null:
 *     no spans are made or exported (W3C {@code traceparent} headers still pass through untouched)
 * @param serviceName the {@code service.name} resource attribute (default {@code gatehouse})
 * @param otlpHeaders headers sent with each export (an API key, say): secrets, never logged
 */
public record TelemetrySettings(URI otlpEndpoint, String serviceName, Map<String, Secret> otlpHeaders) {
    public static final String DEFAULT_SERVICE_NAME = "gatehouse";

    public TelemetrySettings {
        if (serviceName == null || serviceName.isBlank()) {
            serviceName = DEFAULT_SERVICE_NAME;
        }
        otlpHeaders = otlpHeaders == null ? Map.of() : Map.copyOf(otlpHeaders);
    }

    public static TelemetrySettings defaults() {
        return new TelemetrySettings(null, DEFAULT_SERVICE_NAME, Map.of());
    }

    public boolean enabled() {
        return otlpEndpoint != null;
    }
}
