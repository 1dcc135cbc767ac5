package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request tracing as APIM's ({@code Apim-Debug-Authorization}), through the gateway with the JDK's
 * HttpClient over TLS and a backend that records what it receives: the response carries only
 * {@code Apim-Trace-Id}; {@code GET /traces/ID} on the admin port gives the steps in order with
 * {@code file:line}, and never a secret; a wrong key traces nothing; the header never reaches
 * the backend; the store keeps at most maxTraces for the retention, across reloads.
 */
class RequestTraceTest {
    static final String KEY = "trace-key-0123456789abcdef";
    static final String SECRET = "s3cr3t-named-value-xyz";
    static final String SUBSCRIPTION_KEY = "sub-key-4242424242";

    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();

    static String config(TestWorld w, int port, int admin, int backend, Path policy, String traceSettings) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                  trace:
                    keys:
                      - %s
                %s
                namedValues:
                  - name: backend-secret
                    value: %s
                    secret: true
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s
                backends:
                  - id: svc
                    url: http://127.0.0.1:%d
                apis:
                  - id: plain
                    path: plain
                    backendId: svc
                  - id: guarded
                    path: guarded
                    backendId: svc
                    policy: %s
                """.formatted(port, admin, KEY, traceSettings.indent(4).stripTrailing(), SECRET, E2e.gatewayCertificate(w),
                backend, policy);
    }

    static final String POLICY = """
            <policies>
              <inbound>
                <set-variable name="who" value="@(context.Request.Headers.GetValueOrDefault("X-Who", "nobody"))" />
                <set-header name="X-Api-Secret" exists-action="override"><value>{{backend-secret}}</value></set-header>
                <set-header name="X-Stage" exists-action="override"><value>traced-stage</value></set-header>
                <choose>
                  <when condition="@(context.Request.Url.Path.EndsWith("/deny"))">
                    <return-response><set-status code="403" reason="Forbidden" /></return-response>
                  </when>
                </choose>
                <trace source="guard" severity="information"><message>passed the guard</message></trace>
              </inbound>
              <backend><forward-request timeout="10" /></backend>
              <outbound><set-header name="x-seen" exists-action="override"><value>yes</value></set-header></outbound>
            </policies>
            """;

    private Path policy() {
        Path p = tmp.resolve("guarded.xml");
        GatewayHarness.write(p, POLICY);
        return p;
    }

    private static HttpResponse<String> call(HttpClient client, int port, String path, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + path))
                .timeout(Duration.ofSeconds(20));
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> admin(int admin, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<JsonNode> steps(JsonNode trace) {
        List<JsonNode> out = new ArrayList<>();
        trace.path("steps").forEach(out::add);
        return out;
    }

    private static int indexOf(List<JsonNode> steps, String kind, String element) {
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).path("kind").asText().equals(kind) && (element == null
                    || steps.get(i).path("element").asText().equals(element))) {
                return i;
            }
        }
        return -1;
    }

    /** The first value of a request header as the trace shows it (HTTP/2 sends names in lower case). */
    private static String header(JsonNode trace, String name) {
        var it = trace.path("request").path("headers").fields();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().get(0).asText();
            }
        }
        throw new AssertionError("no header " + name + " in " + trace.path("request"));
    }

    /** The policy file's line holding {@code text}, 1-based. */
    private static int line(String text) {
        String[] lines = POLICY.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text);
    }

    @Test
    void aRefusedRequestIsTracedStepByStepAndTheResponseCarriesOnlyTheTraceId() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = policy();
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy, ""))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            HttpResponse<String> r = call(client, port, "/guarded/deny", Map.of("Apim-Debug-Authorization", KEY,
                    "Ocp-Apim-Subscription-Key", SUBSCRIPTION_KEY, "X-Who", "alice"));
            assertThat(r.statusCode()).isEqualTo(403);
            String id = r.headers().firstValue("Apim-Trace-Id").orElseThrow();
            assertThat(id).matches("[0-9a-f]{32}");
            // nothing of the trace in the response: only its id
            String everything = r.headers().map() + "\n" + r.body();
            for (String stepText : List.of("set-variable", "set-header", "guarded.xml", "condition", "return-response",
                    "traced-stage", "alice", SECRET, KEY)) {
                assertThat(everything).as(stepText).doesNotContain(stepText);
            }
            assertThat(backend.requests).isEmpty();

            HttpResponse<String> got = admin(admin, "/traces/" + id);
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.headers().firstValue("content-type").orElse("")).startsWith("application/json");
            assertThat(got.body()).doesNotContain(KEY).doesNotContain(SECRET).doesNotContain(SUBSCRIPTION_KEY);
            JsonNode trace = JSON.readTree(got.body());
            assertThat(trace.path("id").asText()).isEqualTo(id);
            assertThat(trace.path("status").asInt()).isEqualTo(403);
            assertThat(trace.path("complete").asBoolean()).isTrue();
            String file = policy.toString();
            assertThat(trace.path("responder").path("element").asText()).isEqualTo("return-response");
            assertThat(trace.path("responder").path("at").asText()).isEqualTo(file + ":" + line("<return-response>"));
            assertThat(trace.path("request").path("method").asText()).isEqualTo("GET");
            assertThat(header(trace, "Ocp-Apim-Subscription-Key")).isEqualTo("[redacted]");
            assertThat(header(trace, "Apim-Debug-Authorization")).isEqualTo("[redacted]");
            assertThat(header(trace, "X-Who")).isEqualTo("alice");

            List<JsonNode> steps = steps(trace);
            int request = indexOf(steps, "request", null);
            int route = indexOf(steps, "route", null);
            int setVariable = indexOf(steps, "policy", "set-variable");
            int variable = indexOf(steps, "variable", null);
            int secretHeader = indexOf(steps, "header", null);
            int choose = indexOf(steps, "policy", "choose");
            int condition = indexOf(steps, "condition", null);
            int branch = indexOf(steps, "branch", "when");
            int returnResponse = indexOf(steps, "policy", "return-response");
            int responder = indexOf(steps, "responder", null);
            int response = indexOf(steps, "response", null);
            assertThat(List.of(request, route, setVariable, variable, secretHeader, choose, condition, branch,
                    returnResponse, responder, response)).as(got.body()).doesNotContain(-1).isSorted();
            // each policy in order with its scope, section and file:line
            JsonNode sv = steps.get(setVariable);
            assertThat(sv.path("scope").asText()).isEqualTo("api");
            assertThat(sv.path("section").asText()).isEqualTo("inbound");
            assertThat(sv.path("at").asText()).isEqualTo(file + ":" + line("<set-variable"));
            assertThat(steps.get(variable).path("detail").asText()).isEqualTo("who = alice");
            // the header set from a secret named value: named, its value redacted
            assertThat(steps.get(secretHeader).path("data").path("name").asText()).isEqualTo("X-Api-Secret");
            assertThat(steps.get(secretHeader).path("data").path("values").get(0).asText()).isEqualTo("[redacted]");
            assertThat(steps.get(choose).path("at").asText()).isEqualTo(file + ":" + line("<choose>"));
            // the when that fired, with its condition and value
            JsonNode cond = steps.get(condition);
            assertThat(cond.path("at").asText()).isEqualTo(file + ":" + line("<when"));
            assertThat(cond.path("data").path("condition").asText()).contains("EndsWith(\"/deny\")");
            assertThat(cond.path("data").path("value").asBoolean()).isTrue();
            assertThat(steps.get(returnResponse).path("at").asText()).isEqualTo(file + ":" + line("<return-response>"));
            // return-response ended the pipeline: the trace policy after it never ran, nor did the backend
            assertThat(indexOf(steps, "policy", "trace")).isEqualTo(-1);
            assertThat(indexOf(steps, "backend", null)).isEqualTo(-1);
            assertThat(steps.get(response).path("data").path("status").asInt()).isEqualTo(403);
            double last = -1;
            for (JsonNode s : steps) {
                assertThat(s.path("ms").asDouble()).isGreaterThanOrEqualTo(last);
                last = s.path("ms").asDouble();
            }
        }
    }

    @Test
    void aServedRequestShowsTheBackendCallAndTheBackendNeverSeesTheDebugHeader() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = policy();
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy, ""))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            HttpResponse<String> r = call(client, port, "/guarded/items/7", Map.of("Apim-Debug-Authorization", KEY,
                    "X-Who", "bob"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("x-seen")).hasValue("yes");
            String id = r.headers().firstValue("Apim-Trace-Id").orElseThrow();
            assertThat(backend.requests).hasSize(1);
            RecordingBackend.Request seen = backend.requests.get(0);
            assertThat(seen.header("Apim-Debug-Authorization")).isNull();
            assertThat(seen.header("X-Stage")).isEqualTo("traced-stage");
            assertThat(seen.header("X-Api-Secret")).isEqualTo(SECRET); // the backend gets it; the trace does not

            HttpResponse<String> got = admin(admin, "/traces/" + id);
            assertThat(got.body()).doesNotContain(KEY).doesNotContain(SECRET);
            JsonNode trace = JSON.readTree(got.body());
            List<JsonNode> steps = steps(trace);
            int header = indexOf(steps, "header", null);
            int trace1 = indexOf(steps, "trace", "trace");
            int forward = indexOf(steps, "policy", "forward-request");
            int call = indexOf(steps, "backend", null);
            int answer = indexOf(steps, "backend-response", null);
            int outbound = -1;
            for (int i = 0; i < steps.size(); i++) {
                if (steps.get(i).path("section").asText().equals("outbound")) {
                    outbound = i;
                    break;
                }
            }
            int response = indexOf(steps, "response", null);
            assertThat(List.of(header, trace1, forward, call, answer, outbound, response)).as(got.body())
                    .doesNotContain(-1).isSorted();
            assertThat(steps.get(trace1).path("detail").asText()).contains("guard").contains("passed the guard");
            JsonNode b = steps.get(call).path("data");
            assertThat(b.path("backend").asText()).isEqualTo("svc");
            assertThat(b.path("url").asText()).isEqualTo("http://127.0.0.1:" + backend.port() + "/items/7");
            assertThat(b.path("connection").asText()).isEqualTo("new");
            assertThat(b.path("connectMs").asDouble()).isGreaterThanOrEqualTo(0);
            assertThat(steps.get(answer).path("data").path("status").asInt()).isEqualTo(200);
            assertThat(steps.get(answer).path("data").path("durationMs").asDouble()).isGreaterThan(0);
            assertThat(steps.get(outbound).path("element").asText()).isEqualTo("set-header");
            assertThat(trace.path("responder").isNull()).isTrue(); // the backend's response went out
            assertThat(trace.path("status").asInt()).isEqualTo(200);

            // a plain route (no policies): route, backend call, status
            HttpResponse<String> plain = call(client, port, "/plain/x", Map.of("Apim-Debug-Authorization", KEY));
            assertThat(plain.statusCode()).isEqualTo(200);
            String plainId = plain.headers().firstValue("Apim-Trace-Id").orElseThrow();
            assertThat(backend.requests).hasSize(2);
            assertThat(backend.requests.get(1).header("Apim-Debug-Authorization")).isNull();
            List<JsonNode> plainSteps = steps(JSON.readTree(admin(admin, "/traces/" + plainId).body()));
            assertThat(List.of(indexOf(plainSteps, "route", null), indexOf(plainSteps, "backend", null),
                    indexOf(plainSteps, "backend-response", null), indexOf(plainSteps, "response", null)))
                    .doesNotContain(-1).isSorted();
            assertThat(plainSteps.get(indexOf(plainSteps, "backend", null)).path("data").path("connection").asText())
                    .isEqualTo("reused"); // the pooled connection of the first request
        }
    }

    @Test
    void aTlsBackendCallShowsTheCertificatePresentedAndTheServersChainNeverAKey() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        int admin = Ports.free();
        try (TestBackend strict = new TestBackend(io.gatehouse.tls.SslContextFactory.downstream(new io.gatehouse.tls.DownstreamTls(
                new io.gatehouse.tls.KeyMaterial(w.backendServer.keyPair().getPrivate(), List.of(w.backendServer.certificate())),
                io.gatehouse.tls.ClientCertificateMode.REQUIRE_AND_VERIFY,
                io.gatehouse.tls.CaStore.of(List.of(w.gatewayClientCa.certificate()), List.of(), List.of()),
                io.gatehouse.tls.RevocationMode.OFF, "1.2")));
                GatewayHarness gw = GatewayHarness.start(tmp, """
                        gateway:
                          listeners:
                            - port: %d
                              bind: 127.0.0.1
                          admin:
                            port: %d
                          trace:
                            keys: [%s]
                        hostnames:
                          - hostName: api.gatehouse.test
                            certificateId: gateway-tls
                            defaultSslBinding: true
                        caCertificates:
                          - id: backend-ca
                            file: %s
                            storeName: Root
                        certificates:
                          - id: gateway-tls
                            certificateFile: %s
                            keyFile: %s
                          - id: backend-client-cert
                            certificateFile: %s
                            keyFile: %s
                        backends:
                          - id: secure
                            url: https://backend.gatehouse.test:%d
                            tls:
                              trustedCaCertificateIds: [backend-ca]
                            credentials:
                              certificateIds: [backend-client-cert]
                        apis:
                          - id: secure
                            path: secure
                            backendId: secure
                        """.formatted(port, admin, KEY, w.path("backend-ca.pem"), w.path("gateway.pem"), w.path("gateway.key"),
                        w.path("gw-client.pem"), w.path("gw-client.key"), strict.port()))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            HttpResponse<String> r = call(client, port, "/secure/x", Map.of("Apim-Debug-Authorization", KEY));
            assertThat(r.statusCode()).isEqualTo(200);
            String body = admin(admin, "/traces/" + r.headers().firstValue("Apim-Trace-Id").orElseThrow()).body();
            String key = java.util.Base64.getEncoder().encodeToString(w.gatewayClient.keyPair().getPrivate().getEncoded());
            assertThat(body).doesNotContain(key.substring(0, 40)).doesNotContain("PRIVATE KEY");
            List<JsonNode> steps = steps(JSON.readTree(body));
            int call = indexOf(steps, "backend", null);
            assertThat(call).as(body).isNotEqualTo(-1);
            JsonNode data = steps.get(call).path("data");
            assertThat(data.path("connection").asText()).isEqualTo("new");
            assertThat(data.path("tlsHandshakeMs").asDouble()).isGreaterThan(0);
            JsonNode tls = data.path("tls");
            assertThat(tls.path("serverName").asText()).isEqualTo("backend.gatehouse.test");
            assertThat(tls.path("clientCertificate").path("subject").asText()).isEqualTo(
                    io.gatehouse.common.x509.DotNetNames.format(w.gatewayClient.certificate().getSubjectX500Principal()));
            assertThat(tls.path("clientCertificate").path("thumbprint").asText()).isEqualTo(
                    java.util.HexFormat.of().withUpperCase().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                            .digest(w.gatewayClient.certificate().getEncoded())));
            assertThat(tls.path("serverChain").get(0).asText()).isEqualTo(
                    io.gatehouse.common.x509.DotNetNames.format(w.backendServer.certificate().getSubjectX500Principal()));
            assertThat(steps.get(indexOf(steps, "backend-response", null)).path("data").path("status").asInt()).isEqualTo(200);
        }
    }

    @Test
    void aWrongKeyIsIgnoredAndTheHeaderIsStrippedAnyway() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = policy();
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy, ""))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            String almost = KEY.substring(0, KEY.length() - 1) + "g";
            for (String path : List.of("/guarded/a", "/plain/a")) {
                HttpResponse<String> r = call(client, port, path, Map.of("Apim-Debug-Authorization", almost));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Apim-Trace-Id")).isEmpty();
                assertThat(r.body()).doesNotContain("trace");
            }
            assertThat(backend.requests).hasSize(2);
            for (RecordingBackend.Request seen : backend.requests) {
                assertThat(seen.header("Apim-Debug-Authorization")).isNull();
            }
            assertThat(gw.gateway.traceStore().size()).isZero();
        }
    }

    @Test
    void theHeaderIsStrippedFromTrailersToo() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy(), ""))) {
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) DownstreamMtlsTestSupport.trusting(w).getSocketFactory()
                    .createSocket("127.0.0.1", port);
            try (s) {
                javax.net.ssl.SSLParameters p = s.getSSLParameters();
                p.setServerNames(List.of(new javax.net.ssl.SNIHostName("api.gatehouse.test")));
                p.setApplicationProtocols(new String[] {"http/1.1"});
                s.setSSLParameters(p);
                s.getOutputStream().write(("POST /plain/t HTTP/1.1\r\nHost: api.gatehouse.test\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\nApim-Debug-Authorization: " + KEY
                        + "\r\nX-Checksum: 42\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertThat(answer).startsWith("HTTP/1.1 200");
            }
            assertThat(backend.requests).hasSize(1);
            assertThat(backend.requests.get(0).bodyText()).isEqualTo("hello");
            assertThat(backend.requests.get(0).trailerNames()).containsExactly("X-Checksum");
        }
    }

    @Test
    void theHeaderIsStrippedWhenTracingIsOff() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy(), "")
                        .replace("  trace:\n    keys:\n      - " + KEY + "\n", ""))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            HttpResponse<String> r = call(client, port, "/plain/off", Map.of("Apim-Debug-Authorization", KEY));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Apim-Trace-Id")).isEmpty();
            assertThat(backend.requests).hasSize(1);
            assertThat(backend.requests.get(0).header("Apim-Debug-Authorization")).isNull();
            assertThat(backend.requests.get(0).target()).isEqualTo("/off"); // it went through the gateway
        }
    }

    @Test
    void theStoreEvictsTheOldestExpiresAfterRetentionAndSurvivesAReload() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = policy();
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy,
                        "maxTraces: 2"))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = call(client, port, "/guarded/deny", Map.of("Apim-Debug-Authorization", KEY));
                ids.add(r.headers().firstValue("Apim-Trace-Id").orElseThrow());
            }
            assertThat(admin(admin, "/traces/" + ids.get(0)).statusCode()).isEqualTo(404); // the oldest went first
            HttpResponse<String> missing = admin(admin, "/traces/" + ids.get(0));
            assertThat(JSON.readTree(missing.body()).path("statusCode").asInt()).isEqualTo(404);
            assertThat(admin(admin, "/traces/" + ids.get(1)).statusCode()).isEqualTo(200);
            assertThat(admin(admin, "/traces/" + ids.get(2)).statusCode()).isEqualTo(200);
            assertThat(admin(admin, "/traces/not-an-id").statusCode()).isEqualTo(404);

            // a reload keeps the traces
            assertThat(gw.reload(config(w, port, admin, backend.port(), policy, "maxTraces: 5"))
                    .diagnostics().hasErrors()).isFalse();
            assertThat(admin(admin, "/traces/" + ids.get(1)).statusCode()).isEqualTo(200);
            assertThat(admin(admin, "/traces/" + ids.get(2)).statusCode()).isEqualTo(200);
            // and its settings apply: a 1 s retention expires them
            assertThat(gw.reload(config(w, port, admin, backend.port(), policy, "maxTraces: 5\nretention: 1"))
                    .diagnostics().hasErrors()).isFalse();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int status = 200;
            while (status == 200 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                status = admin(admin, "/traces/" + ids.get(2)).statusCode();
            }
            assertThat(status).isEqualTo(404);
        }
    }
}
