package io.gatehouse.expr.context;

import java.util.Map;
import java.util.TreeMap;

/**
 * {@code context.Deployment}: Region, ServiceName, ServiceId and Certificates (the gateway's
 * uploaded certificates by upper-case thumbprint).
 */
public record Deployment(String region, String serviceName, String serviceId, Map<String, X509Certificate2> certificates) {
    public Deployment {
        TreeMap<String, X509Certificate2> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (certificates != null) {
            m.putAll(certificates);
        }
        certificates = java.util.Collections.unmodifiableMap(m);
    }

    /** This gateway, with no deployment certificates. */
    public static final Deployment LOCAL = new Deployment("local", "gatehouse", "gatehouse", Map.of());

    public static Deployment local() {
        return LOCAL;
    }
}
