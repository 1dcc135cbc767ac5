package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.SslContextFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gateway.accessLog} end to end: curl with a client certificate through an mTLS hostname to
 * a backend that requires the gateway's own client certificate. Each field of a served request, a
 * request refused by a policy's {@code return-response}, a policy failure, a backend that refuses
 * the gateway's handshake, and one that is down; the query string stays out unless configured, and
 * the console format and {@code off} do what they say.
 */
class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private String config(TestWorld w, int port, int strictBackend, int closedPort, Path policy, Path log, String extra) {
        return """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                  accessLog:
                    file: %2$s
                %3$s
                hostnames:
                  - hostName: strict.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                    defaultSslBinding: true
                caCertificates:
                  - id: client-ca
                    file: %4$s
                    storeName: Root
                  - id: backend-ca
                    file: %5$s
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: %6$s
                    keyFile: %7$s
                  - id: backend-client-cert
                    certificateFile: %8$s
                    keyFile: %9$s
                  - id: stranger-cert
                    certificateFile: %10$s
                    keyFile: %11$s
                backends:
                  - id: records
                    url: https://backend.gatehouse.test:%12$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                  - id: refuses-us
                    url: https://backend.gatehouse.test:%12$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [stranger-cert]
                  - id: down
                    url: http://127.0.0.1:%13$d
                apis:
                  - id: records
                    path: records
                    backendId: records
                    operations:
                      - id: get-record
                        method: GET
                        urlTemplate: /{id}
                  - id: guarded
                    path: guarded
                    backendId: records
                    policy: %14$s
                  - id: refuses-us
                    path: refuses-us
                    backendId: refuses-us
                  - id: down
                    path: down
                    backendId: down
                """.formatted(port, log, extra, w.path("client-ca.pem"), w.path("backend-ca.pem"), w.path("gateway.pem"),
                w.path("gateway.key"), w.path("gw-client.pem"), w.path("gw-client.key"), w.path("untrusted-gw-client.pem"),
                w.path("untrusted-gw-client.key"), strictBackend, closedPort, policy);
    }

    private static final String POLICY = """
            <policies>
              <inbound>
                <choose>
                  <when condition="@(context.Request.Url.Path.EndsWith("/deny"))">
                    <return-response><set-status code="403" reason="Forbidden" /></return-response>
                  </when>
                  <when condition="@(context.Request.Url.Path.EndsWith("/broken"))">
                    <set-variable name="n" value="@(int.Parse("not a number"))" />
                  </when>
                </choose>
              </inbound>
              <backend><forward-request timeout="10" /></backend>
              <outbound><set-header name="x-seen" exists-action="override"><value>yes</value></set-header></outbound>
            </policies>
            """;

    @Test
    void everyFieldOfServedRefusedAndFailedRequests() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = tmp.resolve("guarded.xml");
        GatewayHarness.write(policy, POLICY);
        Path log = tmp.resolve("access.log");
        int port = Ports.free();
        int closed = Ports.free();
        try (TestBackend backend = new TestBackend(SslContextFactory.downstream(new DownstreamTls(
                        new KeyMaterial(w.backendServer.keyPair().getPrivate(), List.of(w.backendServer.certificate())),
                        ClientCertificateMode.REQUIRE_AND_VERIFY,
                        CaStore.of(List.of(w.gatewayClientCa.certificate()), List.of(), List.of()), RevocationMode.OFF, "1.2")));
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, backend.port(), closed, policy, log, ""))) {
            String host = TestWorld.STRICT_HOST;
            E2e.CurlResult served = E2e.curl(w, host, port, "/records/42?subscription-key=s3cr3t-key", "client",
                    "-d", "hello", "-X", "GET");
            assertThat(served.status()).as(served.stderr()).isEqualTo(200);
            E2e.CurlResult denied = E2e.curl(w, host, port, "/guarded/deny", "client");
            assertThat(denied.status()).isEqualTo(403);
            E2e.CurlResult broken = E2e.curl(w, host, port, "/guarded/broken", "client");
            assertThat(broken.status()).isEqualTo(500);
            E2e.CurlResult refused = E2e.curl(w, host, port, "/refuses-us/x", "client");
            assertThat(refused.status()).isEqualTo(502);
            E2e.CurlResult down = E2e.curl(w, host, port, "/down/x", "client");
            assertThat(down.status()).isEqualTo(502);
            E2e.CurlResult viaPolicy = E2e.curl(w, host, port, "/guarded/ok", "client");
            assertThat(viaPolicy.status()).isEqualTo(200);

            List<JsonNode> lines = lines(log, 6);
            String cert = DotNetNames.format(w.client.certificate().getSubjectX500Principal());

            JsonNode s = lines.get(0);
            assertThat(s.path("time").asText()).matches("20\\d\\d-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
            assertThat(s.path("requestId").asText()).matches("[0-9a-f-]{36}");
            assertThat(s.path("clientAddress").asText()).isEqualTo("127.0.0.1");
            assertThat(s.path("clientPort").asInt()).isBetween(1, 65535).isNotEqualTo(port);
            assertThat(s.path("listenerPort").asInt()).isEqualTo(port);
            assertThat(s.path("sni").asText()).isEqualTo(host);
            assertThat(s.path("hostname").asText()).isEqualTo(host);
            assertThat(s.path("api").asText()).isEqualTo("records");
            assertThat(s.path("operation").asText()).isEqualTo("get-record");
            assertThat(s.path("method").asText()).isEqualTo("GET");
            assertThat(s.path("path").asText()).isEqualTo("/records/42"); // the query string (a key) stays out
            assertThat(s.path("protocol").asText()).isIn("HTTP/1.1", "HTTP/2");
            assertThat(s.path("status").asInt()).isEqualTo(200);
            assertThat(s.path("bytesIn").asLong()).isEqualTo(5);
            assertThat(s.path("bytesOut").asLong()).isEqualTo(served.body().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            assertThat(s.path("durationMs").asDouble()).isPositive();
            assertThat(s.path("backendMs").asDouble()).isPositive().isLessThanOrEqualTo(s.path("durationMs").asDouble());
            assertThat(s.path("handshakeMs").asDouble()).isPositive();
            assertThat(s.path("clientCertificateSubject").asText()).isEqualTo(cert);
            assertThat(s.path("clientCertificateThumbprint").asText()).isEqualTo(DotNetNames.thumbprint(w.client.certificate()))
                    .matches("[0-9A-F]{40}");
            assertThat(s.path("clientCertificateSha256").asText()).isEqualTo(DotNetNames.sha256(w.client.certificate()));
            assertThat(s.path("clientCertificateStatus").asText()).isEqualTo("verified");
            assertThat(s.path("backend").asText()).isEqualTo("records");
            assertThat(s.path("backendStatus").asInt()).isEqualTo(200);
            assertThat(s.path("backendCertificate").asText()).isEqualTo("CN=gatehouse-gw, O=Contoso, C=US");
            assertThat(s.path("backendTls").asText()).startsWith("TLSv1.");
            assertThat(s.has("errorReason")).isFalse();

            JsonNode d = lines.get(1);
            assertThat(d.path("status").asInt()).isEqualTo(403);
            assertThat(d.path("api").asText()).isEqualTo("guarded");
            assertThat(d.has("backend")).as("the backend was never called: %s", d).isFalse();
            assertThat(d.path("policy").asText()).as(d.toString()).matches("return-response at .*guarded\\.xml:5:\\d+");
            assertThat(d.has("backendStatus")).isFalse();
            assertThat(d.path("clientCertificateThumbprint").asText()).isEqualTo(s.path("clientCertificateThumbprint").asText());

            JsonNode b = lines.get(2);
            assertThat(b.path("status").asInt()).isEqualTo(500);
            assertThat(b.path("errorSource").asText()).isEqualTo("set-variable");
            assertThat(b.path("errorReason").asText()).isEqualTo("ExpressionValueEvaluationFailure");
            assertThat(b.path("errorMessage").asText()).isNotEmpty();
            assertThat(b.path("errorPolicy").asText()).contains("inbound/").contains("set-variable");
            assertThat(b.path("policy").asText()).matches("set-variable at .*guarded\\.xml:8:\\d+");

            JsonNode r = lines.get(3);
            assertThat(r.path("status").asInt()).isEqualTo(502);
            assertThat(r.path("errorReason").asText()).isEqualTo("BackendConnectionFailure");
            assertThat(r.path("backend").asText()).isEqualTo("refuses-us");
            assertThat(r.path("backendTls").asText()).as(r.toString()).startsWith("failed: ");
            assertThat(r.has("backendStatus")).isFalse();

            JsonNode n = lines.get(4);
            assertThat(n.path("status").asInt()).isEqualTo(502);
            assertThat(n.path("backend").asText()).isEqualTo("down");
            assertThat(n.path("errorSource").asText()).isEqualTo("forward-request");
            assertThat(n.has("backendTls")).isFalse();

            JsonNode p = lines.get(5);
            assertThat(p.path("status").asInt()).isEqualTo(200);
            assertThat(p.path("backend").asText()).isEqualTo("records");
            assertThat(p.path("backendStatus").asInt()).isEqualTo(200);
            assertThat(p.path("backendMs").asDouble()).isPositive();
            assertThat(p.path("backendCertificate").asText()).isEqualTo("CN=gatehouse-gw, O=Contoso, C=US");
            assertThat(p.has("policy")).as("the backend's response went out: %s", p).isFalse();

            assertThat(Files.readString(log)).doesNotContain("s3cr3t-key").doesNotContain("BEGIN");
            assertThat(gw.gateway.metrics().scrape()).contains("gatehouse_access_log_lines_total 6.0");

            // the query string only when configured; a reload switches to the new settings
            gw.reload(config(w, port, backend.port(), closed, policy, log, "    queryString: true\n    format: console"));
            E2e.CurlResult again = E2e.curl(w, host, port, "/records/7?page=2", "client");
            assertThat(again.status()).isEqualTo(200);
            String last = waitForLine(log, 7);
            assertThat(last).contains("\"GET /records/7?page=2\" 200").contains("api=records/get-record")
                    .contains("cert=\"" + cert + "\"").contains("backend=records 200").doesNotStartWith("{");
        }
    }

    @Test
    void offWritesNothing() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = tmp.resolve("guarded.xml");
        GatewayHarness.write(policy, POLICY);
        Path log = tmp.resolve("access.log");
        int port = Ports.free();
        try (GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, Ports.free(), Ports.free(), policy, log,
                "    format: off"))) {
            assertThat(E2e.curl(w, TestWorld.STRICT_HOST, port, "/guarded/deny", "client").status()).isEqualTo(403);
            Thread.sleep(300); // the writer flushes within 20 ms of a line; there must be none
            assertThat(Files.exists(log) ? Files.readString(log) : "").isEmpty();
        }
    }

    @Test
    void aFileMovedAwayByLogRotationIsStartedAgainAndAFullBufferDropsAndCounts() throws Exception {
        Path file = tmp.resolve("rotating.log");
        GatewayMetrics metrics = new GatewayMetrics();
        AccessLog log = AccessLog.open(new io.gatehouse.config.model.AccessLogSettings(
                io.gatehouse.config.model.AccessLogSettings.Format.JSON, file, false, 16), metrics);
        try {
            log.add(entry("first"));
            waitForLine(file, 1);
            Files.move(file, tmp.resolve("rotating.log.1"));
            Thread.sleep(1200); // the writer looks for a moved file once a second
            log.add(entry("second"));
            assertThat(waitForLine(file, 1)).contains("\"requestId\":\"second\"");
            assertThat(Files.readString(tmp.resolve("rotating.log.1"))).contains("\"requestId\":\"first\"")
                    .doesNotContain("second");
        } finally {
            log.close();
        }
        // nothing drains this one: 16 lines fit, the rest are dropped and counted, and add() never waits
        AccessLog stuck = AccessLog.open(new io.gatehouse.config.model.AccessLogSettings(
                io.gatehouse.config.model.AccessLogSettings.Format.JSON, tmp.resolve("no-such-dir/x.log"), false, 16), metrics);
        stuck.close(); // the writer is gone: the queue fills and stays full
        long t0 = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            stuck.add(entry("e" + i));
        }
        assertThat(System.nanoTime() - t0).isLessThan(1_000_000_000L);
        assertThat(metrics.scrape()).containsPattern("gatehouse_access_log_dropped_total (8[4-9]|9\\d|100)\\.0");
    }

    /**
     * A reload that changes gateway.accessLog swaps the log while requests are ending on the event
     * loops: one that read the old log just before the swap hands it its line just after. The old
     * log still writes it (it used to stop as soon as its queue was empty, and the line was lost).
     */
    @Test
    void aLogAReloadReplacedStillWritesTheLinesThatReachItJustAfter() throws Exception {
        Path file = tmp.resolve("retired.log");
        AccessLog log = AccessLog.open(new io.gatehouse.config.model.AccessLogSettings(
                io.gatehouse.config.model.AccessLogSettings.Format.JSON, file, false, 16), new GatewayMetrics());
        log.add(entry("before-the-swap"));
        waitForLine(file, 1);
        long t0 = System.nanoTime();
        log.retire();
        assertThat(System.nanoTime() - t0).as("the reload does not wait").isLessThan(100_000_000L);
        Thread.sleep(200); // the writer has emptied its queue
        log.add(entry("after-the-swap"));
        assertThat(waitForLine(file, 2)).contains("\"requestId\":\"after-the-swap\"");
        log.close();
    }

    private static AccessLog.Entry entry(String id) {
        AccessLog.Entry e = new AccessLog.Entry();
        e.requestId = id;
        e.method = "GET";
        e.path = "/x";
        e.status = 200;
        e.startMillis = System.currentTimeMillis();
        return e;
    }

    /** Waits for at least {@code n} lines and returns them parsed. */
    private static List<JsonNode> lines(Path log, int n) throws Exception {
        waitForLine(log, n);
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(log)) {
            out.add(JSON.readTree(l));
        }
        assertThat(out).hasSize(n);
        return out;
    }

    /** Waits (up to 10 s) for line {@code n} and returns it. */
    private static String waitForLine(Path log, int n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            if (lines.size() >= n) {
                return lines.get(n - 1);
            }
            assertThat(System.nanoTime()).as("line %d of %s; have %s", n, log, lines).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
