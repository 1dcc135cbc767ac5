package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.LoadedConfig;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * send-request and send-one-way-request through a running gateway, driven by a real HTTP client,
 * against real TLS servers: the gateway's outbound client ({@link OutboundClient}) uses a
 * configured backend's TLS settings for that backend's origin, the default outbound settings
 * (JDK CAs plus the config's Root CA certificates, name check, gateway.revocation) for any other
 * URL, refuses what backends would refuse with the check named, and runs on the request's event
 * loop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboundTlsEndToEndTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static Pki.Issued unlistedCa;
    static Pki.Issued revokingCa;
    static TlsServer mtls;       // backend.gatehouse.test cert (backend-ca); wants a client certificate from the gateway client CA
    static TlsServer untrusted;  // a certificate from a CA the config does not list
    static TlsServer wrongName;  // backend-ca, but only for elsewhere.gatehouse.test
    static TlsServer revoked;    // revoking-ca, on that CA's CRL
    static com.sun.net.httpserver.HttpServer plainServer;
    static HttpsServer openId;    // an identity provider on HTTPS (backend-ca), its configuration behind a redirect
    static final AtomicInteger openIdFetches = new AtomicInteger();
    static com.nimbusds.jose.jwk.RSAKey signingKey;
    static java.net.ServerSocket closesKeptAlive; // answers each connection's first request, closes on its second
    static final java.util.List<String> closedAfter = new java.util.concurrent.CopyOnWriteArrayList<>();
    static final BlockingQueue<String> audits = new LinkedBlockingQueue<>();
    static Gateway gateway;
    static LoadedConfig config;
    static int port;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** An HTTPS server (the JDK's) that answers with the subject of the client certificate it saw, or "none". */
    static final class TlsServer implements AutoCloseable {
        final HttpsServer server;
        final AtomicInteger handshakesAnswered = new AtomicInteger();

        TlsServer(Pki.Issued cert, X509Certificate clientCa, long delayMillis) {
            try {
                SSLContext ssl = sslContext(cert, clientCa);
                server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                server.setHttpsConfigurator(new HttpsConfigurator(ssl) {
                    @Override
                    public void configure(HttpsParameters params) {
                        var p = ssl.getDefaultSSLParameters();
                        p.setNeedClientAuth(clientCa != null);
                        params.setSSLParameters(p);
                    }
                });
                server.createContext("/", x -> {
                    handshakesAnswered.incrementAndGet();
                    String who;
                    try {
                        who = ((X509Certificate) ((HttpsExchange) x).getSSLSession().getPeerCertificates()[0])
                                .getSubjectX500Principal().getName();
                    } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                        who = "none";
                    }
                    if (delayMillis > 0) {
                        try {
                            Thread.sleep(delayMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    byte[] b = ("saw " + who + " on " + x.getRequestMethod() + " " + x.getRequestURI()
                            + " host " + x.getRequestHeaders().getFirst("Host")).getBytes(StandardCharsets.UTF_8);
                    x.getResponseHeaders().add("Content-Type", "text/plain");
                    x.sendResponseHeaders(200, b.length);
                    try (OutputStream o = x.getResponseBody()) {
                        o.write(b);
                    }
                });
                server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
                server.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        int port() {
            return server.getAddress().getPort();
        }

        private static SSLContext sslContext(Pki.Issued cert, X509Certificate clientCa) throws Exception {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("s", cert.keyPair().getPrivate(), new char[0], cert.chain().toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            TrustManagerFactory tmf = null;
            if (clientCa != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                trust.setCertificateEntry("ca", clientCa);
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return ssl;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static String api(String id, String inbound) {
        write(tmp.resolve(id + ".xml"), """
                <policies>
                  <inbound>%s</inbound>
                  <backend><forward-request /></backend>
                  <on-error>
                    <return-response>
                      <set-status code="502" reason="Outbound failed" />
                      <set-body>@(context.LastError.Source + " " + context.LastError.Reason + ": " + context.LastError.Message)</set-body>
                    </return-response>
                  </on-error>
                </policies>
                """.formatted(inbound));
        return """
                  - id: %s
                    path: %s
                    backendId: plain
                    policy: %s.xml
                """.formatted(id, id, id);
    }

    /** An API whose inbound calls {@code url} (with {@code children} in the send-request) and answers with the response's body. */
    private static String call(String id, String url, String children) {
        return api(id, """
                <send-request mode="new" response-variable-name="r" timeout="10">
                  <set-url>%s</set-url>%s
                </send-request>
                <return-response>
                  <set-status code="200" reason="OK" />
                  <set-body>@(((IResponse)context.Variables["r"]).Body.As<string>())</set-body>
                </return-response>""".formatted(url, children));
    }

    private static String yaml(String revocation) {
        StringBuilder apis = new StringBuilder();
        apis.append(call("backend-origin", "https://localhost:" + mtls.port() + "/records/7?full=true", ""));
        apis.append(call("backend-origin-own-cert", "https://localhost:" + mtls.port() + "/records/10",
                "<authentication-certificate certificate-id=\"alt-client\" />"));
        apis.append(call("other-origin-with-cert", "https://127.0.0.1:" + mtls.port() + "/records/8",
                "<authentication-certificate certificate-id=\"alt-client\" />"));
        apis.append(call("other-origin-without-cert", "https://127.0.0.1:" + mtls.port() + "/records/9", ""));
        apis.append(call("untrusted", "https://localhost:" + untrusted.port() + "/x", ""));
        apis.append(call("wrong-name", "https://localhost:" + wrongName.port() + "/x", ""));
        apis.append(call("revoked", "https://localhost:" + revoked.port() + "/x", ""));
        apis.append(call("slow-plain", "http://127.0.0.1:" + plainServer.getAddress().getPort() + "/slow", ""));
        apis.append(api("too-slow", """
                <send-request mode="new" response-variable-name="r" timeout="1">
                  <set-url>http://127.0.0.1:%d/slower</set-url>
                </send-request>
                <return-response><set-status code="200" reason="OK" /></return-response>""".formatted(
                plainServer.getAddress().getPort())));
        apis.append(api("too-slow-ignored", """
                <send-request mode="new" response-variable-name="r" timeout="1" ignore-error="true">
                  <set-url>http://127.0.0.1:%d/slower</set-url>
                </send-request>
                <return-response>
                  <set-status code="200" reason="OK" />
                  <set-body>@(context.Variables["r"] == null ? "no response" : "a response")</set-body>
                </return-response>""".formatted(plainServer.getAddress().getPort())));
        apis.append(call("stale", "http://127.0.0.1:" + closesKeptAlive.getLocalPort() + "/stale", ""));
        apis.append(api("jwt-openid", """
                <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
                  <openid-config url="https://localhost:%d/old-config" />
                </validate-jwt>
                <return-response><set-status code="200" reason="OK" /><set-body>valid</set-body></return-response>""".formatted(
                openId.getAddress().getPort())));
        apis.append(api("one-way", """
                <send-one-way-request mode="new">
                  <set-url>http://127.0.0.1:%d/audit</set-url>
                  <set-method>POST</set-method>
                  <set-body>@("seen " + context.Request.Url.Path)</set-body>
                </send-one-way-request>
                <return-response><set-status code="202" reason="Accepted" /></return-response>""".formatted(
                plainServer.getAddress().getPort())));
        return """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                      tls: false
                  revocation:
                    mode: %2$s
                caCertificates:
                  - id: backend-ca
                    file: %3$s
                    storeName: Root
                  - id: revoking-ca
                    file: %4$s
                    storeName: Root
                    crlFile: %5$s
                certificates:
                  - id: backend-client-cert
                    certificateFile: %6$s
                    keyFile: %7$s
                  - id: alt-client
                    certificateFile: %8$s
                    keyFile: %9$s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%10$d
                  - id: records
                    url: https://localhost:%11$d/records
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                apis:
                %12$s""".formatted(port, revocation, world.path("backend-ca.pem"), tmp.resolve("revoking-ca.pem"),
                tmp.resolve("revoking.crl"), world.path("gw-client.pem"), world.path("gw-client.key"),
                world.path("alt-gw-client.pem"), world.path("alt-gw-client.key"), plainServer.getAddress().getPort(),
                mtls.port(), apis.toString());
    }

    @BeforeAll
    static void start() throws Exception {
        world = new TestWorld(tmp.resolve("pki"));
        Duration year = Duration.ofDays(365);
        unlistedCa = Pki.ca("CN=Unlisted CA", year);
        revokingCa = Pki.ca("CN=Revoking CA", year);
        Pki.Issued revokedCert = Pki.issue(revokingCa, Pki.IssueRequest.server("localhost", "localhost").withValidity(year));
        write(tmp.resolve("revoking-ca.pem"), Pki.pem(revokingCa.certificate()));
        write(tmp.resolve("revoking.crl"), Pki.pem(Pki.crl(revokingCa, List.of(revokedCert.certificate().getSerialNumber()),
                Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(7)))));
        mtls = new TlsServer(world.backendServer, world.gatewayClientCa.certificate(), 0);
        untrusted = new TlsServer(Pki.issue(unlistedCa, Pki.IssueRequest.server("localhost", "localhost", "127.0.0.1")
                .withValidity(year)), null, 0);
        wrongName = new TlsServer(Pki.issue(world.backendCa, Pki.IssueRequest.server("elsewhere.gatehouse.test",
                "elsewhere.gatehouse.test").withValidity(year)), null, 0);
        revoked = new TlsServer(revokedCert, null, 0);
        plainServer = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        plainServer.createContext("/slow", x -> {
            sleep(300);
            byte[] b = "slow answer".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        plainServer.createContext("/slower", x -> {
            sleep(2_500);
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        plainServer.createContext("/audit", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            sleep(1_500); // the gateway has answered its client long before this
            audits.add(x.getRequestMethod() + " " + body);
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        plainServer.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        plainServer.start();
        signingKey = new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate();
        Pki.Issued idpCert = Pki.issue(world.backendCa, Pki.IssueRequest.server("localhost", "localhost").withValidity(year));
        openId = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        openId.setHttpsConfigurator(new HttpsConfigurator(TlsServer.sslContext(idpCert, null)));
        String idp = "https://localhost:" + openId.getAddress().getPort();
        openId.createContext("/old-config", x -> {
            x.getResponseHeaders().add("Location", "/.well-known/openid-configuration");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        openId.createContext("/.well-known/openid-configuration", x -> answer(x, "{\"issuer\":\"" + idp
                + "\",\"jwks_uri\":\"" + idp + "/keys\"}"));
        openId.createContext("/keys", x -> {
            openIdFetches.incrementAndGet();
            answer(x, new com.nimbusds.jose.jwk.JWKSet(signingKey.toPublicJWK()).toString());
        });
        openId.start();
        closesKeptAlive = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            int n = 0;
            while (!closesKeptAlive.isClosed()) {
                try {
                    java.net.Socket sock = closesKeptAlive.accept();
                    int conn = ++n;
                    Thread t = new Thread(() -> serveOnceThenClose(sock, conn));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        port = Ports.free();
        config = load(yaml("soft-fail"));
        gateway = new Gateway(config, 2).start();
    }

    private static LoadedConfig load(String yaml) {
        Path file = tmp.resolve("gatehouse.yaml");
        write(file, yaml);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result.diagnostics().hasErrors()).as(result.diagnostics().render()).isFalse();
        return result.config();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gateway, mtls, untrusted, wrongName, revoked}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
        if (plainServer != null) {
            plainServer.stop(0);
        }
        if (openId != null) {
            openId.stop(0);
        }
        try {
            if (closesKeptAlive != null) {
                closesKeptAlive.close();
            }
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCallToAConfiguredBackendsOriginPresentsThatBackendsClientCertificate() throws Exception {
        HttpResponse<String> r = get("/backend-origin/go");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // the backend's credentials.certificateIds, its trusted CA; the whole URL as written, Host as the URL says
        assertThat(r.body()).isEqualTo("saw CN=gatehouse-gw,O=Contoso,C=US on GET /records/7?full=true host localhost:"
                + mtls.port());
    }

    @Test
    void anAuthenticationCertificateInTheCallReplacesTheBackendsOwn() throws Exception {
        HttpResponse<String> r = get("/backend-origin-own-cert/go");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("saw CN=alt-gw,O=Contoso,C=US on GET /records/10");
    }

    @Test
    void originsCompareSchemeHostAndPortWithDefaultPortsWrittenOut() {
        assertThat(OutboundTargets.origin(URI.create("HTTPS://Records.Example/a?b")))
                .isEqualTo(OutboundTargets.origin(URI.create("https://records.example:443/other")))
                .isEqualTo("https://records.example:443");
        assertThat(OutboundTargets.origin(URI.create("http://records.example/a"))).isEqualTo("http://records.example:80");
        assertThat(OutboundTargets.origin(URI.create("https://records.example:8443/")))
                .isNotEqualTo(OutboundTargets.origin(URI.create("https://records.example/")));
    }

    @Test
    void anotherOriginGetsTheDefaultSettingsAndPresentsOnlyTheCertificateThePolicyNames() throws Exception {
        // same server, other origin (127.0.0.1): no backend matches, so no backend certificate; the
        // server's CA is trusted because it is one of the config's Root CA certificates
        HttpResponse<String> named = get("/other-origin-with-cert/go");
        assertThat(named.statusCode()).as(named.body()).isEqualTo(200);
        assertThat(named.body()).startsWith("saw CN=alt-gw,O=Contoso,C=US on GET /records/8");

        HttpResponse<String> none = get("/other-origin-without-cert/go");
        assertThat(none.statusCode()).as(none.body()).isEqualTo(502);
        assertThat(none.body()).startsWith("send-request BackendConnectionFailure: ");
    }

    @Test
    void aServerWhoseChainIsNotTrustedIsRefusedAndTheChainCheckIsNamed() throws Exception {
        int before = untrusted.handshakesAnswered.get();
        HttpResponse<String> r = get("/untrusted/go");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).startsWith("send-request BackendConnectionFailure: ")
                .contains("TLS handshake failed")
                .contains("backend certificate for localhost is not trusted")
                .doesNotContain("PRIVATE KEY");
        assertThat(untrusted.handshakesAnswered.get()).isEqualTo(before);
    }

    @Test
    void aServerCertificateForAnotherNameIsRefused() throws Exception {
        HttpResponse<String> r = get("/wrong-name/go");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("TLS handshake failed").contains("localhost").contains("elsewhere.gatehouse.test")
                .doesNotContain("is not trusted");
        assertThat(wrongName.handshakesAnswered.get()).isZero();
    }

    @Test
    void aServerCertificateOnTheCrlIsRefusedWhileRevocationIsOnAndAcceptedWithItOff() throws Exception {
        HttpResponse<String> r = get("/revoked/go");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("TLS handshake failed").contains("was refused (revoked)");
        assertThat(revoked.handshakesAnswered.get()).isZero();

        // gateway.revocation.mode: off is followed by outbound calls too (a reload builds new contexts)
        LoadedConfig off = load(yaml("off"));
        gateway.reload(off);
        try {
            HttpResponse<String> accepted = get("/revoked/go");
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
            assertThat(accepted.body()).startsWith("saw none on GET /x");
        } finally {
            gateway.reload(config);
        }
    }

    @Test
    void theCallRunsAndCompletesOnTheRequestsEventLoop() throws Exception {
        OutboundHttp real = config.policies().boundOutbound();
        assertThat(real).isInstanceOf(OutboundClient.class);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        config.policies().bindOutbound(request -> {
            Thread caller = Thread.currentThread();
            CompletionStage<OutboundHttp.Response> s = real.send(request);
            CompletableFuture<OutboundHttp.Response> f = s.toCompletableFuture();
            boolean doneAtOnce = f.isDone();
            return s.whenComplete((resp, t) -> seen.add(caller.getName() + "|" + Thread.currentThread().getName()
                    + "|" + (caller instanceof io.netty.util.concurrent.FastThreadLocalThread) + "|" + doneAtOnce));
        });
        try {
            HttpResponse<String> r = get("/slow-plain/go");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("slow answer");
            String[] threads = seen.poll(5, TimeUnit.SECONDS).split("\\|");
            assertThat(threads[2]).as("the policy called from a Netty event loop thread: " + threads[0]).isEqualTo("true");
            assertThat(threads[3]).as("the 300 ms answer cannot be there at once").isEqualTo("false");
            assertThat(threads[1]).as("completed on the calling event loop").isEqualTo(threads[0]);
        } finally {
            config.policies().bindOutbound(real);
        }
    }

    @Test
    void aCallWithoutAnAnswerWithinItsTimeoutFailsAsTimeoutUnlessErrorsAreIgnored() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = get("/too-slow/go");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).startsWith("send-request Timeout: ").contains("no response within 1000 ms");
        assertThat(ms).as("failed at the timeout, not when the server answered").isLessThan(2_300);

        HttpResponse<String> ignored = get("/too-slow-ignored/go");
        assertThat(ignored.statusCode()).isEqualTo(200);
        assertThat(ignored.body()).isEqualTo("no response");
    }

    @Test
    void oneWayRequestsAreSentAndNotWaitedFor() throws Exception {
        audits.clear();
        long start = System.nanoTime();
        HttpResponse<String> r = get("/one-way/go");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(202);
        assertThat(ms).as("answered without waiting for the 1.5 s audit call").isLessThan(1_200);
        assertThat(audits.poll(10, TimeUnit.SECONDS)).isEqualTo("POST seen /one-way/go");
    }

    @Test
    void validateJwtFetchesOpenIdKeysThroughTheGatewaysClientFollowingARedirect() throws Exception {
        com.nimbusds.jwt.JWTClaimsSet claims = new com.nimbusds.jwt.JWTClaimsSet.Builder()
                .issuer("https://localhost:" + openId.getAddress().getPort()).subject("nurse-12")
                .expirationTime(java.util.Date.from(Instant.now().plusSeconds(300))).build();
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader.Builder(
                com.nimbusds.jose.JWSAlgorithm.RS256).keyID("k1").build(), claims);
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(signingKey));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jwt-openid/go"))
                .header("Authorization", "Bearer " + jwt.serialize()).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("valid");
        assertThat(openIdFetches.get()).isEqualTo(1);
    }

    /**
     * A kept-alive connection the server closes just as the next request arrives: the gateway sends
     * that GET once more on a new connection instead of failing the call.
     */
    @Test
    void anIdempotentCallOnAKeptAliveConnectionTheServerClosesGoesAgainOnANewOne() throws Exception {
        HttpResponse<String> first = get("/stale/go");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        int before = closedAfter.size();
        HttpResponse<String> second = get("/stale/go");
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(closedAfter.size()).as("the second call went out on the kept-alive connection first").isEqualTo(before + 1);
        assertThat(second.body()).isNotEqualTo(first.body()).endsWith("request 1");
    }

    private static void serveOnceThenClose(java.net.Socket sock, int conn) {
        try (sock) {
            java.io.InputStream in = sock.getInputStream();
            for (int req = 1; ; req++) {
                if (!readHead(in)) {
                    return;
                }
                if (req == 2) {
                    closedAfter.add("connection " + conn);
                    return; // closed as if its keep-alive had just timed out
                }
                byte[] body = ("connection " + conn + " request " + req).getBytes(StandardCharsets.UTF_8);
                OutputStream out = sock.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException ignored) {
            // the gateway went away
        }
    }

    /** Reads one request head (the gateway's GETs have no body); false at the end of the stream. */
    private static boolean readHead(java.io.InputStream in) throws IOException {
        int state = 0;
        int b;
        while ((b = in.read()) >= 0) {
            state = switch (state) {
                case 0, 2 -> b == '\r' ? state + 1 : 0;
                case 1 -> b == '\n' ? 2 : 0;
                case 3 -> b == '\n' ? 4 : 0;
                default -> 0;
            };
            if (state == 4) {
                return true;
            }
        }
        return false;
    }

    private static void answer(com.sun.net.httpserver.HttpExchange x, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(200, b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
