package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * APIM's everyday policies through the gateway with curl and a real backend: what the backend
 * receives after request rewriting, and what the client gets from the access and limit policies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EverydayPoliciesEndToEndTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static GatewayHarness gw;
    static int port;

    @BeforeAll
    static void start() {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new TestBackend(null, "plain");
        port = Ports.free();
        GatewayHarness.write(tmp.resolve("rewrite.xml"), """
                <policies>
                  <inbound>
                    <set-method>POST</set-method>
                    <set-query-parameter name="source" exists-action="override"><value>gatehouse</value></set-query-parameter>
                    <rewrite-uri template="/v2/records/{id}" copy-unmatched-params="true" />
                    <set-header name="x-record" exists-action="override"><value>@(context.Request.MatchedParameters["id"])</value></set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("limited.xml"), """
                <policies>
                  <inbound>
                    <rate-limit calls="2" renewal-period="60" />
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("cors.xml"), """
                <policies>
                  <inbound>
                    <cors allow-credentials="false">
                      <allowed-origins><origin>https://portal.contoso.local</origin></allowed-origins>
                      <allowed-methods><method>GET</method><method>POST</method></allowed-methods>
                      <allowed-headers><header>content-type</header></allowed-headers>
                    </cors>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("ipfilter.xml"), """
                <policies>
                  <inbound>
                    <ip-filter action="forbid"><address>127.0.0.1</address></ip-filter>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("stamp.xml"), """
                <policies>
                  <inbound><set-header name="x-in" exists-action="override"><value>1</value></set-header></inbound>
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-header name="x-stamped" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header>
                  </outbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("replace.xml"), """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound><set-body>replaced by policy</set-body></outbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("follow.xml"), """
                <policies>
                  <backend><forward-request follow-redirects="true" /></backend>
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
                %s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%d/base
                apis:
                  - id: records
                    path: records
                    backendId: plain
                    policy: rewrite.xml
                    operations:
                      - id: get-record
                        method: GET
                        urlTemplate: /{id}
                  - id: limited
                    path: limited
                    backendId: plain
                    policy: limited.xml
                  - id: cors
                    path: cors
                    backendId: plain
                    policy: cors.xml
                  - id: blocked
                    path: blocked
                    backendId: plain
                    policy: ipfilter.xml
                  - id: follow
                    path: follow
                    backendId: plain
                    policy: follow.xml
                  - id: nofollow
                    path: nofollow
                    backendId: plain
                  - id: stamp
                    path: stamp
                    backendId: plain
                    policy: stamp.xml
                  - id: replace
                    path: replace
                    backendId: plain
                    policy: replace.xml
                """.formatted(port, E2e.gatewayCertificate(world), backend.port()));
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

    @Test
    void rewriteUriSetMethodAndSetQueryParameterShapeWhatTheBackendReceives() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/records/42?expand=true", null);
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"method\": \"POST\"")
                .contains("\"uri\": \"/base/v2/records/42?")
                .contains("expand=true").contains("source=gatehouse")
                .contains("x-record");
    }

    @Test
    void rateLimitAnswers429WithRetryAfterOnTheThirdCall() {
        assertThat(E2e.curl(world, TestWorld.API_HOST, port, "/limited/a", null).status()).isEqualTo(200);
        assertThat(E2e.curl(world, TestWorld.API_HOST, port, "/limited/a", null).status()).isEqualTo(200);
        int before = backend.requests.get();
        E2e.CurlResult third = E2e.curl(world, TestWorld.API_HOST, port, "/limited/a", null, "-D", "-");
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.body()).containsIgnoringCase("retry-after:").contains("\"statusCode\": 429");
        assertThat(backend.requests.get()).isEqualTo(before);
    }

    @Test
    void corsPreflightIsAnsweredByTheGatewayAndActualRequestsGetTheOriginBack() {
        E2e.CurlResult pre = E2e.curl(world, TestWorld.API_HOST, port, "/cors/x", null, "-X", "OPTIONS", "-D", "-",
                "-H", "Origin: https://portal.contoso.local", "-H", "Access-Control-Request-Method: POST");
        assertThat(pre.status()).isBetween(200, 204);
        assertThat(pre.body()).containsIgnoringCase("access-control-allow-origin: https://portal.contoso.local")
                .doesNotContain("\"backend\"");
        E2e.CurlResult actual = E2e.curl(world, TestWorld.API_HOST, port, "/cors/x", null, "-D", "-",
                "-H", "Origin: https://portal.contoso.local");
        assertThat(actual.status()).isEqualTo(200);
        assertThat(actual.body()).containsIgnoringCase("access-control-allow-origin: https://portal.contoso.local")
                .contains("\"backend\": \"plain\"");
    }

    @Test
    void ipFilterForbidsTheCaller() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/blocked/x", null);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).startsWith("{\"statusCode\": 403").doesNotContain("\"backend\"");
    }

    @Test
    void forwardRequestFollowsRedirectsOnlyWhenAsked() {
        E2e.CurlResult followed = E2e.curl(world, TestWorld.API_HOST, port, "/follow/redirect?to=/base/landed", null);
        assertThat(followed.status()).as(followed.body()).isEqualTo(200);
        assertThat(followed.body()).contains("\"uri\": \"/base/landed\"");
        E2e.CurlResult passed = E2e.curl(world, TestWorld.API_HOST, port, "/nofollow/redirect?to=/base/landed", null, "-D", "-");
        assertThat(passed.status()).isEqualTo(302);
        assertThat(passed.body()).containsIgnoringCase("location: /base/landed");
    }

    @Test
    void aPolicyRouteThatLeavesTheBodyAloneStreamsMoreThanItCouldBuffer() {
        long size = 40L * 1024 * 1024; // above the 16 MiB a policy route reads whole
        String curl = ExternalTools.require("curl");
        Proc p = Proc.run(java.util.List.of(curl, "-sS", "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1",
                "--cacert", world.path("gateway-ca.pem"), "-o", "/dev/null", "-D", "-", "-w", "%{http_code} %{size_download}",
                "https://" + TestWorld.API_HOST + ":" + port + "/stamp/download?bytes=" + size), null, null, 120);
        assertThat(p.stdout()).as(p.toString()).endsWith("200 " + size).containsIgnoringCase("x-stamped: 200");
    }

    @Test
    void anOutboundSetBodyReplacesTheBackendsBody() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/replace/download?bytes=1000000", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("replaced by policy");
        // the abandoned connection is not reused half-read: the next request still works
        assertThat(E2e.curl(world, TestWorld.API_HOST, port, "/replace/x", null).body()).isEqualTo("replaced by policy");
    }
}
