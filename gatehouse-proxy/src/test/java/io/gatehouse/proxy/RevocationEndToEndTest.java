package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationPeers;
import io.gatehouse.tls.SslContextFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Revocation that fetches, through a running gateway: client certificates naming a real OCSP
 * responder ({@code openssl ocsp}) or CRL distribution points on an HTTP server, checked in the
 * handshake (curl against {@code require-and-verify}), by {@code validate-client-certificate}
 * and {@code Verify()}, a backend whose certificate is revoked, in each revocation mode; and OCSP
 * stapling of the gateway's own certificate ({@code openssl s_client -status}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RevocationEndToEndTest {
    @TempDir
    static Path tmp;
    static Pki.Issued root;
    static Pki.Issued impostor;
    static RevocationPeers.CrlServer crls;
    static RevocationPeers.OpensslOcsp ocsp;
    static URI dead;
    static TestBackend plain;
    static TestBackend revokedBackend;
    static TestBackend goodBackend;
    static GatewayHarness gw;
    static int port;
    static String mode = "soft-fail";

    @BeforeAll
    static void start() throws Exception {
        ExternalTools.require("openssl");
        ExternalTools.require("curl");
        root = Pki.ca("CN=Revocation Root,O=Contoso", Duration.ofDays(30));
        impostor = Pki.ca("CN=Revocation Root,O=Contoso", Duration.ofDays(30));
        crls = new RevocationPeers.CrlServer();
        dead = URI.create("http://127.0.0.1:" + RevocationPeers.freePort() + "/");
        int ocspPort = RevocationPeers.freePort();
        URI ocspUrl = URI.create("http://127.0.0.1:" + ocspPort + "/");
        URI clientCrl = crls.url("/client.crl");

        Pki.Issued good = client("good", List.of(clientCrl), List.of(ocspUrl));
        Pki.Issued ocspRevoked = client("ocsp-revoked", List.of(), List.of(ocspUrl));
        Pki.Issued crlRevoked = client("crl-revoked", List.of(clientCrl), List.of());
        client("down", List.of(), List.of(dead));
        client("stale", List.of(crls.url("/stale.crl")), List.of());
        client("wrong-key", List.of(crls.url("/wrong-key.crl")), List.of());

        Pki.Issued gatewayCert = Pki.issue(root, Pki.IssueRequest.server("rev.gatehouse.test", "rev.gatehouse.test",
                "vcc.gatehouse.test"), List.of(), List.of(ocspUrl));
        Pki.writePem(tmp.resolve("gateway.pem"), gatewayCert.certificate(), root.certificate());
        Pki.writePem(tmp.resolve("gateway.key"), gatewayCert.keyPair().getPrivate());
        Pki.writePem(tmp.resolve("root.pem"), root.certificate());

        Pki.Issued backendRevoked = Pki.issue(root, Pki.IssueRequest.server("127.0.0.1", "127.0.0.1"),
                List.of(crls.url("/backend.crl")), List.of());
        Pki.Issued backendGood = Pki.issue(root, Pki.IssueRequest.server("127.0.0.1", "127.0.0.1"),
                List.of(crls.url("/backend.crl")), List.of());

        Instant now = Instant.now();
        crls.put("/client.crl", Pki.crl(root, List.of(crlRevoked.certificate().getSerialNumber()),
                now.minusSeconds(60), now.plus(Duration.ofHours(1))));
        crls.put("/backend.crl", Pki.crl(root, List.of(backendRevoked.certificate().getSerialNumber()),
                now.minusSeconds(60), now.plus(Duration.ofHours(1))));
        crls.put("/stale.crl", Pki.crl(root, List.of(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))));
        crls.put("/wrong-key.crl", Pki.crl(impostor, List.of(), now.minusSeconds(60), now.plus(Duration.ofHours(1))));

        Pki.Issued responder = Pki.ocspResponder(root, "CN=Revocation OCSP,O=Contoso", Duration.ofDays(30));
        ocsp = new RevocationPeers.OpensslOcsp(tmp.resolve("ocsp"), ocspPort, root, responder,
                List.of(good.certificate(), gatewayCert.certificate()), List.of(ocspRevoked.certificate()));

        plain = new TestBackend(null);
        revokedBackend = new TestBackend(SslContextFactory.downstream(new DownstreamTls(backendRevoked.keyMaterial(),
                ClientCertificateMode.NONE, null, null, "1.2")));
        goodBackend = new TestBackend(SslContextFactory.downstream(new DownstreamTls(backendGood.keyMaterial(),
                ClientCertificateMode.NONE, null, null, "1.2")));
        port = Ports.free();
        gw = GatewayHarness.start(tmp, config("soft-fail"));
    }

    private static Pki.Issued client(String name, List<URI> crlUrls, List<URI> ocspUrls) {
        Pki.Issued c = Pki.issue(root, Pki.IssueRequest.client("CN=" + name + ",O=Contoso"), crlUrls, ocspUrls);
        Pki.writePem(tmp.resolve(name + ".pem"), c.certificate());
        Pki.writePem(tmp.resolve(name + ".key"), c.keyPair().getPrivate());
        return c;
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gw, plain, revokedBackend, goodBackend, ocsp, crls}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static String config(String revocation) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  revocation:
                    mode: %s
                hostnames:
                  - hostName: rev.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                    defaultSslBinding: true
                  - hostName: vcc.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require
                certificates:
                  - id: gateway-tls
                    certificateFile: %s
                    keyFile: %s
                caCertificates:
                  - id: root
                    file: %s
                    storeName: Root
                backends:
                  - id: echo
                    url: http://127.0.0.1:%d
                  - id: revoked
                    url: https://127.0.0.1:%d
                  - id: revoked-unchecked
                    url: https://127.0.0.1:%d
                    tls:
                      revocation: "off"
                  - id: good
                    url: https://127.0.0.1:%d
                apis:
                  - id: echo
                    path: echo
                    backendId: echo
                    hostnames: [rev.gatehouse.test]
                  - id: revoked-backend
                    path: revoked-backend
                    backendId: revoked
                    hostnames: [rev.gatehouse.test]
                  - id: revoked-unchecked
                    path: revoked-unchecked
                    backendId: revoked-unchecked
                    hostnames: [rev.gatehouse.test]
                  - id: good-backend
                    path: good-backend
                    backendId: good
                    hostnames: [rev.gatehouse.test]
                  - id: verify
                    path: verify
                    backendId: echo
                    hostnames: [vcc.gatehouse.test]
                    policyXml: |
                      <policies>
                        <inbound>
                          <return-response>
                            <set-body>@(context.Request.Certificate.Verify() + " " + context.Request.Certificate.VerifyNoRevocation())</set-body>
                          </return-response>
                        </inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: vcc
                    path: vcc
                    backendId: echo
                    hostnames: [vcc.gatehouse.test]
                    policyXml: |
                      <policies>
                        <inbound>
                          <base />
                          <validate-client-certificate validate-revocation="true" validate-trust="true" />
                          <return-response>
                            <set-body>@("verified " + context.Request.Certificate.Verify() + " " + context.Request.Certificate.VerifyNoRevocation())</set-body>
                          </return-response>
                        </inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                        <on-error>
                          <return-response>
                            <set-status code="401" reason="Unauthorized" />
                            <set-body>@(context.LastError.Reason + ": " + context.LastError.Message)</set-body>
                          </return-response>
                        </on-error>
                      </policies>
                """.formatted(port, revocation, tmp.resolve("gateway.pem"), tmp.resolve("gateway.key"),
                tmp.resolve("root.pem"), plain.port(), revokedBackend.port(), revokedBackend.port(), goodBackend.port());
    }

    private static void mode(String m) {
        if (!m.equals(mode)) {
            var result = gw.reload(config(m));
            assertThat(result.diagnostics().hasErrors()).as(result.diagnostics().render()).isFalse();
            mode = m;
        }
    }

    private static E2e.CurlResult curl(String host, String path, String cert) {
        String curl = ExternalTools.require("curl");
        List<String> cmd = new java.util.ArrayList<>(List.of(curl, "-sS", "--max-time", "20",
                "--resolve", host + ":" + port + ":127.0.0.1", "--cacert", tmp.resolve("root.pem").toString(),
                "-w", "\n%{http_code} %{http_version}"));
        if (cert != null) {
            cmd.addAll(List.of("--cert", tmp.resolve(cert + ".pem").toString(),
                    "--key", tmp.resolve(cert + ".key").toString()));
        }
        cmd.add("https://" + host + ":" + port + path);
        Proc p = Proc.run(cmd, null, null, 60);
        String out = p.stdout();
        int nl = out.lastIndexOf('\n');
        String[] tail = out.substring(nl + 1).trim().split(" ");
        int status = tail.length > 0 && tail[0].matches("\\d+") ? Integer.parseInt(tail[0]) : 0;
        return new E2e.CurlResult(status, tail.length > 1 ? tail[1] : "", nl >= 0 ? out.substring(0, nl) : "",
                p.exitCode(), p.stderr());
    }

    @ParameterizedTest(name = "handshake, {0}, {1}: {2}")
    @CsvSource({
            "off,       good,         ok",
            "off,       ocsp-revoked, ok",
            "off,       crl-revoked,  ok",
            "off,       down,         ok",
            "off,       stale,        ok",
            "off,       wrong-key,    ok",
            "soft-fail, good,         ok",
            "soft-fail, ocsp-revoked, revoked",
            "soft-fail, crl-revoked,  revoked",
            "soft-fail, down,         ok",
            "soft-fail, stale,        ok",
            "soft-fail, wrong-key,    ok",
            "hard-fail, good,         ok",
            "hard-fail, ocsp-revoked, revoked",
            "hard-fail, crl-revoked,  revoked",
            "hard-fail, down,         revocation_unknown",
            "hard-fail, stale,        revocation_unknown",
            "hard-fail, wrong-key,    revocation_unknown",
    })
    void handshakeWithCurl(String revocation, String cert, String expected) {
        mode(revocation);
        String metric = "gatehouse_downstream_handshake_failures_total{hostname=\"rev.gatehouse.test\",reason=\""
                + expected + "\"}";
        double before = counter(metric);
        E2e.CurlResult r = curl("rev.gatehouse.test", "/echo/x", cert);
        if (expected.equals("ok")) {
            assertThat(r.status()).as(r.stderr()).isEqualTo(200);
        } else {
            assertThat(r.handshakeFailed()).as("status %s, curl: %s", r.status(), r.stderr()).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (counter(metric) <= before && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(counter(metric)).isEqualTo(before + 1);
        }
    }

    @Test
    void handshakeLogNamesTheSourceAndTheReason() {
        mode("hard-fail");
        try (LogCapture logs = new LogCapture()) {
            assertThat(curl("rev.gatehouse.test", "/echo/x", "ocsp-revoked").handshakeFailed()).isTrue();
            String line = logs.await(l -> l.contains("TLS handshake") && l.contains("ocsp-revoked"),
                    Duration.ofSeconds(5));
            assertThat(line).contains("OCSP responder " + ocsp.url()).contains("revoked");
        }
        try (LogCapture logs = new LogCapture()) {
            assertThat(curl("rev.gatehouse.test", "/echo/x", "down").handshakeFailed()).isTrue();
            String line = logs.await(l -> l.contains("TLS handshake") && l.contains("'CN=down"),
                    Duration.ofSeconds(5));
            assertThat(line).contains("OCSP responder " + dead);
        }
    }

    @ParameterizedTest(name = "validate-client-certificate, {0}, {1}: {2}")
    @CsvSource({
            "off,       good,         verified true true",
            "off,       crl-revoked,  verified true true",
            "soft-fail, good,         verified true true",
            "soft-fail, ocsp-revoked, ClientCertificateRevoked",
            "soft-fail, crl-revoked,  ClientCertificateRevoked",
            "soft-fail, down,         verified true true",
            "hard-fail, good,         verified true true",
            "hard-fail, ocsp-revoked, ClientCertificateRevoked",
            "hard-fail, down,         ClientCertificateRevocationUnknown",
            "hard-fail, stale,        ClientCertificateRevocationUnknown",
            "hard-fail, wrong-key,    ClientCertificateRevocationUnknown",
    })
    void validateClientCertificate(String revocation, String cert, String expected) {
        mode(revocation);
        E2e.CurlResult r = curl("vcc.gatehouse.test", "/vcc/x", cert);
        if (expected.startsWith("verified")) {
            assertThat(r.status()).as(r.body() + r.stderr()).isEqualTo(200);
            assertThat(r.body().toLowerCase()).isEqualTo(expected);
        } else {
            assertThat(r.status()).as(r.body() + r.stderr()).isEqualTo(401);
            assertThat(r.body()).startsWith(expected + ":");
        }
    }

    /**
     * The first request of a connection whose client certificate's CRL nobody has downloaded yet:
     * the connection waits for the download after the handshake (off the event loop), so the
     * policy's synchronous check finds it even in hard-fail; a cache-only check would have said
     * "unknown".
     */
    @Test
    void theFirstRequestWaitsForTheDownloadNotTheEventLoop() {
        mode("hard-fail");
        Instant now = Instant.now();
        String path = "/fresh-" + System.nanoTime() + ".crl";
        crls.put(path, Pki.crl(root, List.of(), now.minusSeconds(60), now.plus(Duration.ofHours(1))));
        crls.delay(path, 1500); // slower than curl's request after the handshake
        client("fresh", List.of(crls.url(path)), List.of());
        assertThat(crls.hits(path)).isZero();
        E2e.CurlResult r = curl("vcc.gatehouse.test", "/vcc/x", "fresh");
        assertThat(r.status()).as(r.body() + r.stderr()).isEqualTo(200);
        assertThat(r.body().toLowerCase()).isEqualTo("verified true true");
        assertThat(crls.hits(path)).isEqualTo(1);
        // the cache is the process's: a reload keeps it, so the CRL is not downloaded again
        mode("soft-fail");
        mode("hard-fail");
        E2e.CurlResult again = curl("vcc.gatehouse.test", "/vcc/x", "fresh");
        assertThat(again.status()).as(again.body() + again.stderr()).isEqualTo(200);
        assertThat(crls.hits(path)).isEqualTo(1);
    }

    @ParameterizedTest(name = "Verify(), {0}, {1}: {2}")
    @CsvSource({
            "off,       crl-revoked,  true true",
            "soft-fail, crl-revoked,  false true",
            "soft-fail, ocsp-revoked, false true",
            "soft-fail, good,         true true",
            "hard-fail, down,         false true",
            "hard-fail, good,         true true",
    })
    void verifyAndVerifyNoRevocation(String revocation, String cert, String expected) {
        mode(revocation);
        E2e.CurlResult r = curl("vcc.gatehouse.test", "/verify/x", cert);
        assertThat(r.status()).as(r.body() + r.stderr()).isEqualTo(200);
        assertThat(r.body().toLowerCase()).isEqualTo(expected);
    }

    /**
     * A handshake in hard-fail whose client certificate's CRL is slow to download waits for it on
     * the TLS task threads: it succeeds, and meanwhile the event loops go on serving other clients.
     */
    @Test
    void aSlowDownloadInTheHandshakeDoesNotHoldTheEventLoops() throws Exception {
        mode("hard-fail");
        assertThat(curl("rev.gatehouse.test", "/echo/x", "good").status()).isEqualTo(200); // cached
        Instant now = Instant.now();
        String path = "/slow-" + System.nanoTime() + ".crl";
        crls.put(path, Pki.crl(root, List.of(), now.minusSeconds(60), now.plus(Duration.ofHours(1))));
        crls.delay(path, 4000);
        client("slow", List.of(crls.url(path)), List.of());
        java.util.concurrent.CompletableFuture<E2e.CurlResult> slow = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> curl("rev.gatehouse.test", "/echo/x", "slow"));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (crls.hits(path) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(crls.hits(path)).as("the slow download started").isEqualTo(1);
        for (int i = 0; i < 6; i++) { // new connections, spread over both event loops
            long t0 = System.nanoTime();
            E2e.CurlResult r = curl("rev.gatehouse.test", "/echo/x", "good");
            assertThat(r.status()).as(r.stderr()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(1500));
        }
        assertThat(slow.isDone()).as("the slow handshake still waits for its CRL").isFalse();
        E2e.CurlResult r = slow.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.status()).as(r.stderr()).isEqualTo(200);
    }

    @ParameterizedTest(name = "backend, {0}, {1}: {2}")
    @CsvSource({
            "off,       /revoked-backend/x,   200",
            "soft-fail, /revoked-backend/x,   502",
            "hard-fail, /revoked-backend/x,   502",
            "hard-fail, /revoked-unchecked/x, 200",
            "hard-fail, /good-backend/x,      200",
    })
    void backendWhoseCertificateIsRevoked(String revocation, String path, int expected) {
        mode(revocation);
        E2e.CurlResult r = curl("rev.gatehouse.test", path, "good");
        assertThat(r.status()).as(r.body() + r.stderr()).isEqualTo(expected);
        if (expected == 502) {
            assertThat(gw.gateway.metrics().scrape())
                    .contains("gatehouse_upstream_tls_failures_total{backend=\"revoked\",reason=\"revoked\"}");
        }
    }

    @Test
    void theGatewayStaplesItsOwnCertificatesOcspResponse() throws Exception {
        String openssl = ExternalTools.require("openssl");
        String out = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            Proc p = Proc.run(List.of(openssl, "s_client", "-connect", "127.0.0.1:" + port, "-servername",
                    "vcc.gatehouse.test", "-status", "-CAfile", tmp.resolve("root.pem").toString(),
                    "-cert", tmp.resolve("good.pem").toString(), "-key", tmp.resolve("good.key").toString()),
                    null, "", 30);
            out = p.stdout();
            if (out.contains("OCSP Response Status: successful")) {
                break;
            }
            Thread.sleep(200); // the first connections may come before the response is fetched
        }
        assertThat(out).contains("OCSP Response Status: successful").contains("Cert Status: good");
    }

    private static double counter(String series) {
        for (String line : gw.gateway.metrics().scrape().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
