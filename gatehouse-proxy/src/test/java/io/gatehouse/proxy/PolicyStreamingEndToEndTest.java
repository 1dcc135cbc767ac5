package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes with policies that leave the request body alone stream it to the backend like plain
 * routes do: uploads larger than a policy route could buffer get through, and an answer given
 * before the upload ends (by inbound, by a policy that replaces the body, or by the backend)
 * leaves the client's connection usable. curl uploads real files; every run is bounded in time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyStreamingEndToEndTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static GatewayHarness gw;
    static int port;
    static Path eightMiB;
    static Path twentyMiB;

    @BeforeAll
    static void start() throws Exception {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new TestBackend(null, "plain");
        port = Ports.free();
        eightMiB = tmp.resolve("8m.bin");
        Files.write(eightMiB, new byte[8 * 1024 * 1024]);
        twentyMiB = tmp.resolve("20m.bin");
        Files.write(twentyMiB, new byte[20 * 1024 * 1024]);
        GatewayHarness.write(tmp.resolve("deny.xml"), """
                <policies>
                  <inbound>
                    <return-response><set-status code="403" reason="Forbidden" /><set-body>denied</set-body></return-response>
                  </inbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("accept.xml"), """
                <policies>
                  <inbound>
                    <return-response><set-status code="202" reason="Accepted" /><set-body>queued</set-body></return-response>
                  </inbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("setbody.xml"), """
                <policies>
                  <inbound><set-body>replaced</set-body></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("stream.xml"), """
                <policies>
                  <inbound>
                    <set-header name="x-seen" exists-action="override"><value>@(context.Request.Method)</value></set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-header name="x-outbound" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>
                  </outbound>
                </policies>
                """);
        // nothing after forward-request: the backend's answer goes back exactly as on a plain route
        GatewayHarness.write(tmp.resolve("direct.xml"), """
                <policies>
                  <inbound>
                    <set-header name="x-seen" exists-action="override"><value>@(context.Request.Method)</value></set-header>
                    <cors allow-credentials="false">
                      <allowed-origins><origin>https://portal.contoso.local</origin></allowed-origins>
                      <allowed-methods><method>GET</method><method>PUT</method></allowed-methods>
                    </cors>
                  </inbound>
                  <backend><base /></backend>
                  <outbound><base /></outbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("forwards.xml"), """
                <policies>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("impatient.xml"), """
                <policies>
                  <backend><forward-request timeout="1" /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("reads.xml"), """
                <policies>
                  <inbound>
                    <set-variable name="q" value="@(context.Request.Url.Query.GetValueOrDefault("b", "") + "|" + context.Request.Headers.GetValueOrDefault("X-Trace-Tag", ""))" />
                    <set-header name="x-added" exists-action="override"><value>yes</value></set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-header name="x-q" exists-action="override"><value>@((string)context.Variables["q"])</value></set-header>
                  </outbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("buffered.xml"), """
                <policies>
                  <backend><forward-request buffer-request-body="true" /></backend>
                </policies>
                """);
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                certificates:
                  - id: gateway-tls
                    certificateFile: %s
                    keyFile: %s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%d
                  - id: brief
                    url: http://127.0.0.1:%d
                    timeout: 1
                apis:
                  - id: brieftimeout
                    path: brieftimeout
                    backendId: brief
                    policy: forwards.xml
                  - id: deny
                    path: deny
                    backendId: plain
                    policy: deny.xml
                  - id: accept
                    path: accept
                    backendId: plain
                    policy: accept.xml
                  - id: setbody
                    path: setbody
                    backendId: plain
                    policy: setbody.xml
                  - id: stream
                    path: stream
                    backendId: plain
                    policy: stream.xml
                  - id: direct
                    path: direct
                    backendId: plain
                    policy: direct.xml
                  - id: impatient
                    path: impatient
                    backendId: plain
                    policy: impatient.xml
                  - id: reads
                    path: reads
                    backendId: plain
                    policy: reads.xml
                  - id: buffered
                    path: buffered
                    backendId: plain
                    policy: buffered.xml
                """.formatted(port, world.path("gateway.pem"), world.path("gateway.key"), backend.port(), backend.port()));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gw, backend}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    /** curl uploading {@code file} to each path in turn on one connection; prints body, status, new connections. */
    private static Proc uploads(Path file, String protocol, String... paths) {
        String curl = ExternalTools.require("curl");
        List<String> cmd = new ArrayList<>(List.of(curl, "-sS", protocol, "--max-time", "30",
                "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1", "--cacert", world.path("gateway-ca.pem"),
                "-D", "-", "-w", " %{http_code} %{num_connects}\n"));
        for (String p : paths) {
            cmd.addAll(List.of("-T", file.toString(), "https://" + TestWorld.API_HOST + ":" + port + p));
        }
        Proc p = Proc.run(cmd, null, null, 45);
        assertThat(p.exitCode()).as(p.toString()).isEqualTo(0);
        return p;
    }

    @Test
    void inboundRefusalWhileTheClientIsStillUploadingAnswersAtOnce() {
        int before = backend.requests.get();
        // curl stops sending after a 4xx and opens a new connection: both are answered, none hangs
        Proc p = uploads(eightMiB, "--http1.1", "/deny/upload", "/deny/upload");
        assertThat(p.stdout().split("denied 403 ", -1)).hasSize(3);
        assertThat(backend.requests.get()).isEqualTo(before);
    }

    @Test
    void inboundAnswerWhileTheClientIsStillUploadingDrainsTheUploadAndKeepsTheConnection() {
        int before = backend.requests.get();
        Proc p = uploads(eightMiB, "--http1.1", "/accept/upload", "/accept/upload", "/stream/upload");
        assertThat(p.stdout()).contains("queued 202 1").contains("queued 202 0")
                .contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 0");
        assertThat(backend.requests.get()).isEqualTo(before + 1);
    }

    @Test
    void policyReplacingTheBodyWhileTheClientIsStillUploadingSendsItsBodyAndKeepsTheConnection() {
        Proc p = uploads(eightMiB, "--http1.1", "/setbody/upload", "/setbody/upload");
        assertThat(p.stdout()).contains("{\"received\": 8} 200 1").contains("{\"received\": 8} 200 0");
    }

    @Test
    void policyRouteStreamsAnUploadLargerThanItCouldBuffer() {
        Proc p = uploads(twentyMiB, "--http1.1", "/stream/upload");
        assertThat(p.stdout()).contains("{\"received\": " + 20 * 1024 * 1024 + "} 200 1")
                .containsIgnoringCase("x-outbound: 200");
    }

    @Test
    void policyRouteStreamsUploadsOverHttp2() {
        Proc p = uploads(eightMiB, "--http2", "/stream/upload", "/stream/upload");
        assertThat(p.stdout()).contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 1")
                .contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 0")
                .containsIgnoringCase("x-outbound: 200");
    }

    @Test
    void backendAnsweringBeforeTheUploadEndsOnAPolicyRouteLeavesTheConnectionUsable() {
        Proc p = uploads(eightMiB, "--http1.1", "/stream/early", "/stream/upload");
        assertThat(p.stdout()).contains("{\"early\": true} 200 1")
                .contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 0");
    }

    @Test
    void inboundPoliciesSeeTheHeadersOfAStreamedRequest() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/stream/records/1?a=b", null, "-D", "-");
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\": \"/records/1?a=b\"").contains("x-seen").containsIgnoringCase("x-outbound: 200");
    }

    @Test
    void routeWithNothingAfterForwardRequestStreamsBothWaysAndKeepsInboundResponseHeaders() {
        Proc p = uploads(twentyMiB, "--http1.1", "/direct/upload");
        assertThat(p.stdout()).contains("{\"received\": " + 20 * 1024 * 1024 + "} 200 1");
        // answered early, the rest drained (up to 16 MiB): the connection serves the next upload
        Proc early = uploads(eightMiB, "--http1.1", "/direct/early", "/direct/upload");
        assertThat(early.stdout()).contains("{\"early\": true} 200 1")
                .contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 0");
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/direct/download?bytes=300000", null,
                "-H", "Origin: https://portal.contoso.local", "-D", "-");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).containsIgnoringCase("access-control-allow-origin: https://portal.contoso.local");
        assertThat(r.body().length()).isGreaterThan(300000);
        E2e.CurlResult echo = E2e.curl(world, TestWorld.API_HOST, port, "/direct/x", null);
        assertThat(echo.body()).contains("x-seen");
    }

    @Test
    void forwardRequestTimeoutAppliesWhenThePlainPathForwards() {
        try (LogCapture logs = new LogCapture()) {
            long start = System.nanoTime();
            E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/impatient/hang", null);
            assertThat(r.status()).isEqualTo(504);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(8));
            assertThat(logs.await(l -> l.contains("504") && l.contains("'impatient'"), java.time.Duration.ofSeconds(2)))
                    .contains("(forward-request timeout)");
        }
    }

    @Test
    void aForwardRequestWithoutATimeoutWaitsForTheBackendsOwnAndTheLogSaysSo() {
        try (LogCapture logs = new LogCapture()) {
            long start = System.nanoTime();
            E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/brieftimeout/hang", null);
            assertThat(r.status()).isEqualTo(504);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(8));
            assertThat(logs.await(l -> l.contains("504") && l.contains("'brieftimeout'"), java.time.Duration.ofSeconds(2)))
                    .contains("(backends[].timeout)").doesNotContain("forward-request timeout");
        }
    }

    @Test
    void aRequestAfterAQuickOneOnTheSameConnectionStillTimesOutAtItsOwnDeadline() {
        // one deadline timer per connection: set by the first request, moved on for the second
        String curl = ExternalTools.require("curl");
        String base = "https://" + TestWorld.API_HOST + ":" + port;
        long start = System.nanoTime();
        Proc p = Proc.run(List.of(curl, "-sS", "--max-time", "20", "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1",
                "--cacert", world.path("gateway-ca.pem"), "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                base + "/impatient/x", "-o", "/dev/null", base + "/impatient/x", "-o", "/dev/null", base + "/impatient/hang"),
                null, null, 30);
        java.time.Duration took = java.time.Duration.ofNanos(System.nanoTime() - start);
        assertThat(p.stdout()).as(p.toString()).isEqualTo("200 1\n200 0\n504 0\n");
        assertThat(took).isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(1)).isLessThan(java.time.Duration.ofSeconds(8));
    }

    @Test
    void bufferRequestBodyReadsTheUploadWholeAndSendsAllOfIt() {
        Proc p = uploads(eightMiB, "--http1.1", "/buffered/upload");
        assertThat(p.stdout()).contains("{\"received\": " + 8 * 1024 * 1024 + "} 200 1");
    }

    @Test
    void policiesThatNeverReadTheUrlOrHeadersForwardThemAsReceived() {
        // the impatient route's policy reads neither: target and headers go on as the client sent them
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/impatient/records/1?b=2&a=%20x&flag&a=1", null,
                "-H", "X-Trace-Tag: one", "-H", "Proxy-Connection: keep-alive");
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\": \"/records/1?b=2&a=%20x&flag&a=1\"")
                .contains("\"host\": \"127.0.0.1:" + backend.port() + "\"")
                .contains("x-trace-tag").doesNotContain("proxy-connection")
                .contains("\"xForwardedHost\": \"" + TestWorld.API_HOST + ":" + port + "\"");
        // a policy that reads both still sees them, and its change goes on
        E2e.CurlResult read = E2e.curl(world, TestWorld.API_HOST, port, "/reads/records/1?b=2&a=%20x", null,
                "-H", "X-Trace-Tag: one", "-H", "Proxy-Connection: keep-alive", "-D", "-");
        assertThat(read.status()).as(read.stderr() + read.body()).isEqualTo(200);
        assertThat(read.body()).containsIgnoringCase("x-q: 2|one").contains("\"uri\": \"/records/1?b=2&a=%20x\"")
                .contains("x-added").contains("x-trace-tag").doesNotContain("proxy-connection");
    }
}
