package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.SslContextFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound mTLS against nginx with {@code ssl_verify_client on} and against a Netty backend
 * that refuses unknown client certificates in the handshake: the good path, and every way the
 * backend side fails, each with its status and a log line that names the cause.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamMtlsTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static NginxBackend nginx;
    static TestBackend strictNetty;
    static TestBackend plain;
    static GatewayHarness gw;
    static int port;

    @BeforeAll
    static void start() {
        world = new TestWorld(tmp.resolve("pki"));
        nginx = new NginxBackend(tmp.resolve("nginx"), world.file("backend.pem"), world.file("backend.key"),
                world.file("gw-client-ca.pem"));
        strictNetty = new TestBackend(SslContextFactory.downstream(new DownstreamTls(
                new KeyMaterial(world.backendServer.keyPair().getPrivate(), List.of(world.backendServer.certificate())),
                ClientCertificateMode.REQUIRE_AND_VERIFY,
                CaStore.of(List.of(world.gatewayClientCa.certificate()), List.of(), List.of()), RevocationMode.OFF, "1.2")));
        plain = new TestBackend(null);
        port = Ports.free();
        int closedPort = Ports.free();
        String nginxUrl = "https://backend.gatehouse.test:" + nginx.port;
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                caCertificates:
                  - id: backend-ca
                    file: %2$s
                    storeName: Root
                  - id: client-ca
                    file: %3$s
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: %4$s
                    keyFile: %5$s
                  - id: backend-client-cert
                    certificateFile: %6$s
                    keyFile: %7$s
                  - id: stranger-cert
                    certificateFile: %8$s
                    keyFile: %9$s
                backends:
                  - id: patients-backend
                    url: %10$s
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                  - id: stranger-nginx
                    url: %10$s
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [stranger-cert]
                  - id: stranger-netty
                    url: https://backend.gatehouse.test:%11$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [stranger-cert]
                  - id: no-cert-netty
                    url: https://backend.gatehouse.test:%11$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                  - id: two-certs-nginx
                    url: %10$s
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [stranger-cert, backend-client-cert]
                  - id: two-certs-netty
                    url: https://backend.gatehouse.test:%11$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [stranger-cert, backend-client-cert]
                  - id: wrong-name
                    url: %10$s
                    tls:
                      serverName: elsewhere.gatehouse.test
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                  - id: unknown-ca
                    url: %10$s
                    tls:
                      trustedCaCertificateIds: [client-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                  - id: down
                    url: https://127.0.0.1:%12$d
                  - id: silent
                    url: http://127.0.0.1:%13$d/hang
                    timeout: 1
                  - id: echo
                    url: http://127.0.0.1:%13$d
                apis:
                  - id: patients
                    path: patients
                    backendId: patients-backend
                  - id: stranger-nginx
                    path: stranger-nginx
                    backendId: stranger-nginx
                  - id: stranger-netty
                    path: stranger-netty
                    backendId: stranger-netty
                  - id: no-cert-netty
                    path: no-cert-netty
                    backendId: no-cert-netty
                  - id: two-certs-nginx
                    path: two-certs-nginx
                    backendId: two-certs-nginx
                  - id: two-certs-netty
                    path: two-certs-netty
                    backendId: two-certs-netty
                  - id: wrong-name
                    path: wrong-name
                    backendId: wrong-name
                  - id: unknown-ca
                    path: unknown-ca
                    backendId: unknown-ca
                  - id: down
                    path: down
                    backendId: down
                  - id: silent
                    path: silent
                    backendId: silent
                  - id: echo
                    path: echo
                    backendId: echo
                """.formatted(port, world.path("backend-ca.pem"), world.path("client-ca.pem"),
                world.path("gateway.pem"), world.path("gateway.key"), world.path("gw-client.pem"), world.path("gw-client.key"),
                world.path("untrusted-gw-client.pem"), world.path("untrusted-gw-client.key"), nginxUrl, strictNetty.port(),
                closedPort, plain.port()));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gw, nginx, strictNetty, plain}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private E2e.CurlResult get(String path) {
        return E2e.curl(world, TestWorld.API_HOST, port, path, null);
    }

    @Test
    void goodClientCertificateReachesNginxWhichSeesTheGatewaysSubject() {
        E2e.CurlResult r = get("/patients/42?full=true");
        assertThat(r.status()).as(r.stderr() + r.body() + nginx.log()).isEqualTo(200);
        assertThat(r.body()).contains("\"nginxSawClient\": \"CN=gatehouse-gw,O=Contoso,C=US\"")
                .contains("\"verify\": \"SUCCESS\"")
                .contains("\"uri\": \"/42?full=true\"")
                .contains("\"host\": \"backend.gatehouse.test:" + nginx.port + "\"");
    }

    private Proc curlMany(String path, int times) {
        String curl = ExternalTools.require("curl");
        List<String> cmd = new java.util.ArrayList<>(List.of(curl, "-sS", "--resolve",
                TestWorld.API_HOST + ":" + port + ":127.0.0.1", "--cacert", world.path("gateway-ca.pem"),
                "-w", "%{http_code}\n"));
        for (int i = 0; i < times; i++) {
            cmd.addAll(List.of("-o", "/dev/null", "https://" + TestWorld.API_HOST + ":" + port + path));
        }
        return Proc.run(cmd, null, null, 60);
    }

    @Test
    void keepAliveConnectionsToTheBackendAreReused() {
        int before = plain.connections.get();
        Proc p = curlMany("/echo/x", 5);
        assertThat(p.stdout().trim().split("\n")).containsExactly("200", "200", "200", "200", "200");
        // one connection at most (none when an earlier test left one in the pool), never one per request
        assertThat(plain.connections.get() - before).isLessThanOrEqualTo(1);
    }

    @Test
    void forgedIdentityAndHopByHopHeadersAreRemovedAndForwardedHeadersAdded() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/echo/h?q=1", null,
                "-H", "X-Forwarded-Client-Cert: Hash=forged;Subject=\"CN=admin\"",
                "-H", "Client-Cert: :Zm9yZ2Vk:",
                "-H", "Connection: keep-alive, X-Secret-Hop",
                "-H", "X-Secret-Hop: must-not-pass",
                "-H", "X-Forwarded-For: 203.0.113.9", "-D", "-", "--http1.1"); // HTTP/2 has no hop-by-hop headers
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"xForwardedClientCert\": \"null\"")
                .contains("\"clientCert\": \"null\"")
                // the client is not a trusted proxy: its X-Forwarded-For is replaced, not appended to
                .contains("\"xForwardedFor\": \"127.0.0.1\"")
                .contains("\"xForwardedProto\": \"https\"")
                .contains("\"xForwardedHost\": \"" + TestWorld.API_HOST + ":" + port + "\"")
                .contains("\"uri\": \"/h?q=1\"")
                .containsPattern("(?i)x-request-id: [0-9a-f-]{36}");
        assertThat(r.body()).contains("\"headerNames\": \"").doesNotContain("x-secret-hop").doesNotContain("must-not-pass")
                .doesNotContain("transfer-encoding"); // a GET without a body stays without one
    }

    @Test
    void aBackendAnsweringBeforeTheUploadEndsLeavesTheClientConnectionUsable(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path upload = dir.resolve("upload.bin");
        java.nio.file.Files.write(upload, new byte[3 * 1024 * 1024]);
        String curl = ExternalTools.require("curl");
        String url = "https://" + TestWorld.API_HOST + ":" + port + "/echo/early";
        Proc p = Proc.run(List.of(curl, "-sS", "--http1.1", "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1",
                "--cacert", world.path("gateway-ca.pem"), "-w", " %{http_code} %{num_connects}\n",
                "-T", upload.toString(), url, "-T", upload.toString(), url), null, null, 60);
        assertThat(p.exitCode()).as(p.toString()).isEqualTo(0);
        // both uploads answered, and the second reused the first connection
        assertThat(p.stdout()).contains("{\"early\": true} 200 1").contains("{\"early\": true} 200 0");
    }

    @Test
    void connectionsThatFailedAreNeverReused() {
        int before = strictNetty.connections.get();
        assertThat(curlMany("/no-cert-netty/x", 3).stdout().trim().split("\n")).containsExactly("502", "502", "502");
        assertThat(strictNetty.connections.get() - before).isEqualTo(3);
        int plainBefore = plain.connections.get();
        assertThat(curlMany("/silent", 3).stdout().trim().split("\n")).containsExactly("504", "504", "504");
        assertThat(plain.connections.get() - plainBefore).isEqualTo(3);
    }

    @Test
    void nginxRejectingAnUntrustedClientCertificate() {
        // nginx finishes the handshake and answers 400 "The SSL certificate error" itself;
        // the gateway passes that answer on and never rewrites it into a 200
        E2e.CurlResult r = get("/stranger-nginx/1");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("SSL certificate error");
    }

    @Test
    void backendRefusingOurClientCertificateInTheHandshakeIs502WithTheCertificateNamed() {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = get("/stranger-netty/1");
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.body()).isEqualTo("{\"statusCode\": 502, \"message\": \"Bad gateway\"}");
            String line = logs.await(l -> l.contains("backend 'stranger-netty'"), Duration.ofSeconds(5));
            assertThat(line).contains("TLS handshake failed: the backend rejected our client certificate 'CN=stranger-gw'")
                    .contains("'stranger-cert'");
        }
    }

    @Test
    void ofSeveralCertificateIdsTheOneChainingToACaTheBackendNamesIsPresented() {
        // stranger-cert is listed first, but nginx (ssl_client_certificate) and the Netty backend
        // name the gateway client CA in their CertificateRequest: backend-client-cert is presented
        E2e.CurlResult r = get("/two-certs-nginx/1");
        assertThat(r.status()).as(r.stderr() + r.body() + nginx.log()).isEqualTo(200);
        assertThat(r.body()).contains("\"nginxSawClient\": \"CN=gatehouse-gw,O=Contoso,C=US\"");
        assertThat(get("/two-certs-netty/1").status()).isEqualTo(200);
    }

    @Test
    void backendAskingForACertificateWeDoNotHaveIs502() {
        try (LogCapture logs = new LogCapture()) {
            assertThat(get("/no-cert-netty/1").status()).isEqualTo(502);
            String line = logs.await(l -> l.contains("backend 'no-cert-netty'"), Duration.ofSeconds(5));
            assertThat(line).contains("TLS handshake failed: the backend asked for a client certificate and none is configured");
        }
    }

    @Test
    void wrongBackendNameIs502AndNamesBothNames() {
        try (LogCapture logs = new LogCapture()) {
            assertThat(get("/wrong-name/1").status()).isEqualTo(502);
            String line = logs.await(l -> l.contains("backend 'wrong-name'"), Duration.ofSeconds(5));
            assertThat(line).contains("elsewhere.gatehouse.test").contains("backend.gatehouse.test");
        }
    }

    @Test
    void backendCertificateFromAnUnknownCaIs502AndNamesTheIssuer() {
        try (LogCapture logs = new LogCapture()) {
            assertThat(get("/unknown-ca/1").status()).isEqualTo(502);
            String line = logs.await(l -> l.contains("backend 'unknown-ca'"), Duration.ofSeconds(5));
            assertThat(line).contains("not trusted").contains("Contoso Backend CA");
        }
        assertThat(gw.gateway.metrics().scrape())
                .contains("gatehouse_upstream_tls_failures_total{backend=\"unknown-ca\",reason=\"untrusted_issuer\"}");
    }

    @Test
    void backendDownIs502() {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = get("/down/1");
            assertThat(r.status()).isEqualTo(502);
            assertThat(r.body()).doesNotContain("refused");
            String line = logs.await(l -> l.contains("backend 'down'"), Duration.ofSeconds(5));
            assertThat(line).contains("connection refused");
        }
    }

    @Test
    void backendThatNeverAnswersIs504() {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = get("/silent");
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.body()).isEqualTo("{\"statusCode\": 504, \"message\": \"Gateway timeout\"}");
            logs.await(l -> l.contains("backend 'silent' did not answer within 1 s"), Duration.ofSeconds(5));
        }
    }
}
