package io.gatehouse.proxy;

import io.gatehouse.policy.spi.MetricSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The metrics docs/metrics.md lists, in a Prometheus registry served on the admin port. Counters
 * are looked up once per label set and cached, so the request path does one map lookup.
 */
public final class GatewayMetrics implements MetricSink {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final List<Meter> certificateGauges = new ArrayList<>();

    public GatewayMetrics() {
        Gauge.builder("gatehouse_config_last_success_timestamp_seconds", lastGoodLoad,
                        java.util.concurrent.atomic.AtomicLong::get)
                .description("When the config serving now went into service (Unix time, seconds)")
                .strongReference(true).register(registry);
        // the buffer pool's memory: with RSS, what tells pooled buffers from TLS state and malloc
        if (Buffers.ALLOCATOR instanceof io.netty.buffer.ByteBufAllocatorMetricProvider p) {
            io.netty.buffer.ByteBufAllocatorMetric m = p.metric();
            Gauge.builder("gatehouse_buffer_pool_direct_bytes", m, x -> x.usedDirectMemory())
                    .description("Direct memory held by the gateway's buffer pool (in use and cached)").register(registry);
            Gauge.builder("gatehouse_buffer_pool_heap_bytes", m, x -> x.usedHeapMemory())
                    .description("Heap memory held by the gateway's buffer pool").register(registry);
        }
        if (Buffers.ALLOCATOR instanceof io.netty.buffer.PooledByteBufAllocator pooled) {
            Gauge.builder("gatehouse_buffer_pool_direct_in_use_bytes", pooled, x -> x.pinnedDirectMemory())
                    .description("Direct memory of the buffer pool's buffers in use now (the rest is cached or free)")
                    .register(registry);
        }
    }

    public String scrape() {
        return registry.scrape();
    }

    /**
     * Buckets of the latency histograms, in seconds: from a cached answer on this machine to a
     * backend at the edge of a 30 s timeout.
     */
    private static final java.time.Duration[] LATENCY_BUCKETS = java.util.stream.DoubleStream.of(
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
            .mapToObj(sec -> java.time.Duration.ofNanos((long) (sec * 1e9))).toArray(java.time.Duration[]::new);

    private static final String[] STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

    /** An operation's meters: request counters by status, latency timers by status class. */
    private static final class OperationMeters {
        final java.util.concurrent.atomic.AtomicReferenceArray<Counter> byStatus =
                new java.util.concurrent.atomic.AtomicReferenceArray<>(600);
        final java.util.concurrent.atomic.AtomicReferenceArray<Timer> requestByClass =
                new java.util.concurrent.atomic.AtomicReferenceArray<>(STATUS_CLASSES.length);
        final java.util.concurrent.atomic.AtomicReferenceArray<Timer> backendByClass =
                new java.util.concurrent.atomic.AtomicReferenceArray<>(STATUS_CLASSES.length);
    }

    /** Meters by API, then operation: no key is built on the request path. */
    private final Map<String, Map<String, OperationMeters>> operations = new ConcurrentHashMap<>();

    private OperationMeters operation(String api, String operation) {
        Map<String, OperationMeters> byOp = operations.get(api);
        if (byOp == null) {
            byOp = operations.computeIfAbsent(api, k -> new ConcurrentHashMap<>());
        }
        OperationMeters m = byOp.get(operation);
        if (m == null) {
            m = byOp.computeIfAbsent(operation, k -> new OperationMeters());
        }
        return m;
    }

    private static int statusClass(int status) {
        return status >= 100 && status < 600 ? status / 100 - 1 : STATUS_CLASSES.length - 1;
    }

    /** A request over for the client: counted by status, and its time from head to last byte out. */
    void request(String api, String operation, int status, long nanos) {
        OperationMeters m = operation(api, operation);
        int slot = status >= 0 && status < 600 ? status : 0;
        Counter c = m.byStatus.get(slot);
        if (c == null) {
            c = Counter.builder("gatehouse_requests")
                    .description("Requests handled, by API, operation and status code")
                    .tag("api", api).tag("operation", operation).tag("status", Integer.toString(status))
                    .register(registry); // the registry returns the same counter for the same tags
            m.byStatus.compareAndSet(slot, null, c);
        }
        c.increment();
        timer(m.requestByClass, "gatehouse_request_duration", "Time from a request's head to the last byte of its"
                + " response, by API, operation and status class", api, operation, statusClass(status)).record(nanos,
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * A backend answered: the time from the request leaving for the backend (a new connection's
     * connect and handshake included) to the backend's response head.
     */
    void backend(String api, String operation, int status, long nanos) {
        timer(operation(api, operation).backendByClass, "gatehouse_backend_duration", "Time from a request leaving for"
                + " the backend (connecting included) to the backend's response head, by API, operation and status"
                + " class", api, operation, statusClass(status)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    private Timer timer(java.util.concurrent.atomic.AtomicReferenceArray<Timer> byClass, String name, String help,
            String api, String operation, int statusClass) {
        Timer t = byClass.get(statusClass);
        if (t == null) {
            t = Timer.builder(name).description(help)
                    .tag("api", api).tag("operation", operation).tag("status_class", STATUS_CLASSES[statusClass])
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry);
            byClass.compareAndSet(statusClass, null, t);
        }
        return t;
    }

    /** Open client connections by the hostname their SNI chose. */
    private final Map<String, java.util.concurrent.atomic.AtomicLong> hostnameConnections = new ConcurrentHashMap<>();

    /** A TLS connection was given to {@code hostname}; returns the count to decrement when it closes. */
    java.util.concurrent.atomic.AtomicLong hostnameConnectionOpened(String hostname) {
        java.util.concurrent.atomic.AtomicLong n = hostnameConnections.get(hostname);
        if (n == null) {
            n = hostnameConnections.computeIfAbsent(hostname, h -> {
                java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
                Gauge.builder("gatehouse_hostname_connections_open", count, java.util.concurrent.atomic.AtomicLong::get)
                        .description("Open client TLS connections by the hostname their SNI chose")
                        .tag("hostname", h).strongReference(true).register(registry);
                return count;
            });
        }
        n.incrementAndGet();
        return n;
    }

    private final java.util.concurrent.atomic.AtomicLong lastGoodLoad = new java.util.concurrent.atomic.AtomicLong();

    /** A config went into service (the first, or a reload). */
    void configLoaded(boolean reload) {
        if (reload) {
            reloads("ok").increment();
        }
        lastGoodLoad.set(System.currentTimeMillis() / 1000);
    }

    /** OpenTelemetry's exports: spans that reached the collector, and spans lost to failed exports. */
    void telemetry(io.gatehouse.proxy.telemetry.Telemetry t) {
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse_telemetry_spans_exported", t,
                        io.gatehouse.proxy.telemetry.Telemetry::exportedSpans)
                .description("Spans exported to the OpenTelemetry collector (gateway.telemetry.otlp.endpoint)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse_telemetry_spans_failed", t,
                        io.gatehouse.proxy.telemetry.Telemetry::failedSpans)
                .description("Spans lost because their export to the OpenTelemetry collector failed")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse_telemetry_spans_dropped", t,
                        io.gatehouse.proxy.telemetry.Telemetry::droppedSpans)
                .description("Spans dropped because the export queue was full (spans end faster than the collector takes them)")
                .register(registry);
    }

    /** {@code gatehouse_external_cache_early_over_limit_total}, registered with the external cache's gauge. */
    private volatile Counter earlyOverLimit;

    /** The external cache's state: {@code gatehouse_external_cache_up} (1 answering, 0 not, -1 none configured). */
    void externalCache(io.gatehouse.proxy.externalcache.ExternalCaches caches) {
        Gauge.builder("gatehouse_external_cache_up", caches, io.gatehouse.proxy.externalcache.ExternalCaches::upValue)
                .description("1 while the external cache (gateway.externalCache, Redis) answers, 0 while it does not, -1 when none is configured")
                .strongReference(true).register(registry);
        earlyOverLimit = Counter.builder("gatehouse_external_cache_early_over_limit")
                .description("Calls admitted early (gateway.externalCache.earlyAdmission, before Redis counted them) that Redis then "
                        + "counted over their limit: how far shared limits were passed")
                .register(registry);
    }

    /**
     * A call to the external cache that failed, by operation ({@code counter}, {@code lookup},
     * {@code store}, {@code remove}) and kind ({@code timeout}, {@code unavailable}).
     */
    public void externalCacheFailure(String operation, String kind) {
        counter("gatehouse_external_cache_failures", "Calls to the external cache (Redis) that failed or timed out, by operation and kind",
                "operation", operation, "kind", kind).increment();
    }

    /**
     * Calls a limit admitted early ({@code gateway.externalCache.earlyAdmission}) that Redis then
     * counted over their limit.
     */
    public void externalCacheEarlyOverLimit(long calls) {
        earlyOverLimit.increment(calls);
    }

    /** A reload was refused: the config that serves stays. */
    void configRefused() {
        reloads("refused").increment();
    }

    private Counter reloads(String outcome) {
        return counters.computeIfAbsent("gatehouse_config_reloads\u0000" + outcome, k -> Counter.builder(
                "gatehouse_config_reloads").description("Config reloads, by outcome (ok, refused)")
                .tag("outcome", outcome).register(registry));
    }

    void downstreamHandshakeFailure(String hostname, String reason) {
        counter("gatehouse_downstream_handshake_failures", "Failed client TLS handshakes",
                "hostname", hostname, "reason", reason).increment();
    }

    /** A request refused by {@code clientCertificate: required}, by API and the check that failed. */
    void clientCertificateRefusal(String api, String check) {
        counter("gatehouse_client_certificate_refusals", "Requests refused because an API requires a verified client "
                + "certificate", "api", api, "check", check).increment();
    }

    /**
     * A request refused by the subscription key check, by API and reason: {@code missing},
     * {@code unknown_key}, {@code not_active}, {@code out_of_scope}. Never the key.
     */
    void subscriptionRefusal(String api, String reason) {
        counter("gatehouse_subscription_refusals", "Requests refused because of their subscription key", "api", api,
                "reason", reason).increment();
    }

    /**
     * A request whose handling failed, by {@code context.LastError}'s source and reason: the
     * gateway's own failures ({@link FailureKind}) and the policies' (an on-error section may
     * still have answered it). Both come from closed sets: the failure table, the policy
     * elements' reasons and the config's policy ids; never from what a client sent.
     */
    void requestFailure(String source, String reason) {
        counter("gatehouse_request_failures", "Requests whose handling failed, by context.LastError source and reason",
                "source", source, "reason", reason).increment();
    }

    void upstreamTlsFailure(String backend, String reason) {
        counter("gatehouse_upstream_tls_failures", "Failed TLS handshakes with backends",
                "backend", backend, "reason", reason).increment();
    }

    /**
     * A request sent once more on a new connection to {@code backend} because the kept-alive one
     * it was sent on closed before answering (idempotent requests without a body only).
     */
    void upstreamSentAgain(String backend) {
        counter("gatehouse_upstream_requests_sent_again", "Requests sent once more on a new backend connection because the "
                + "kept-alive connection they went on closed before any answer (idempotent, no body)",
                "backend", backend, "reason", "stale_connection").increment();
    }

    private final Map<String, Counter> closedConnections = new ConcurrentHashMap<>();

    /** A client connection the gateway cut: a timeout, the request limit, the connection limit. */
    void downstreamConnectionClosed(String reason) {
        Counter c = closedConnections.get(reason);
        if (c == null) {
            c = closedConnections.computeIfAbsent(reason, r -> Counter.builder("gatehouse_downstream_connections_closed")
                    .description("Client connections the gateway closed or refused, by reason "
                            + "(a timeout, maxRequestsPerConnection, the connection limit)")
                    .tag("reason", r).register(registry));
        }
        c.increment();
    }

    /** A listener's open client connections (those its connection limit counts). */
    void openConnections(int port, ConnectionTracker tracker) {
        Gauge.builder("gatehouse_downstream_connections_open", tracker, ConnectionTracker::open)
                .description("Open client connections per listener port").tag("port", Integer.toString(port))
                .strongReference(true).register(registry);
    }

    private Counter counter(String name, String help, String k1, String v1, String k2, String v2) {
        String key = name + '\u0000' + v1 + '\u0000' + v2;
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(help)
                .tag(k1, v1 == null ? "" : v1).tag(k2, v2 == null ? "" : v2).register(registry));
    }

    /** Replaces the certificate expiry gauges with those of the config now serving. */
    synchronized void certificates(Map<String, X509Certificate> byId, String kind) {
        certificateGauges.removeIf(m -> {
            if (kind.equals(m.getId().getTag("kind"))) {
                registry.remove(m);
                return true;
            }
            return false;
        });
        byId.forEach((id, cert) -> {
            long notAfter = cert.getNotAfter().getTime() / 1000;
            certificateGauges.add(Gauge.builder("gatehouse_certificate_not_after_seconds", () -> notAfter)
                    .description("Expiry (Unix time) of every certificate and CA certificate")
                    .tag("id", id).tag("kind", kind)
                    .register(registry));
        });
    }

    /** How many certificates and CA certificates are expired or within the expiry warning, at each scrape. */
    <T> void expiringCertificates(T source, java.util.function.ToDoubleFunction<T> count) {
        Gauge.builder("gatehouse_certificates_expiring", source, count)
                .description("Certificates and CA certificates expired or within gateway.certificates.expiryWarningDays"
                        + " of expiry")
                .strongReference(true).register(registry);
    }

    private final Map<String, DistributionSummary> policyMetrics = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> seriesPerMetric = new ConcurrentHashMap<>();

    /**
     * The most label sets one policy metric keeps: dimensions taken from requests (a client's IP,
     * a tenant header) would otherwise grow the registry, and every scrape, without end. Data
     * points with a new label set past this go to the metric's series whose labels are all
     * {@value #OTHER}, and are counted in {@code gatehouse_policy_metric_points_folded}.
     */
    static final int MAX_SERIES_PER_METRIC = 1000;
    static final String OTHER = "_other";

    private final Counter folded = Counter.builder("gatehouse_policy_metric_points_folded")
            .description("Data points of emit-metric and llm-emit-token-metric recorded under the labels \"" + OTHER + "\" because "
                    + "their metric already had " + MAX_SERIES_PER_METRIC + " label sets")
            .register(registry);

    /**
     * A data point from {@code emit-metric} (or {@code llm-emit-token-metric}): a Prometheus summary
     * per metric, named and labelled as {@link MetricSink#prometheusName} and
     * {@link MetricSink#prometheusLabel} say, so a scrape shows {@code NAME_count} (data points) and
     * {@code NAME_sum} (their values). The same metric must keep the same dimension names; a point
     * that does not is refused by the registry and the policy traces it, leaving the request
     * alone. At most {@link #MAX_SERIES_PER_METRIC} label sets per metric (see there).
     */
    @Override
    public void emit(String namespace, String name, double value, Map<String, String> dimensions) {
        String metric = MetricSink.prometheusName(namespace, name);
        String key = seriesKey(metric, dimensions);
        DistributionSummary summary = policyMetrics.get(key);
        if (summary == null) {
            java.util.concurrent.atomic.AtomicInteger series = seriesPerMetric.computeIfAbsent(metric,
                    k -> new java.util.concurrent.atomic.AtomicInteger());
            Map<String, String> labels = dimensions;
            if (series.get() >= MAX_SERIES_PER_METRIC) {
                Map<String, String> other = new java.util.LinkedHashMap<>();
                dimensions.keySet().forEach(d -> other.put(d, OTHER));
                labels = other;
                key = seriesKey(metric, labels);
                folded.increment();
            }
            Map<String, String> tags = labels;
            summary = policyMetrics.computeIfAbsent(key, k -> {
                series.incrementAndGet();
                DistributionSummary.Builder b = DistributionSummary.builder(metric)
                        .description("emit-metric '" + name + "' (namespace '" + namespace + "')");
                tags.forEach((dim, v) -> b.tag(MetricSink.prometheusLabel(dim), v));
                return b.register(registry);
            });
        }
        summary.record(value);
    }

    private static String seriesKey(String metric, Map<String, String> dimensions) {
        StringBuilder key = new StringBuilder(metric);
        dimensions.forEach((k, v) -> key.append('\u0000').append(k).append('\u0000').append(v));
        return key.toString();
    }

    private final Map<String, Counter> skippedPolicies = new ConcurrentHashMap<>();

    /** {@code gatehouse_policy_skipped_total{policy}}: a policy loaded as a no-op (gateway.unsupportedPolicies: skip) was reached. */
    @Override
    public void policySkipped(String policy) {
        skippedPolicies.computeIfAbsent(policy, p -> Counter.builder("gatehouse_policy_skipped")
                .description("Requests that reached a policy Gatehouse cannot run, loaded as a no-op (gateway.unsupportedPolicies: skip)")
                .tag("policy", p).register(registry)).increment();
    }

    private final Counter accessLogDropped = Counter.builder("gatehouse_access_log_dropped")
            .description("Access log lines dropped: the writer's buffer was full (gateway.accessLog.bufferLines), "
                    + "or the file could not be written")
            .register(registry);
    private final Counter accessLogWritten = Counter.builder("gatehouse_access_log_lines")
            .description("Access log lines written").register(registry);

    void accessLogDropped() {
        accessLogDropped.increment();
    }

    void accessLogDropped(int lines) {
        accessLogDropped.increment(lines);
    }

    void accessLogWritten(int lines) {
        accessLogWritten.increment(lines);
    }
}
