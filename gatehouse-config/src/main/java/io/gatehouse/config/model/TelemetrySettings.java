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
 * @param sampleRatio the share of requests, 0 to 1, whose traces are recorded and exported when
 *     the client's {@code traceparent} does not decide (a sampled parent is always followed);
 *     1 by default
 */
public record TelemetrySettings(URI otlpEndpoint, String serviceName, Map<String, Secret> otlpHeaders,
                                double sampleRatio) {
    public static final String DEFAULT_SERVICE_NAME = "gatehouse";

    public TelemetrySettings {
        if (serviceName == null || serviceName.isBlank()) {
            serviceName = DEFAULT_SERVICE_NAME;
        }
        otlpHeaders = otlpHeaders == null ? Map.of() : Map.copyOf(otlpHeaders);
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException("sampleRatio: " + sampleRatio + " (expected 0 to 1)");
        }
    }

    public static TelemetrySettings defaults() {
        return new TelemetrySettings(null, DEFAULT_SERVICE_NAME, Map.of(), 1.0);
    }

    public boolean enabled() {
        return otlpEndpoint != null;
    }
}
