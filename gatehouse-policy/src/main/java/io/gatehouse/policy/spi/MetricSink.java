package io.gatehouse.policy.spi;

import java.util.Locale;
import java.util.Map;

/**
 * Where {@code emit-metric} sends its custom metrics; set with
 * {@code PolicyEnvironment.builder().metricSink(...)}. The default, {@link #NONE}, keeps nothing:
 * the policy still loads, is checked and evaluates its values.
 *
 * <p>{@link #emit} is called on the request's thread for every execution of the policy: it must be
 * cheap and thread-safe, and must not block (count into a registry; ship elsewhere).
 *
 * <p>APIM's names are free text ({@code namespace="API Management"}, dimension {@code "API ID"});
 * a Prometheus sink maps them with {@link #prometheusName} and {@link #prometheusLabel}: lower
 * case, every run of characters outside {@code [a-z0-9_]} becomes one {@code _}, leading and
 * trailing {@code _} are dropped, and a name that would start with a digit gets a leading
 * {@code _}. So namespace {@code "API Management"} and name {@code "Request"} give metric
 * {@code api_management_request}, and dimension {@code "API ID"} gives label {@code api_id}. Two
 * dimensions that map to the same label are a load-time error of emit-metric.
 */
@FunctionalInterface
public interface MetricSink {
    /** Keeps nothing. */
    MetricSink NONE = (namespace, name, value, dimensions) -> {
    };

    /**
     * One data point.
     *
     * @param namespace the metric's namespace as written (APIM's default: {@code API Management})
     * @param name the metric's name as written
     * @param value the value (1 unless the policy says otherwise)
     * @param dimensions dimension name (as written) to value, in the policy's order; values are
     *     never null (a missing one is "")
     */
    void emit(String namespace, String name, double value, Map<String, String> dimensions);

    /**
     * A policy loaded as a no-op under {@code gateway.unsupportedPolicies: skip} was reached by a
     * request (and did nothing). Nothing by default.
     */
    default void policySkipped(String policy) {
    }

    /** The Prometheus metric name for {@code namespace} and {@code name} (see the class comment). */
    static String prometheusName(String namespace, String name) {
        String ns = sanitize(namespace);
        String n = sanitize(name);
        String joined = ns.isEmpty() ? n : n.isEmpty() ? ns : ns + "_" + n;
        return joined.isEmpty() ? "_" : Character.isDigit(joined.charAt(0)) ? "_" + joined : joined;
    }

    /** The Prometheus label name for a dimension name (see the class comment). */
    static String prometheusLabel(String dimension) {
        String s = sanitize(dimension);
        return s.isEmpty() ? "_" : Character.isDigit(s.charAt(0)) ? "_" + s : s;
    }

    private static String sanitize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean gap = false;
        for (char ch : s.toLowerCase(Locale.ROOT).toCharArray()) {
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
                if (gap && !sb.isEmpty()) {
                    sb.append('_');
                }
                sb.append(ch);
                gap = false;
            } else {
                gap = true;
            }
        }
        return sb.toString();
    }
}
