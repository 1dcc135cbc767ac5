package io.gatehouse.proxy.telemetry;

import io.gatehouse.config.model.TelemetrySettings;
import io.gatehouse.tls.HandshakeInfo;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;

/**
 * One OpenTelemetry SDK, built for one {@code gateway.telemetry} setting: a tracer whose spans go
 * through a {@link BatchSpanProcessor} (a bounded queue: when it is full, spans are dropped, never
 * waited for) to an {@link OtlpHttpSpanExporter} on the JDK HttpClient, which exports on its own
 * threads. The request path only starts and ends spans. {@link Telemetry} keeps it across reloads
 * that do not change the setting.
 */
public final class Tracing {
    static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    /** How often the batch processor exports (it also exports as soon as a batch is full). */
    static final Duration SCHEDULE_DELAY = Duration.ofSeconds(1);
    static final int MAX_QUEUE = 2048;
    static final int MAX_BATCH = 512;
    static final Duration EXPORT_TIMEOUT = Duration.ofSeconds(10);

    private final TelemetrySettings settings;
    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final Clock clock = Clock.getDefault();

    Tracing(TelemetrySettings settings, Resource resource, ExportReport.Counts counts) {
        this.settings = settings;
        String endpoint = tracesEndpoint(settings.otlpEndpoint());
        OtlpHttpSpanExporterBuilder b = OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint)
                .setTimeout(EXPORT_TIMEOUT)
                .setMeterProvider(MeterProvider::noop);
        for (Map.Entry<String, io.gatehouse.common.Secret> h : settings.otlpHeaders().entrySet()) {
            b.addHeader(h.getKey(), h.getValue().revealString());
        }
        ExportReport exporter = new ExportReport(b.build(), shown(URI.create(endpoint)), counts);
        this.provider = SdkTracerProvider.builder()
                .setResource(resource)
                // the client's sampled flag decides when it sent one; else sampleRatio of the trace ids
                .setSampler(io.opentelemetry.sdk.trace.samplers.Sampler.parentBased(
                        io.opentelemetry.sdk.trace.samplers.Sampler.traceIdRatioBased(settings.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(SCHEDULE_DELAY)
                        .setMaxQueueSize(MAX_QUEUE)
                        .setMaxExportBatchSize(MAX_BATCH)
                        .setExporterTimeout(EXPORT_TIMEOUT)
                        .setMeterProvider(MeterProvider.noop())
                        .build())
                .build();
        this.tracer = provider.get("io.gatehouse.proxy");
    }

    TelemetrySettings settings() {
        return settings;
    }

    Tracer tracer() {
        return tracer;
    }

    /**
     * The OTLP/HTTP traces URL for a configured base endpoint: {@code /v1/traces} appended to its
     * path, as the OTLP exporter specification says for {@code OTEL_EXPORTER_OTLP_ENDPOINT}
     * ({@code http://collector:4318} and {@code http://collector:4318/} both give
     * {@code http://collector:4318/v1/traces}; {@code https://host/otlp} gives {@code https://host/otlp/v1/traces}).
     */
    static String tracesEndpoint(URI base) {
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        try {
            return new URI(base.getScheme(), base.getRawAuthority(), path + "/v1/traces", base.getRawQuery(), null)
                    .toString();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("otlp endpoint '" + shown(base) + "': " + e.getMessage(), e);
        }
    }

    /** An endpoint as logs may show it: without user information (which may hold a password) or query. */
    static String shown(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /**
     * Starts the SERVER span of a request whose head was just read. Its parent is the request's
     * {@code traceparent} (with its {@code tracestate}) when it has a valid one, else it starts a
     * trace.
     *
     * @param headers the request's headers as the client sent them
     * @param startNanos when the head was read ({@link System#nanoTime()}): the span's start
     * @param connection the connection's attributes ({@link #connection}), made once per connection
     */
    public ExchangeSpan server(HttpHeaders headers, String method, boolean https, String path, int localPort,
                               String protocolVersion, Attributes connection, String requestId, long startNanos) {
        Context parent = W3C.extract(Context.root(), headers, Carriers.NETTY_GETTER);
        String known = SemConv.knownMethod(method);
        String nameMethod = known == null ? "HTTP" : known;
        long startEpochNanos = clock.now() - Math.max(0, clock.nanoTime() - startNanos);
        SpanBuilder b = tracer.spanBuilder(nameMethod)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
                .setAllAttributes(connection)
                .setAttribute(SemConv.HTTP_REQUEST_METHOD, known == null ? "_OTHER" : known)
                .setAttribute(SemConv.URL_SCHEME, https ? "https" : "http")
                .setAttribute(SemConv.URL_PATH, path)
                .setAttribute(SemConv.NETWORK_PROTOCOL_VERSION, protocolVersion)
                .setAttribute(SemConv.GATEHOUSE_REQUEST_ID, requestId);
        if (known == null) {
            b.setAttribute(SemConv.HTTP_REQUEST_METHOD_ORIGINAL, method);
        }
        serverAddress(b, headers.get(HttpHeaderNames.HOST), localPort);
        String agent = headers.get(HttpHeaderNames.USER_AGENT);
        if (agent != null) {
            b.setAttribute(SemConv.USER_AGENT_ORIGINAL, agent);
        }
        Span span = b.startSpan();
        return new ExchangeSpan(this, span, nameMethod);
    }

    /** {@code server.address} and {@code server.port} from the Host header ({@code host}, {@code host:port}, {@code [v6]:port}). */
    private static void serverAddress(SpanBuilder b, String host, int localPort) {
        if (host == null || host.isEmpty()) {
            b.setAttribute(SemConv.SERVER_PORT, (long) localPort);
            return;
        }
        String name = host;
        long port = localPort;
        int colon = host.lastIndexOf(':');
        int bracket = host.lastIndexOf(']');
        if (colon > bracket) {
            name = host.substring(0, colon);
            try {
                port = Long.parseLong(host.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = localPort;
            }
        }
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        b.setAttribute(SemConv.SERVER_ADDRESS, name);
        b.setAttribute(SemConv.SERVER_PORT, port);
    }

    /**
     * What every span of one client connection carries: the peer ({@code client.*},
     * {@code network.peer.*}) and, on TLS, the handshake ({@code tls.*}: version, cipher, SNI,
     * ALPN, and the client certificate's subject, issuer and SHA-256 hash). Made once per
     * connection: it hashes the certificate.
     *
     * @param handshake null on plain HTTP
     */
    public static Attributes connection(InetSocketAddress peer, HandshakeInfo handshake) {
        AttributesBuilder a = Attributes.builder();
        if (peer != null) {
            String ip = peer.getAddress() != null ? peer.getAddress().getHostAddress() : peer.getHostString();
            a.put(SemConv.CLIENT_ADDRESS, ip).put(SemConv.CLIENT_PORT, (long) peer.getPort())
                    .put(SemConv.NETWORK_PEER_ADDRESS, ip).put(SemConv.NETWORK_PEER_PORT, (long) peer.getPort());
        }
        if (handshake != null) {
            a.put(SemConv.TLS_ESTABLISHED, true).put(SemConv.TLS_PROTOCOL_NAME, "tls");
            String v = handshake.protocol();
            if (v != null) {
                a.put(SemConv.TLS_PROTOCOL_VERSION, v.startsWith("TLSv") ? v.substring(4) : v);
            }
            if (handshake.cipherSuite() != null) {
                a.put(SemConv.TLS_CIPHER, handshake.cipherSuite());
            }
            if (handshake.alpn() != null) {
                a.put(SemConv.TLS_NEXT_PROTOCOL, handshake.alpn());
            }
            if (handshake.sni() != null) {
                a.put(SemConv.TLS_SERVER_NAME, handshake.sni());
            }
            X509Certificate cert = handshake.clientCertificate();
            if (cert != null) {
                a.put(SemConv.TLS_CLIENT_SUBJECT, cert.getSubjectX500Principal().getName(X500Principal.RFC2253));
                a.put(SemConv.TLS_CLIENT_ISSUER, cert.getIssuerX500Principal().getName(X500Principal.RFC2253));
                a.put(SemConv.TLS_CLIENT_HASH_SHA256, io.gatehouse.common.x509.DotNetNames.sha256(cert));
            }
        }
        return a.build();
    }

    /** Exports what has ended so far (asynchronous). */
    CompletableResultCode flush() {
        return provider.forceFlush();
    }

    /** Exports what has ended and stops: spans ended afterwards are dropped. */
    CompletableResultCode shutdown() {
        return provider.shutdown();
    }
}
