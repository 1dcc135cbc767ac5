package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code proxy} policy and the Dapr policies through a running gateway, with the JDK's HTTP
 * client as the caller.
 *
 * <p>Proxy: a real HTTP proxy, Debian's {@code tinyproxy} (started on a free port from a
 * generated config, requiring {@code BasicAuth}), in front of a plain http backend (which sees
 * tinyproxy's {@code Via} header on every proxied request: absolute-form requests) and an https
 * backend that requires the gateway's client certificate (reached through a CONNECT tunnel, in
 * which the mutual TLS runs end to end: the backend names the client certificate it saw). A
 * proxy's refusal (wrong password, no credentials), and a proxy that is not listening, are 502s
 * with the reason in the log and the access log. Without tinyproxy the proxy tests skip with a
 * message (and fail under {@code -Dgatehouse.requireExternalTools=true}); the Dapr tests still run.
 *
 * <p>Dapr: there is no Dapr runtime ({@code daprd}) here, so an in-test HTTP server stands where
 * the sidecar's HTTP API would be ({@code gateway.dapr.httpEndpoint}) and records what it
 * receives: the publish, binding and service invocation requests as Dapr's API reference
 * describes them, answered as Dapr answers (204 for a publish, 404 for an unknown pub/sub).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyAndDaprEndToEndTest {
    private static final String PROXY_USER = "gw-user";
    private static final String PROXY_PASSWORD = "Pr0xy-pass-7";

    @TempDir
    static Path tmp;
    static TestWorld world;
    static Tinyproxy proxy;
    static int proxyPort;
    static HttpServer plain;
    static OutboundTlsEndToEndTest.TlsServer mtls;
    static HttpServer sidecar;
    static final BlockingQueue<String> sidecarSaw = new LinkedBlockingQueue<>();
    static GatewayHarness gw;
    static FakeProxy silentClose;
    static FakeProxy keepsAlive;
    static int port;
    static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        // without tinyproxy the proxy tests skip (or fail in CI, requireProxy); the Dapr ones still run
        proxy = ExternalTools.find("tinyproxy") == null ? null : new Tinyproxy(tmp.resolve("tinyproxy"), PROXY_USER, PROXY_PASSWORD);
        proxyPort = proxy == null ? Ports.free() : proxy.port;
        world = new TestWorld(tmp.resolve("pki"));
        mtls = new OutboundTlsEndToEndTest.TlsServer(world.backendServer, world.gatewayClientCa.certificate(), 0);
        plain = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        plain.createContext("/", x -> {
            String via = x.getRequestHeaders().getFirst("Via");
            byte[] b = ("plain saw " + x.getRequestMethod() + " " + x.getRequestURI() + " via=" + via
                    + " proxy-authorization=" + x.getRequestHeaders().containsKey("Proxy-Authorization"))
                    .getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        plain.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        plain.start();
        sidecar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sidecar.createContext("/", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = x.getRequestURI().toString();
            sidecarSaw.add(x.getRequestMethod() + " " + path + " " + x.getRequestHeaders().getFirst("Content-Type")
                    + " " + body);
            int status;
            byte[] out;
            if (path.startsWith("/v1.0/publish/missing/")) {
                status = 404;
                out = "{\"errorCode\":\"ERR_PUBSUB_NOT_FOUND\"}".getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/v1.0/publish/")) {
                status = 204;
                out = new byte[0];
            } else if (path.startsWith("/v1.0/invoke/")) {
                status = 200;
                out = ("invoked " + path).getBytes(StandardCharsets.UTF_8);
            } else {
                status = 200;
                out = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            }
            x.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                x.getResponseBody().write(out);
            }
            x.close();
        });
        sidecar.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        sidecar.start();
        silentClose = new FakeProxy(false);
        keepsAlive = new FakeProxy(true);
        port = Ports.free();
        gw = GatewayHarness.start(tmp, yaml());
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (plain != null) {
            plain.stop(0);
        }
        if (mtls != null) {
            mtls.close();
        }
        if (sidecar != null) {
            sidecar.stop(0);
        }
        try {
            if (silentClose != null) {
                silentClose.close();
            }
            if (keepsAlive != null) {
                keepsAlive.close();
            }
        } catch (java.io.IOException ignored) {
            // closing
        }
    }

    private static String api(String id, String backendId, String inbound) {
        GatewayHarness.write(tmp.resolve(id + ".xml"), """
                <policies>
                  <inbound>%s</inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(inbound));
        return """
                  - id: %s
                    path: %s
                    backendId: %s
                    policy: %s.xml
                """.formatted(id, id, backendId, id);
    }

    private static String yaml() {
        String toProxy = "http://127.0.0.1:" + proxyPort;
        int nothing = Ports.free();
        StringBuilder apis = new StringBuilder();
        apis.append("""
                  - id: direct
                    path: direct
                    backendId: plain
                """);
        apis.append(api("via-http", "plain", "<proxy url=\"" + toProxy + "\" username=\"{{proxy-user}}\" password=\"{{proxy-password}}\" />"));
        GatewayHarness.write(tmp.resolve("via-http-read.xml"), """
                <policies>
                  <inbound><proxy url="%s" username="{{proxy-user}}" password="{{proxy-password}}" /></inbound>
                  <backend><forward-request buffer-request-body="true" /></backend>
                  <outbound><set-body>@("read: " + context.Response.Body.As<string>())</set-body></outbound>
                </policies>
                """.formatted(toProxy));
        apis.append("""
                  - id: via-http-read
                    path: via-http-read
                    backendId: plain
                    policy: via-http-read.xml
                """);
        apis.append(api("via-silent-close", "plain", "<proxy url=\"http://127.0.0.1:" + silentClose.port() + "\" />"));
        apis.append(api("via-keep-alive", "plain", "<proxy url=\"http://127.0.0.1:" + keepsAlive.port() + "\" />"));
        apis.append(api("via-https", "records", "<proxy url=\"" + toProxy + "\" username=\"{{proxy-user}}\" password=\"{{proxy-password}}\" />"));
        apis.append(api("wrong-password-https", "records", "<proxy url=\"" + toProxy + "\" username=\"{{proxy-user}}\" password=\"not-it\" />"));
        apis.append(api("wrong-password-http", "plain", "<proxy url=\"" + toProxy + "\" username=\"{{proxy-user}}\" password=\"not-it\" />"));
        apis.append(api("no-credentials-https", "records", "<proxy url=\"" + toProxy + "\" />"));
        apis.append(api("no-credentials-http", "plain", "<proxy url=\"" + toProxy + "\" />"));
        apis.append(api("proxy-down", "plain", "<proxy url=\"http://127.0.0.1:" + nothing + "\" />"));
        apis.append(api("dapr-publish", "plain", """
                <publish-to-dapr pubsub-name="orders" topic="new" response-variable-name="r" content-type="application/json">@(context.Request.Body.As<string>())</publish-to-dapr>
                <return-response>
                  <set-status code="202" reason="Accepted" />
                  <set-body>@("dapr answered " + ((IResponse)context.Variables["r"]).StatusCode)</set-body>
                </return-response>"""));
        apis.append(api("dapr-missing", "plain", """
                <publish-to-dapr topic="missing/new">hello</publish-to-dapr>"""));
        apis.append(api("dapr-binding", "plain", """
                <invoke-dapr-binding name="external-systems" operation="create" response-variable-name="b">
                  <metadata><item key="source">@(context.Request.Headers.GetValueOrDefault("X-Source", "none"))</item></metadata>
                  <data>@(context.Request.Body.As<string>())</data>
                </invoke-dapr-binding>
                <return-response>
                  <set-status code="200" reason="OK" />
                  <set-body>@(((IResponse)context.Variables["b"]).Body.As<string>())</set-body>
                </return-response>"""));
        apis.append(api("dapr-invoke", "plain", """
                <set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back" dapr-namespace="echo-app" />"""));
        return """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                      tls: false
                  dapr:
                    httpEndpoint: http://127.0.0.1:%2$d
                  accessLog:
                    file: access.log
                namedValues:
                  - name: proxy-user
                    value: %3$s
                  - name: proxy-password
                    value: %4$s
                    secret: true
                caCertificates:
                  - id: backend-ca
                    file: %5$s
                    storeName: Root
                certificates:
                  - id: backend-client-cert
                    certificateFile: %6$s
                    keyFile: %7$s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%8$d
                  - id: records
                    url: https://localhost:%9$d/records
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client-cert]
                apis:
                %10$s""".formatted(port, sidecar.getAddress().getPort(), PROXY_USER, PROXY_PASSWORD,
                world.path("backend-ca.pem"), world.path("gw-client.pem"), world.path("gw-client.key"),
                plain.getAddress().getPort(), mtls.port(), apis.toString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void plainHttpGoesToTheProxyInAbsoluteFormWithItsCredentials() throws Exception {
        requireProxy();
        HttpResponse<String> r = get("/via-http/items?id=3");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("plain saw GET /items?id=3 via=").contains("tinyproxy")
                .endsWith("proxy-authorization=false"); // the proxy took its credentials off
        assertThat(proxy.logText()).contains("GET http://127.0.0.1:" + plain.getAddress().getPort() + "/items?id=3");
    }

    /** A route whose outbound reads the answer: the request goes out whole (not handed to the plain path), through the proxy too. */
    @Test
    void aRouteThatReadsTheAnswerAlsoGoesThroughTheProxy() throws Exception {
        requireProxy();
        HttpResponse<String> r = post("/via-http-read/orders", "{\"n\":2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).startsWith("read: plain saw POST /orders via=").contains("tinyproxy")
                .endsWith("proxy-authorization=false");
    }

    @Test
    void proxiedAndDirectConnectionsToOneBackendAreNotPooledTogether() throws Exception {
        requireProxy();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> direct = get("/direct/d" + i);
            assertThat(direct.body()).isEqualTo("plain saw GET /d" + i + " via=null proxy-authorization=false");
            HttpResponse<String> proxied = get("/via-http/p" + i);
            assertThat(proxied.body()).startsWith("plain saw GET /p" + i + " via=").contains("tinyproxy");
        }
    }

    /**
     * A proxy that, like tinyproxy, relays the backend's HTTP/1.1 status line and closes the
     * connection after each response without saying so: the gateway must not reuse that
     * connection (the close can arrive after the next request went out on it, which loses that
     * request). This stand-in makes the race certain: it takes a second request on a connection
     * only to close it unanswered. One that says {@code Connection: keep-alive} is reused.
     */
    @Test
    void aProxyConnectionIsReusedOnlyWhenTheProxySaysSo() throws Exception {
        int before = silentClose.accepted.get();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = get("/via-silent-close/" + i);
            assertThat(r.statusCode()).as("request " + i + ": " + r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("proxied GET http://127.0.0.1:" + plain.getAddress().getPort() + "/" + i);
        }
        assertThat(silentClose.accepted.get() - before).as("a connection per request").isEqualTo(5);

        int keptBefore = keepsAlive.accepted.get();
        for (int i = 0; i < 5; i++) {
            assertThat(get("/via-keep-alive/" + i).statusCode()).isEqualTo(200);
        }
        assertThat(keepsAlive.accepted.get() - keptBefore).as("one connection, reused").isEqualTo(1);
    }

    /**
     * A stand-in HTTP proxy on a plain socket for {@link #aProxyConnectionIsReusedOnlyWhenTheProxySaysSo}:
     * answers each absolute-form request with its request line; with {@code keepAlive} it says
     * {@code Connection: keep-alive} and serves any number of requests per connection, without it
     * it says nothing and closes a connection when a second request arrives on it.
     */
    static final class FakeProxy implements AutoCloseable {
        final java.net.ServerSocket server;
        final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

        FakeProxy(boolean keepAlive) throws java.io.IOException {
            server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        java.net.Socket sock = server.accept();
                        accepted.incrementAndGet();
                        Thread c = new Thread(() -> serve(sock, keepAlive));
                        c.setDaemon(true);
                        c.start();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        private static void serve(java.net.Socket sock, boolean keepAlive) {
            try (sock) {
                java.io.InputStream in = sock.getInputStream();
                for (int n = 0; ; n++) {
                    String head = readHead(in);
                    if (head == null || (n > 0 && !keepAlive)) {
                        return; // the connection "had been closed" before this request
                    }
                    String line = head.substring(0, head.indexOf("\r\n"));
                    byte[] body = ("proxied " + line.substring(0, line.lastIndexOf(' '))).getBytes(StandardCharsets.UTF_8);
                    sock.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n"
                            + (keepAlive ? "Connection: keep-alive\r\n" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    sock.getOutputStream().write(body);
                    sock.getOutputStream().flush();
                }
            } catch (java.io.IOException ignored) {
                // the gateway went away
            }
        }

        private static String readHead(java.io.InputStream in) throws java.io.IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                sb.append((char) c);
                if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                    return sb.toString();
                }
            }
            return null;
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }

    @Test
    void httpsGoesThroughAConnectTunnelWithMutualTlsInside() throws Exception {
        requireProxy();
        HttpResponse<String> r = get("/via-https/7?full=true");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        // the backend's own TLS check of the gateway's client certificate, through the tunnel
        assertThat(r.body()).isEqualTo("saw CN=gatehouse-gw,O=Contoso,C=US on GET /records/7?full=true host localhost:"
                + mtls.port());
        assertThat(proxy.logText()).contains("CONNECT localhost:" + mtls.port());
    }

    @Test
    void aWrongPasswordOrNoCredentialsIsABadGatewayWithTheReasonLogged() throws Exception {
        requireProxy();
        try (LogCapture logs = new LogCapture()) {
            HttpResponse<String> tunnel = get("/wrong-password-https/1");
            assertThat(tunnel.statusCode()).isEqualTo(502);
            // tinyproxy refuses a wrong password's CONNECT with 401 (RFC 9110 says 407): either is a refusal of the tunnel
            String line = logs.await(l -> l.contains("CONNECT") && l.contains("with 401"), Duration.ofSeconds(5));
            assertThat(line).contains("backend 'records'").contains("proxy http://127.0.0.1:" + proxyPort)
                    .contains("did not accept the username and password").doesNotContain("not-it");

            // absolute form: a proxy's 407 is told from the backend's answers (only proxies send 407) and is a 502
            HttpResponse<String> absolute = get("/no-credentials-http/1");
            assertThat(absolute.statusCode()).isEqualTo(502);
            String line2 = logs.await(l -> l.contains("refused the request") && l.contains("407"), Duration.ofSeconds(5));
            assertThat(line2).contains("backend 'plain'").contains("asks for credentials");

            // ...but tinyproxy 1.11 answers a wrong password with 401 (not 407, as RFC 9110 has it), which
            // cannot be told from a backend's 401: the client gets that 401, and the backend saw nothing
            HttpResponse<String> wrong = get("/wrong-password-http/1");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).contains("Unauthorized").doesNotContain("plain saw");

            HttpResponse<String> none = get("/no-credentials-https/1");
            assertThat(none.statusCode()).isEqualTo(502);
            logs.await(l -> l.contains("asks for credentials"), Duration.ofSeconds(5));
            assertThat(String.join("\n", logs.lines())).doesNotContain(PROXY_PASSWORD);
        }
        String accessLine = awaitAccessLog("/wrong-password-https/1");
        assertThat(accessLine).contains("\"status\":502").contains("\"errorReason\":\"BackendConnectionFailure\"")
                .contains("refused the CONNECT tunnel").doesNotContain("not-it");
        assertThat(gw.gateway.metrics().scrape())
                .contains("gatehouse_request_failures_total{reason=\"BackendConnectionFailure\",source=\"forward-request\"}");
    }

    /** Skips the test without tinyproxy (fails under -Dgatehouse.requireExternalTools=true, as in CI). */
    private static void requireProxy() {
        ExternalTools.require("tinyproxy");
    }

    /** The access log's line for {@code path}, once the writer has written it. */
    private static String awaitAccessLog(String path) throws Exception {
        Path file = tmp.resolve("access.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            if (java.nio.file.Files.exists(file)) {
                for (String line : java.nio.file.Files.readAllLines(file)) {
                    if (line.contains("\"" + path + "\"") || line.contains(path + "\"")) {
                        return line;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no access log line for " + path + " in " + (java.nio.file.Files.exists(file)
                        ? java.nio.file.Files.readString(file) : "(no file)"));
            }
            Thread.sleep(50);
        }
    }

    @Test
    void aProxyThatIsNotListeningIsABadGateway() throws Exception {
        try (LogCapture logs = new LogCapture()) {
            HttpResponse<String> r = get("/proxy-down/1");
            assertThat(r.statusCode()).isEqualTo(502);
            logs.await(l -> l.contains("cannot connect to the proxy") && l.contains("connection refused"),
                    Duration.ofSeconds(5));
        }
    }

    @Test
    void publishToDaprPostsToTheSidecarsPubsubApi() throws Exception {
        sidecarSaw.clear();
        HttpResponse<String> r = post("/dapr-publish/orders", "{\"id\":42}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).isEqualTo("dapr answered 204");
        assertThat(sidecarSaw.poll(5, TimeUnit.SECONDS)).isEqualTo("POST /v1.0/publish/orders/new application/json {\"id\":42}");

        HttpResponse<String> missing = post("/dapr-missing/x", "{}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("ERR_PUBSUB_NOT_FOUND");
    }

    @Test
    void invokeDaprBindingPostsDataMetadataAndOperation() throws Exception {
        sidecarSaw.clear();
        HttpResponse<String> r = post("/dapr-binding/x", "{\"n\":1}", "X-Source", "tests");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"ok\":true}");
        assertThat(sidecarSaw.poll(5, TimeUnit.SECONDS)).isEqualTo("POST /v1.0/bindings/external-systems application/json "
                + "{\"data\":{\"n\":1},\"metadata\":{\"source\":\"tests\"},\"operation\":\"create\"}");
    }

    @Test
    void daprBackendForwardsToTheSidecarsInvokeApi() throws Exception {
        sidecarSaw.clear();
        HttpResponse<String> r = get("/dapr-invoke/anything?x=1");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("invoked /v1.0/invoke/echo.echo-app/method/back?x=1");
        assertThat(sidecarSaw.poll(5, TimeUnit.SECONDS)).startsWith("GET /v1.0/invoke/echo.echo-app/method/back?x=1 ");
    }
}
