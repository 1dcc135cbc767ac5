package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry end to end ({@code gateway.telemetry}): real requests through a gateway whose
 * spans go over OTLP/HTTP to an in-process receiver ({@link OtlpReceiver}) that decodes them with
 * the OpenTelemetry proto classes, and a backend that records the {@code traceparent} it gets
 * ({@link RecordingBackend}). W3C trace context is continued from the client to the SERVER span,
 * to the backend call's CLIENT span and the backend, and into {@code send-request}; attributes
 * follow the HTTP and TLS semantic conventions; off means untouched headers and no export.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenTelemetryTest {
    private static final String OTLP_KEY = "otlp-S3cret-api-key-7f3a";
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path tmp;
    static TestWorld world;
    static RecordingBackend backend;
    static OtlpReceiver receiver;
    static GatewayHarness gw;
    static int plainPort;
    static int tlsPort;
    static int closedPort;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new RecordingBackend();
        receiver = new OtlpReceiver();
        plainPort = Ports.free();
        tlsPort = Ports.free();
        closedPort = Ports.free(); // nothing listens there: the "down" backend refuses connections
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        Files.createDirectories(tmp.resolve("on"));
        gw = GatewayHarness.start(tmp.resolve("on"), config(receiver.endpoint(), "edge-test", plainPort, tlsPort));
    }

    /** A gateway with a plain and a TLS listener, telemetry to {@code endpoint} (none: off), three APIs. */
    static String config(String endpoint, String serviceName, int plain, int tls) {
        String telemetry = endpoint == null ? "" : """
                  telemetry:
                    serviceName: %s
                    otlp:
                      endpoint: %s
                      headers:
                        api-key: %s
                """.formatted(serviceName, endpoint, OTLP_KEY);
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                    - port: %d
                      bind: 127.0.0.1
                %s%s%s%s
                backends:
                  - id: orders-backend
                    url: %s
                  - id: down
                    url: http://127.0.0.1:%d
                    timeout: 5
                apis:
                  - id: orders
                    path: orders
                    backendId: orders-backend
                    operations:
                      - id: get-order
                        method: GET
                        urlTemplate: /{id}
                  - id: side
                    path: side
                    backendId: orders-backend
                    policyXml: |
                      <policies>
                        <inbound>
                          <send-request mode="new" response-variable-name="lookup" timeout="10" ignore-error="false">
                            <set-url>%s/side-call?token=abc</set-url>
                            <set-method>GET</set-method>
                          </send-request>
                        </inbound>
                        <backend><forward-request /></backend>
                        <outbound>
                          <set-header name="x-lookup" exists-action="override">
                            <value>@(((IResponse)context.Variables["lookup"]).StatusCode.ToString())</value>
                          </set-header>
                        </outbound>
                      </policies>
                  - id: down
                    path: down
                    backendId: down
                """.formatted(plain, tls, telemetry, E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world),
                backend.url(), closedPort, backend.url());
    }

    @AfterAll
    static void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    /** A fresh W3C trace context: 32 hex digits of trace id, 16 of span id. */
    record Parent(String traceId, String spanId) {
        static Parent random() {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            return new Parent(HexFormat.of().formatHex(bytes(r, 16)), HexFormat.of().formatHex(bytes(r, 8)));
        }

        private static byte[] bytes(ThreadLocalRandom r, int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            b[0] |= 1; // never all zeros (an invalid id)
            return b;
        }

        String traceparent() {
            return "00-" + traceId + "-" + spanId + "-01";
        }
    }

    private static HttpResponse<String> get(String url, Parent parent, String tracestate) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("User-Agent", "otel-test/1.0");
        if (parent != null) {
            b.header("traceparent", parent.traceparent());
        }
        if (tracestate != null) {
            b.header("tracestate", tracestate);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static RecordingBackend.Request backendRequest(RecordingBackend b, String target) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (RecordingBackend.Request r : b.requests) {
                if (r.target().equals(target)) {
                    return r;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("the backend got no request for " + target + "; it got "
                + b.requests.stream().map(RecordingBackend.Request::target).toList());
    }

    @Test
    void theClientsTraceContinuesThroughAServerSpanAndAClientSpanToTheBackend() throws Exception {
        Parent parent = Parent.random();
        HttpResponse<String> resp = get("http://127.0.0.1:" + plainPort + "/orders/42?secret=swordfish", parent,
                "vendor=abc,other=1");
        assertThat(resp.statusCode()).isEqualTo(200);
        String requestId = resp.headers().firstValue("x-request-id").orElseThrow();

        // the backend got the gateway's traceparent: the client's trace, a span of the gateway's own
        RecordingBackend.Request got = backendRequest(backend, "/42?secret=swordfish");
        assertThat(got.all("traceparent")).hasSize(1);
        String[] tp = got.header("traceparent").split("-");
        assertThat(tp).hasSize(4);
        assertThat(tp[0]).isEqualTo("00");
        assertThat(tp[1]).isEqualTo(parent.traceId());
        assertThat(tp[2]).isNotEqualTo(parent.spanId()).matches("[0-9a-f]{16}");
        assertThat(tp[3]).isEqualTo("01");
        assertThat(got.header("tracestate")).isEqualTo("vendor=abc,other=1");

        List<OtlpReceiver.Received> spans = receiver.await(s -> s.traceId().equals(parent.traceId()), 2, WAIT);
        OtlpReceiver.Received server = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
        OtlpReceiver.Received client = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).findFirst().orElseThrow();
        assertThat(server.parentSpanId()).isEqualTo(parent.spanId());
        assertThat(server.name()).isEqualTo("GET /orders/{id}");
        assertThat(server.attr("http.request.method")).isEqualTo("GET");
        assertThat(server.attr("http.route")).isEqualTo("/orders/{id}");
        assertThat(server.attr("http.response.status_code")).isEqualTo("200");
        assertThat(server.attr("url.path")).isEqualTo("/orders/42");
        assertThat(server.attr("url.scheme")).isEqualTo("http");
        assertThat(server.attr("server.address")).isEqualTo("127.0.0.1");
        assertThat(server.attr("server.port")).isEqualTo(Integer.toString(plainPort));
        assertThat(server.attr("client.address")).isEqualTo("127.0.0.1");
        assertThat(server.attr("network.peer.address")).isEqualTo("127.0.0.1");
        assertThat(server.attr("client.port")).matches("\\d+").isNotEqualTo("0");
        assertThat(server.attr("network.protocol.version")).isEqualTo("1.1");
        assertThat(server.attr("user_agent.original")).isEqualTo("otel-test/1.0");
        assertThat(server.attr("gatehouse.api.id")).isEqualTo("orders");
        assertThat(server.attr("gatehouse.operation.id")).isEqualTo("get-order");
        assertThat(server.attr("gatehouse.request.id")).isEqualTo(requestId);
        assertThat(server.attrs()).doesNotContainKey("error.type").doesNotContainKey("tls.cipher");
        assertThat(server.error()).isFalse();
        assertThat(server.attrs().values()).noneMatch(v -> v.contains("swordfish")); // no query string anywhere

        assertThat(client.parentSpanId()).isEqualTo(server.spanId());
        assertThat(client.spanId()).isEqualTo(tp[2]); // the backend's traceparent names the CLIENT span
        assertThat(client.name()).isEqualTo("GET");
        assertThat(client.attr("url.full")).isEqualTo(backend.url() + "/42");
        assertThat(client.attr("server.address")).isEqualTo("127.0.0.1");
        assertThat(client.attr("server.port")).isEqualTo(Integer.toString(backend.port()));
        assertThat(client.attr("http.response.status_code")).isEqualTo("200");
        assertThat(client.attr("gatehouse.backend.id")).isEqualTo("orders-backend");
        assertThat(client.span().getStartTimeUnixNano()).isGreaterThanOrEqualTo(server.span().getStartTimeUnixNano());
        assertThat(client.span().getEndTimeUnixNano()).isLessThanOrEqualTo(server.span().getEndTimeUnixNano());

        assertThat(server.resource()).containsEntry("service.name", "edge-test")
                .containsEntry("service.version", serviceVersion())
                .containsKey("service.instance.id");
        assertThat(server.resource().get("service.instance.id")).matches("[0-9a-f-]{36}");
    }

    private static String serviceVersion() throws Exception {
        java.util.Properties p = new java.util.Properties();
        try (var in = io.gatehouse.proxy.telemetry.Telemetry.class.getResourceAsStream("version.properties")) {
            p.load(in);
        }
        String v = p.getProperty("version");
        assertThat(v).as("the build filtered version.properties").doesNotStartWith("${").isNotBlank();
        return v;
    }

    @Test
    void withoutATraceparentTheServerSpanStartsATraceAndTheBackendGetsOne() throws Exception {
        HttpResponse<String> resp = get("http://127.0.0.1:" + plainPort + "/orders/no-parent", null, null);
        assertThat(resp.statusCode()).isEqualTo(200);
        String requestId = resp.headers().firstValue("x-request-id").orElseThrow();
        OtlpReceiver.Received server = receiver.await(s -> requestId.equals(s.attr("gatehouse.request.id")), 1, WAIT).get(0);
        assertThat(server.parentSpanId()).isEmpty();
        String tp = backendRequest(backend, "/no-parent").header("traceparent");
        assertThat(tp).startsWith("00-" + server.traceId() + "-");
        assertThat(backendRequest(backend, "/no-parent").header("tracestate")).isNull();
    }

    @Test
    void aClientCertificateOnAnMtlsListenerIsDescribedByTheTlsAttributes() throws Exception {
        HttpClient mtls = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.sslContext(world, world.client))
                .connectTimeout(Duration.ofSeconds(10)).build(); // HTTP/2 by ALPN
        Parent parent = Parent.random();
        HttpResponse<String> resp = mtls.send(HttpRequest.newBuilder(
                        URI.create("https://" + TestWorld.API_HOST + ":" + tlsPort + "/orders/9"))
                .header("traceparent", parent.traceparent()).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.version()).isEqualTo(HttpClient.Version.HTTP_2);

        OtlpReceiver.Received server = receiver.await(s -> s.traceId().equals(parent.traceId())
                && s.kind() == SpanKind.SPAN_KIND_SERVER, 1, WAIT).get(0);
        String sha256 = HexFormat.of().withUpperCase().formatHex(
                MessageDigest.getInstance("SHA-256").digest(world.client.certificate().getEncoded()));
        assertThat(server.attr("url.scheme")).isEqualTo("https");
        assertThat(server.attr("network.protocol.version")).isEqualTo("2");
        assertThat(server.attr("server.address")).isEqualTo(TestWorld.API_HOST);
        assertThat(server.attr("tls.client.subject")).isEqualTo("CN=clinic-app,O=Contoso,C=US");
        assertThat(server.attr("tls.client.issuer")).isEqualTo("CN=Contoso Clinic Root CA,O=Contoso,C=US");
        assertThat(server.attr("tls.client.hash.sha256")).isEqualTo(sha256);
        assertThat(server.attr("tls.protocol.name")).isEqualTo("tls");
        assertThat(server.attr("tls.protocol.version")).isEqualTo("1.3");
        assertThat(server.attr("tls.cipher")).startsWith("TLS_");
        assertThat(server.attr("tls.next_protocol")).isEqualTo("h2");
        assertThat(server.attr("tls.server_name")).isEqualTo(TestWorld.API_HOST);
        assertThat(server.name()).isEqualTo("GET /orders/{id}");
    }

    @Test
    void sendRequestAndForwardRequestOfAPolicyRouteCarryTheSameTrace() throws Exception {
        Parent parent = Parent.random();
        HttpResponse<String> resp = get("http://127.0.0.1:" + plainPort + "/side/items", parent, null);
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("x-lookup")).hasValue("200");

        String side = backendRequest(backend, "/side-call?token=abc").header("traceparent");
        String forwarded = backendRequest(backend, "/items").header("traceparent");
        assertThat(side).startsWith("00-" + parent.traceId() + "-");
        assertThat(forwarded).startsWith("00-" + parent.traceId() + "-");
        assertThat(side.split("-")[2]).isNotEqualTo(forwarded.split("-")[2]).isNotEqualTo(parent.spanId());

        List<OtlpReceiver.Received> spans = receiver.await(s -> s.traceId().equals(parent.traceId()), 3, WAIT);
        OtlpReceiver.Received server = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
        assertThat(server.name()).isEqualTo("GET /side/*");
        assertThat(server.parentSpanId()).isEqualTo(parent.spanId());
        OtlpReceiver.Received sideSpan = spans.stream().filter(s -> s.spanId().equals(side.split("-")[2])).findFirst().orElseThrow();
        OtlpReceiver.Received forwardSpan = spans.stream().filter(s -> s.spanId().equals(forwarded.split("-")[2])).findFirst()
                .orElseThrow();
        assertThat(sideSpan.kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(sideSpan.parentSpanId()).isEqualTo(server.spanId());
        assertThat(sideSpan.attr("gatehouse.policy")).isEqualTo("send-request");
        assertThat(sideSpan.attr("url.full")).isEqualTo(backend.url() + "/side-call"); // the query string left out
        assertThat(sideSpan.attr("http.response.status_code")).isEqualTo("200");
        assertThat(forwardSpan.kind()).isEqualTo(SpanKind.SPAN_KIND_CLIENT);
        assertThat(forwardSpan.parentSpanId()).isEqualTo(server.spanId());
        assertThat(forwardSpan.attr("gatehouse.backend.id")).isEqualTo("orders-backend");
        assertThat(forwardSpan.attr("http.response.status_code")).isEqualTo("200");
    }

    @Test
    void anUnreachableBackendMakesTheServerSpanAnErrorWithItsType() throws Exception {
        Parent parent = Parent.random();
        HttpResponse<String> resp = get("http://127.0.0.1:" + plainPort + "/down/x", parent, null);
        assertThat(resp.statusCode()).isEqualTo(502);

        List<OtlpReceiver.Received> spans = receiver.await(s -> s.traceId().equals(parent.traceId()), 2, WAIT);
        OtlpReceiver.Received server = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
        OtlpReceiver.Received client = spans.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).findFirst().orElseThrow();
        assertThat(server.error()).isTrue();
        assertThat(server.attr("http.response.status_code")).isEqualTo("502");
        assertThat(server.attr("error.type")).isEqualTo("BackendConnectionFailure");
        assertThat(server.name()).isEqualTo("GET /down/*");
        assertThat(client.error()).isTrue();
        assertThat(client.attr("error.type")).isEqualTo("BackendConnectionFailure");
        assertThat(client.attr("gatehouse.backend.id")).isEqualTo("down");
        assertThat(client.attrs()).doesNotContainKey("http.response.status_code");
    }

    @Test
    void anUnmatchedRequestIsNamedByItsMethodAloneAndIsNoError() throws Exception {
        Parent parent = Parent.random();
        assertThat(get("http://127.0.0.1:" + plainPort + "/nowhere", parent, null).statusCode()).isEqualTo(404);
        OtlpReceiver.Received server = receiver.await(s -> s.traceId().equals(parent.traceId()), 1, WAIT).get(0);
        assertThat(server.name()).isEqualTo("GET");
        assertThat(server.attrs()).doesNotContainKey("http.route").doesNotContainKey("error.type");
        assertThat(server.attr("http.response.status_code")).isEqualTo("404");
        assertThat(server.error()).isFalse();
    }

    @Test
    void theConfiguredHeadersReachTheCollectorAndNoLogLineShowsThem() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            Parent parent = Parent.random();
            assertThat(get("http://127.0.0.1:" + plainPort + "/orders/5", parent, null).statusCode()).isEqualTo(200);
            receiver.await(s -> s.traceId().equals(parent.traceId()), 2, WAIT);
            assertThat(receiver.requestHeaders).isNotEmpty()
                    .allSatisfy(h -> assertThat(h).containsEntry("api-key", OTLP_KEY)
                            .containsEntry("content-type", "application/x-protobuf"));
            assertThat(receiver.strays).isEmpty(); // every export went to <endpoint>/v1/traces
            assertThat(logs.lines()).noneMatch(l -> l.contains(OTLP_KEY));
        }
        assertThat(gw.gateway.metrics().scrape()).containsPattern("gatehouse_telemetry_spans_exported_total [1-9]");
    }

    @Test
    void offTheClientsTraceContextPassesUntouchedAndNothingIsExported() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("off"));
        int plain = Ports.free();
        int tls = Ports.free();
        try (OtlpReceiver collector = new OtlpReceiver(); RecordingBackend own = new RecordingBackend()) {
            // this class's config without gateway.telemetry, its backend our own recorder
            String off = config(null, null, plain, tls).replace(backend.url(), own.url());
            String on = config(collector.endpoint(), "edge-on", plain, tls).replace(backend.url(), own.url());
            try (GatewayHarness g = GatewayHarness.start(dir, off)) {
                Parent parent = Parent.random();
                assertThat(get("http://127.0.0.1:" + plain + "/orders/1", parent, "vendor=xyz").statusCode()).isEqualTo(200);
                RecordingBackend.Request got = backendRequest(own, "/1");
                assertThat(got.all("traceparent")).containsExactly(parent.traceparent());
                assertThat(got.all("tracestate")).containsExactly("vendor=xyz");
                assertThat(get("http://127.0.0.1:" + plain + "/orders/2", null, null).statusCode()).isEqualTo(200);
                assertThat(backendRequest(own, "/2").header("traceparent")).isNull(); // none is made up
                assertThat(g.gateway.metrics().scrape()).contains("gatehouse_telemetry_spans_exported_total 0.0");

                // turned on by a reload: the same request now gets the gateway's span id, and spans are exported
                assertThat(g.reload(on).diagnostics().hasErrors()).isFalse();
                Parent traced = Parent.random();
                assertThat(get("http://127.0.0.1:" + plain + "/orders/3", traced, null).statusCode()).isEqualTo(200);
                assertThat(backendRequest(own, "/3").header("traceparent")).startsWith("00-" + traced.traceId() + "-")
                        .isNotEqualTo(traced.traceparent());
                collector.await(s -> s.traceId().equals(traced.traceId()), 2, WAIT);

                // and off again: untouched headers, and the collector it had hears nothing of the next request
                assertThat(g.reload(off).diagnostics().hasErrors()).isFalse();
                Parent untraced = Parent.random();
                assertThat(get("http://127.0.0.1:" + plain + "/orders/4", untraced, null).statusCode()).isEqualTo(200);
                assertThat(backendRequest(own, "/4").all("traceparent")).containsExactly(untraced.traceparent());
                Thread.sleep(2500); // more than two of the batch processor's 1 s rounds
                assertThat(collector.trace(untraced.traceId())).isEmpty();
            }
        }
    }

    @Test
    void aSampleRatioOfZeroRecordsNoTraceOfItsOwnButFollowsASampledClient() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("sampled"));
        int plain = Ports.free();
        int tls = Ports.free();
        try (OtlpReceiver collector = new OtlpReceiver(); RecordingBackend own = new RecordingBackend()) {
            String cfg = config(collector.endpoint(), "edge-sampled", plain, tls).replace(backend.url(), own.url())
                    .replace("    serviceName: edge-sampled\n", "    serviceName: edge-sampled\n    sampleRatio: 0\n");
            assertThat(cfg).contains("sampleRatio: 0");
            try (GatewayHarness g = GatewayHarness.start(dir, cfg)) {
                // no parent: a trace of the gateway's own, not sampled; the backend is told so
                assertThat(get("http://127.0.0.1:" + plain + "/orders/s1", null, null).statusCode()).isEqualTo(200);
                String tp = backendRequest(own, "/s1").header("traceparent");
                assertThat(tp).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
                assertThat(Integer.parseInt(tp.substring(53), 16) & 1).as("the sampled flag of %s", tp).isZero();
                // a client that samples: followed, and exported
                Parent parent = Parent.random();
                assertThat(get("http://127.0.0.1:" + plain + "/orders/s2", parent, null).statusCode()).isEqualTo(200);
                String followed = backendRequest(own, "/s2").header("traceparent");
                assertThat(followed).startsWith("00-" + parent.traceId() + "-");
                assertThat(Integer.parseInt(followed.substring(53), 16) & 1).as("the sampled flag of %s", followed).isOne();
                collector.await(s -> s.traceId().equals(parent.traceId()), 2, WAIT);
                Thread.sleep(2500); // more than two of the batch processor's 1 s rounds
                assertThat(collector.trace(tp.substring(3, 35))).isEmpty();
            }
        }
    }

    @Test
    void aReloadThatChangesTheEndpointMovesTheExportToTheNewCollector() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("reload"));
        int plain = Ports.free();
        int tls = Ports.free();
        try (OtlpReceiver first = new OtlpReceiver(); OtlpReceiver second = new OtlpReceiver();
             GatewayHarness g = GatewayHarness.start(dir, config(first.endpoint(), "edge-a", plain, tls))) {
            Parent before = Parent.random();
            assertThat(get("http://127.0.0.1:" + plain + "/orders/10", before, null).statusCode()).isEqualTo(200);
            first.await(s -> s.traceId().equals(before.traceId()), 2, WAIT);

            assertThat(g.reload(config(second.endpoint(), "edge-b", plain, tls)).diagnostics().hasErrors()).isFalse();
            Parent after = Parent.random();
            assertThat(get("http://127.0.0.1:" + plain + "/orders/11", after, null).statusCode()).isEqualTo(200);
            OtlpReceiver.Received moved = second.await(s -> s.traceId().equals(after.traceId())
                    && s.kind() == SpanKind.SPAN_KIND_SERVER, 1, WAIT).get(0);
            assertThat(moved.resource()).containsEntry("service.name", "edge-b");
            assertThat(second.requestHeaders).allSatisfy(h -> assertThat(h).containsEntry("api-key", OTLP_KEY));
            assertThat(first.trace(after.traceId())).isEmpty();
            assertThat(second.trace(before.traceId())).isEmpty();
        }
    }

    @Test
    void anUnreachableCollectorIsLoggedOnceAndCountedAndRequestsStillServe() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("unreachable"));
        int plain = Ports.free();
        int nobody = Ports.free();
        try (LogCapture logs = new LogCapture();
             GatewayHarness g = GatewayHarness.start(dir, config("http://127.0.0.1:" + nobody, "edge-x", plain, Ports.free()))) {
            assertThat(get("http://127.0.0.1:" + plain + "/orders/20", Parent.random(), null).statusCode()).isEqualTo(200);
            String line = logs.await(l -> l.contains("cannot be exported"), Duration.ofSeconds(40));
            assertThat(line).contains("127.0.0.1:" + nobody).doesNotContain(OTLP_KEY);
            long firstFailed = failedSpans(g);
            assertThat(firstFailed).isGreaterThanOrEqualTo(1);
            // a second batch fails too: counted, not logged again
            assertThat(get("http://127.0.0.1:" + plain + "/orders/21", Parent.random(), null).statusCode()).isEqualTo(200);
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while (failedSpans(g) <= firstFailed && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(failedSpans(g)).isGreaterThan(firstFailed);
            assertThat(logs.lines().stream().filter(l -> l.contains("cannot be exported")).count()).isEqualTo(1);
            assertThat(logs.lines()).noneMatch(l -> l.contains(OTLP_KEY));
        }
    }

    @Test
    void aCollectorRefusingTheExportsIsLoggedOnceWithItsStatusAndAgainWhenItTakesThem() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("refusing"));
        int plain = Ports.free();
        try (LogCapture logs = new LogCapture(); OtlpReceiver strict = new OtlpReceiver();
             GatewayHarness g = GatewayHarness.start(dir, config(strict.endpoint(), "edge-r", plain, Ports.free()))) {
            strict.status = 401; // as a collector answers a wrong API key
            for (int i = 0; i < 2; i++) { // two batches, a batch round (1 s) apart
                int exports = strict.requestHeaders.size();
                assertThat(get("http://127.0.0.1:" + plain + "/orders/3" + i, Parent.random(), null).statusCode())
                        .isEqualTo(200);
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (strict.requestHeaders.size() == exports && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            }
            String refused = logs.await(l -> l.contains("cannot be exported"), WAIT);
            assertThat(refused).contains("the collector answered HTTP 401").contains("127.0.0.1:" + strict.port() + "/v1/traces");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (failedSpans(g) < 4 && System.nanoTime() < deadline) { // two requests' SERVER and CLIENT spans
                Thread.sleep(50);
            }
            assertThat(failedSpans(g)).isGreaterThanOrEqualTo(4);
            assertThat(strict.requestHeaders.size()).isGreaterThanOrEqualTo(2);
            assertThat(logs.lines().stream().filter(l -> l.contains("cannot be exported")).count()).isEqualTo(1);

            strict.status = 200;
            Parent parent = Parent.random();
            assertThat(get("http://127.0.0.1:" + plain + "/orders/39", parent, null).statusCode()).isEqualTo(200);
            strict.await(s -> s.traceId().equals(parent.traceId()), 2, WAIT);
            logs.await(l -> l.contains("spans reach") && l.contains("again"), WAIT);
            assertThat(logs.lines()).noneMatch(l -> l.contains(OTLP_KEY));
        }
    }

    @Test
    void aCollectorSlowerThanTheSpansMakesTheQueueDropSpansNeverTheRequestsWait() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("slow"));
        int plain = Ports.free();
        try (LogCapture logs = new LogCapture(); OtlpReceiver slow = new OtlpReceiver();
             GatewayHarness g = GatewayHarness.start(dir, config(slow.endpoint(), "edge-s", plain, Ports.free()))) {
            slow.delayMillis = 6000; // one export in flight at a time: the queue (2048 spans) fills meanwhile
            HttpClient many = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            int requests = 1800; // two spans each
            java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
            java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
            long started = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                inFlight.acquire();
                many.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain + "/orders/bulk-" + i)).build(),
                        HttpResponse.BodyHandlers.discarding()).whenComplete((r, t) -> {
                            if (t == null && r.statusCode() == 200) {
                                ok.incrementAndGet();
                            }
                            inFlight.release();
                        });
            }
            inFlight.acquire(16);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(ok.get()).isEqualTo(requests);
            logs.await(l -> l.contains("spans are dropped"), WAIT);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (droppedSpans(g) <= 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(droppedSpans(g)).as("requests took %d ms", tookMillis).isPositive();
            assertThat(logs.lines().stream().filter(l -> l.contains("spans are dropped")).count()).isEqualTo(1);

            slow.delayMillis = 0; // the collector catches up: the queue drains, and later batches drop nothing
            Parent parent = Parent.random();
            assertThat(get("http://127.0.0.1:" + plain + "/orders/last", parent, null).statusCode()).isEqualTo(200);
            slow.await(s -> s.traceId().equals(parent.traceId()), 2, Duration.ofSeconds(40));
            Thread.sleep(5500); // quiet for longer than SdkLog.QUIET_NANOS: the next export says dropping stopped
            assertThat(get("http://127.0.0.1:" + plain + "/orders/later", Parent.random(), null).statusCode()).isEqualTo(200);
            logs.await(l -> l.contains("no longer dropped"), WAIT);
            assertThat(logs.lines().stream().filter(l -> l.contains("no longer dropped")).count()).isEqualTo(1);
            assertThat(logs.lines().stream().filter(l -> l.contains("spans are dropped")).count()).isEqualTo(1);
        }
    }

    private static long droppedSpans(GatewayHarness g) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("gatehouse_telemetry_spans_dropped_total (\\d+)")
                .matcher(g.gateway.metrics().scrape());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long failedSpans(GatewayHarness g) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("gatehouse_telemetry_spans_failed_total (\\d+)")
                .matcher(g.gateway.metrics().scrape());
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
