package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.tls.Pki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Inbound mTLS with real clients: every client-certificate mode against no certificate, a good
 * one, one from an unknown CA (an impostor with the same CA name), an expired one and one that
 * chains through an intermediate the client sends; hostnames with different modes on one port;
 * HTTP/2 with a client certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DownstreamMtlsTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static GatewayHarness gw;
    static int port;

    @BeforeAll
    static void start() {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new TestBackend(null);
        port = Ports.free();
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                %s%s%s
                backends:
                  - id: echo
                    url: http://127.0.0.1:%d
                apis:
                  - id: echo
                    path: ""
                    backendId: echo
                """.formatted(port, E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world), backend.port()));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @ParameterizedTest(name = "{0} with {1}: {2}")
    @CsvSource({
            // host,                   certificate, expected
            "open.gatehouse.test,      none,      ok",
            "open.gatehouse.test,      client,    ok",
            "open.gatehouse.test,      rogue,     ok",
            "api.gatehouse.test,       none,      ok",
            "api.gatehouse.test,       client,    ok",
            "api.gatehouse.test,       rogue,     ok",
            "api.gatehouse.test,       expired,   ok",
            "require.gatehouse.test,   none,      refused",
            "require.gatehouse.test,   client,    ok",
            "require.gatehouse.test,   rogue,     ok",
            "require.gatehouse.test,   expired,   ok",
            "verify.gatehouse.test,    none,      ok",
            "verify.gatehouse.test,    client,    ok",
            "verify.gatehouse.test,    rogue,     refused",
            "verify.gatehouse.test,    expired,   refused",
            "verify.gatehouse.test,    lab-chain, ok",
            "strict.gatehouse.test,    none,      refused",
            "strict.gatehouse.test,    client,    ok",
            "strict.gatehouse.test,    rogue,     refused",
            "strict.gatehouse.test,    expired,   refused",
            "strict.gatehouse.test,    lab-chain, ok",
    })
    void clientCertificateModesWithCurl(String host, String cert, String expected) {
        E2e.CurlResult r = E2e.curl(world, host, port, "/patients/1", cert.equals("none") ? null : cert);
        if (expected.equals("ok")) {
            assertThat(r.status()).as(r.stderr()).isEqualTo(200);
            assertThat(r.body()).contains("\"uri\": \"/patients/1\"");
        } else {
            assertThat(r.handshakeFailed()).as("status %s, curl: %s", r.status(), r.stderr()).isTrue();
        }
    }

    @Test
    void refusedHandshakeIsExplainedInTheLog() {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = E2e.curl(world, "strict.gatehouse.test", port, "/x", "rogue");
            assertThat(r.handshakeFailed()).isTrue();
            String line = logs.await(l -> l.contains("TLS handshake") && l.contains("strict.gatehouse.test"),
                    Duration.ofSeconds(5));
            assertThat(line).containsIgnoringCase("clinic-app");
            assertThat(gw.gateway.metrics().scrape()).contains(
                    "gatehouse_downstream_handshake_failures_total{hostname=\"strict.gatehouse.test\",reason=\"bad_signature\"}");
        }
    }

    /** The handshake failure metric says which check failed, as the log line does, not just "handshake". */
    @Test
    void handshakeFailuresAreCountedByTheCheckThatFailed() {
        String metric = "gatehouse_downstream_handshake_failures_total{hostname=\"strict.gatehouse.test\",reason=\"%s\"}";
        assertThat(E2e.curl(world, "strict.gatehouse.test", port, "/x", null).handshakeFailed()).isTrue();
        assertThat(E2e.curl(world, "strict.gatehouse.test", port, "/x", "expired").handshakeFailed()).isTrue();
        String scrape = gw.gateway.metrics().scrape();
        assertThat(scrape).contains(metric.formatted("no_certificate")).contains(metric.formatted("expired"))
                .doesNotContain(metric.formatted("handshake"));
    }

    @Test
    void clientResettingMidHandshakeIsOneExplainedLineWithoutNettyNoise() throws Exception {
        javax.net.ssl.SSLEngine engine = sslContext(null).createSSLEngine("require.gatehouse.test", port);
        engine.setUseClientMode(true);
        javax.net.ssl.SSLParameters params = engine.getSSLParameters();
        params.setServerNames(List.of(new javax.net.ssl.SNIHostName("require.gatehouse.test")));
        engine.setSSLParameters(params);
        java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(java.nio.ByteBuffer.allocate(0), hello);
        hello.flip();
        try (LogCapture logs = new LogCapture(); java.net.Socket raw = new java.net.Socket("127.0.0.1", port)) {
            raw.setSoTimeout(5000);
            raw.getOutputStream().write(hello.array(), 0, hello.limit());
            raw.getOutputStream().flush();
            assertThat(raw.getInputStream().read()).as("the gateway answers the ClientHello").isEqualTo(22);
            raw.setSoLinger(true, 0); // close with a reset while the gateway waits for our certificate
            raw.close();
            logs.await(l -> l.contains("TLS handshake") && l.contains("require.gatehouse.test")
                    && l.contains("closed the connection"), Duration.ofSeconds(5));
            Thread.sleep(300); // anything else the reset logs comes within the same event-loop turn
            assertThat(logs.lines()).noneMatch(l -> l.contains("reached at the tail")
                    || l.contains("Failed to select the application-level protocol"));
        }
    }

    @ParameterizedTest(name = "over {0}")
    @CsvSource({"--http1.1", "--http2"})
    void hostHeaderNamingAStricterHostnameThanTheSniIsMisdirected(String version) {
        // SNI open.gatehouse.test (no certificate asked), Host strict.gatehouse.test (certificate required)
        E2e.CurlResult r = E2e.curl(world, "open.gatehouse.test", port, "/x", null, version,
                "-H", "Host: strict.gatehouse.test:" + port);
        assertThat(r.status()).as(r.stderr()).isEqualTo(421);
        assertThat(r.body()).doesNotContain("\"backend\"");
    }

    @Test
    void certificateIsRequestedOnOneHostnameAndNotOnAnotherOnTheSamePort() {
        String openssl = ExternalTools.require("openssl");
        Proc requested = sClient(openssl, "api.gatehouse.test");
        Proc notRequested = sClient(openssl, "open.gatehouse.test");
        assertThat(requested.stdout()).contains("Acceptable client certificate CA names");
        assertThat(notRequested.stdout()).contains("No client certificate CA names sent");
        assertThat(notRequested.stdout()).doesNotContain("Acceptable client certificate CA names");
    }

    private Proc sClient(String openssl, String servername) {
        return Proc.run(List.of(openssl, "s_client", "-connect", "127.0.0.1:" + port, "-servername", servername,
                "-CAfile", world.path("gateway-ca.pem"), "-tls1_2"), null, "Q\n", 30);
    }

    @Test
    void http2WithAClientCertificateUsingCurl() {
        E2e.CurlResult r = E2e.curl(world, "strict.gatehouse.test", port, "/h2", "client", "--http2");
        assertThat(r.status()).as(r.stderr()).isEqualTo(200);
        assertThat(r.httpVersion()).isEqualTo("2");
    }

    @Test
    void http2WithAClientCertificateUsingTheJdkClient() throws Exception {
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(sslContext(world.client))
                .connectTimeout(Duration.ofSeconds(10))
                .build();
        HttpResponse<String> resp = client.send(HttpRequest.newBuilder(
                URI.create("https://strict.gatehouse.test:" + port + "/jdk?x=1")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(resp.body()).contains("\"uri\": \"/jdk?x=1\"");
        assertThat(resp.headers().firstValue("x-request-id")).isPresent();
    }

    @Test
    void jdkClientWithoutCertificateIsRefusedByAStrictHostname() {
        HttpClient client = HttpClient.newBuilder().sslContext(sslContext(null)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(
                        URI.create("https://strict.gatehouse.test:" + port + "/")).build(), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(java.io.IOException.class);
    }

    static SSLContext sslContext(Pki.Issued clientCert) {
        return DownstreamMtlsTestSupport.sslContext(world, clientCert);
    }
}
