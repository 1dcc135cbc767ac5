package io.gatehouse.proxy;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * An OTLP/HTTP trace receiver in the test's JVM: a JDK {@link HttpServer} taking
 * {@code POST /v1/traces} with a protobuf {@code ExportTraceServiceRequest}, decoded with the
 * OpenTelemetry proto classes, as a collector would. It keeps every span with its resource, and
 * the headers of every export request.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span, with the attributes of its resource. */
    public record Received(Span span, Map<String, String> resource) {
        public String traceId() {
            return hex(span.getTraceId());
        }

        public String spanId() {
            return hex(span.getSpanId());
        }

        public String parentSpanId() {
            return hex(span.getParentSpanId());
        }

        public String name() {
            return span.getName();
        }

        public Span.SpanKind kind() {
            return span.getKind();
        }

        /** An attribute's value as text (strings, numbers and booleans), or null. */
        public String attr(String key) {
            return OtlpReceiver.attrs(span.getAttributesList()).get(key);
        }

        public Map<String, String> attrs() {
            return OtlpReceiver.attrs(span.getAttributesList());
        }

        public boolean error() {
            return span.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR;
        }
    }

    private final HttpServer server;
    public final List<Received> spans = new CopyOnWriteArrayList<>();
    /** Each export request's headers (names in lower case), in arrival order. */
    public final List<Map<String, String>> requestHeaders = new CopyOnWriteArrayList<>();
    /** Paths of requests that were not {@code POST /v1/traces}. */
    public final List<String> strays = new CopyOnWriteArrayList<>();
    /** The status exports are answered with: 200 keeps the spans; another (401, say) refuses them. */
    public volatile int status = 200;
    /** How long each export is held before it is answered: a slow collector. */
    public volatile long delayMillis;

    public OtlpReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", x -> {
            try (x) {
                byte[] body;
                try (InputStream in = x.getRequestBody()) {
                    body = in.readAllBytes();
                }
                if (!x.getRequestMethod().equals("POST") || !x.getRequestURI().getPath().equals("/v1/traces")) {
                    strays.add(x.getRequestMethod() + " " + x.getRequestURI());
                    x.sendResponseHeaders(404, -1);
                    return;
                }
                Map<String, String> headers = new HashMap<>();
                x.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
                requestHeaders.add(headers);
                long delay = delayMillis;
                if (delay > 0) {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int answer = status;
                if (answer != 200) {
                    x.sendResponseHeaders(answer, -1);
                    return;
                }
                ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(body);
                for (ResourceSpans rs : req.getResourceSpansList()) {
                    Map<String, String> resource = attrs(rs.getResource().getAttributesList());
                    for (ScopeSpans ss : rs.getScopeSpansList()) {
                        for (Span s : ss.getSpansList()) {
                            spans.add(new Received(s, resource));
                        }
                    }
                }
                byte[] out = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                x.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                x.sendResponseHeaders(200, out.length == 0 ? -1 : out.length);
                if (out.length > 0) {
                    x.getResponseBody().write(out);
                }
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The base endpoint, as {@code gateway.telemetry.otlp.endpoint} takes it (the SDK appends /v1/traces). */
    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    /** Waits for {@code count} spans matching {@code p}; fails naming what arrived. */
    public List<Received> await(Predicate<Received> p, int count, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            List<Received> got = spans.stream().filter(p).toList();
            if (got.size() >= count) {
                return got;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " matching span(s) within " + max + ", got " + got.size()
                        + "; received: " + spans.stream().map(s -> s.name() + " " + s.kind() + " " + s.traceId() + " "
                        + s.attrs()).toList());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The spans of one trace. */
    public List<Received> trace(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    static String hex(ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }

    static Map<String, String> attrs(List<KeyValue> list) {
        Map<String, String> out = new HashMap<>();
        for (KeyValue kv : list) {
            AnyValue v = kv.getValue();
            String s = switch (v.getValueCase()) {
                case STRING_VALUE -> v.getStringValue();
                case INT_VALUE -> Long.toString(v.getIntValue());
                case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                default -> v.toString();
            };
            out.put(kv.getKey(), s);
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
