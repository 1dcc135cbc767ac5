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
 * @param trustedProxies address ranges (CIDR) of proxies whose forwarding headers are kept and
 *     appended to; empty: every peer is a client, and its forwarding headers are replaced
 * @param identityHeaders request header names (or prefixes ending in '*') removed from every
 *     request in addition to the built-in identity list
 * @param connectionLimits {@code gateway.timeouts} and {@code gateway.limits}; defaults when null
 * @param certificateExpiryWarning {@code gateway.certificates.expiryWarningDays}: how long before a
 *     certificate's notAfter the gateway warns (log, {@code /certificates}, a gauge); 30 days when null
 * @param keyVault {@code gateway.keyVault}: how Key Vault references are read and refreshed;
 *     defaults when null
 * @param accessLog {@code gateway.accessLog}; defaults (JSON to standard output) when null
 * @param trace {@code gateway.trace}; off when null
 * @param telemetry {@code gateway.telemetry}; off when null
 * @param skipUnsupportedPolicies {@code gateway.unsupportedPolicies: skip}: policies Gatehouse
 *     cannot run (Azure-only services, APIM policies not built yet) load as no-ops, each with a
 *     warning, instead of being load errors
 * @param daprHttpEndpoint {@code gateway.dapr.httpEndpoint}: the Dapr sidecar's HTTP API for the
 *     Dapr policies; null for the default, {@code http://localhost:3500}
 * @param externalCache {@code gateway.externalCache}: the Redis several gateways share; null for none
 */
public record GatewaySettings(
        List<ListenerConfig> listeners,
        String minimumProtocolVersion,
        RevocationMode revocationMode,
        AdminConfig admin,
        Duration drainTimeout,
        ManagedIdentityConfig managedIdentity,
        List<String> trustedProxies,
        List<String> identityHeaders,
        ConnectionLimits connectionLimits,
        KeyVaultSettings keyVault,
        Duration certificateExpiryWarning,
        AccessLogSettings accessLog,
        TraceSettings trace,
        TelemetrySettings telemetry,
        boolean skipUnsupportedPolicies,
        java.net.URI daprHttpEndpoint,
        ExternalCacheSettings externalCache) {

    /** The default of {@code gateway.certificates.expiryWarningDays}. */
    public static final Duration DEFAULT_EXPIRY_WARNING = Duration.ofDays(30);

    public GatewaySettings(List<ListenerConfig> listeners, String minimumProtocolVersion, RevocationMode revocationMode,
            AdminConfig admin, Duration drainTimeout, ManagedIdentityConfig managedIdentity, List<String> trustedProxies,
            List<String> identityHeaders, ConnectionLimits connectionLimits) {
        this(listeners, minimumProtocolVersion, revocationMode, admin, drainTimeout, managedIdentity, trustedProxies,
                identityHeaders, connectionLimits, null, null, null, null, null, false, null, null);
    }

    /** Without a Dapr sidecar address (the default one applies). */
    public GatewaySettings(List<ListenerConfig> listeners, String minimumProtocolVersion, RevocationMode revocationMode,
            AdminConfig admin, Duration drainTimeout, ManagedIdentityConfig managedIdentity, List<String> trustedProxies,
            List<String> identityHeaders, ConnectionLimits connectionLimits, KeyVaultSettings keyVault,
            Duration certificateExpiryWarning, AccessLogSettings accessLog, TraceSettings trace, TelemetrySettings telemetry) {
        this(listeners, minimumProtocolVersion, revocationMode, admin, drainTimeout, managedIdentity, trustedProxies,
                identityHeaders, connectionLimits, keyVault, certificateExpiryWarning, accessLog, trace, telemetry, false, null, null);
    }

    /** Without an external cache. */
    public GatewaySettings(List<ListenerConfig> listeners, String minimumProtocolVersion, RevocationMode revocationMode,
            AdminConfig admin, Duration drainTimeout, ManagedIdentityConfig managedIdentity, List<String> trustedProxies,
            List<String> identityHeaders, ConnectionLimits connectionLimits, KeyVaultSettings keyVault,
            Duration certificateExpiryWarning, AccessLogSettings accessLog, TraceSettings trace, TelemetrySettings telemetry,
            boolean skipUnsupportedPolicies, java.net.URI daprHttpEndpoint) {
        this(listeners, minimumProtocolVersion, revocationMode, admin, drainTimeout, managedIdentity, trustedProxies,
                identityHeaders, connectionLimits, keyVault, certificateExpiryWarning, accessLog, trace, telemetry,
                skipUnsupportedPolicies, daprHttpEndpoint, null);
    }

    public GatewaySettings {
        if (keyVault == null) {
            keyVault = KeyVaultSettings.defaults();
        }
        listeners = List.copyOf(listeners);
        trustedProxies = List.copyOf(trustedProxies);
        identityHeaders = List.copyOf(identityHeaders);
        if (connectionLimits == null) {
            connectionLimits = ConnectionLimits.defaults();
        }
        if (certificateExpiryWarning == null) {
            certificateExpiryWarning = DEFAULT_EXPIRY_WARNING;
        }
        if (accessLog == null) {
            accessLog = AccessLogSettings.defaults();
        }
        if (trace == null) {
            trace = TraceSettings.defaults();
        }
        if (telemetry == null) {
            telemetry = TelemetrySettings.defaults();
        }
    }

    /** The connection limit of a listener: its own {@code maxConnections}, else the gateway's. */
    public int maxConnections(ListenerConfig listener) {
        return listener.maxConnections() != null ? listener.maxConnections() : connectionLimits.maxConnections();
    }

    public enum RevocationMode {
        OFF, SOFT_FAIL, HARD_FAIL
    }
}
