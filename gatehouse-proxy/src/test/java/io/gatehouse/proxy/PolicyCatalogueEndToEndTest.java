package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * More of APIM's everyday policies through the gateway, each on its own API in front of a real
 * Netty backend, driven by curl: what the client gets, and what the backend saw (its echo).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyCatalogueEndToEndTest {
    /** HS256 key for validate-jwt, base64 as APIM's issuer-signing-keys take it (a test value, not a secret). */
    private static final byte[] JWT_KEY = "gatehouse-test-signing-key-32-bytes!".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static GatewayHarness gw;
    static int port;
    /** An App Service-style managed identity token service, as Azure hosts publish one. */
    static com.sun.net.httpserver.HttpServer identity;
    static final java.util.concurrent.atomic.AtomicInteger tokenCalls = new java.util.concurrent.atomic.AtomicInteger();

    private static String api(String id, String xml) {
        GatewayHarness.write(tmp.resolve(id + ".xml"), xml);
        return """
                  - id: %s
                    path: %s
                    backendId: plain
                    policy: %s.xml
                """.formatted(id, id, id);
    }

    @BeforeAll
    static void start() {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new TestBackend(null, "plain");
        port = Ports.free();
        try {
            identity = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        identity.createContext("/msi/token", x -> {
            tokenCalls.incrementAndGet();
            boolean authorized = "identity-S3cret".equals(x.getRequestHeaders().getFirst("X-IDENTITY-HEADER"));
            String resource = java.net.URLDecoder.decode(x.getRequestURI().getRawQuery().replaceAll(".*resource=([^&]*).*", "$1"),
                    StandardCharsets.UTF_8);
            byte[] out = (authorized
                    ? "{\"access_token\": \"token-for-" + resource + "\", \"expires_on\": \"" + (System.currentTimeMillis() / 1000 + 3600)
                            + "\", \"token_type\": \"Bearer\"}"
                    : "{\"error\": \"unauthorized\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(authorized ? 200 : 401, out.length);
            x.getResponseBody().write(out);
            x.close();
        });
        identity.start();
        String key = Base64.getEncoder().encodeToString(JWT_KEY);
        StringBuilder apis = new StringBuilder();
        apis.append(api("faulty", """
                <policies>
                  <inbound>
                    <set-header name="x-length" exists-action="override">
                      <value>@(context.Request.Headers.GetValueOrDefault("x-missing", null).Length.ToString())</value>
                    </set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("checked", """
                <policies>
                  <inbound>
                    <check-header name="x-tenant" failed-check-httpcode="401" failed-check-error-message="tenant required" ignore-case="true">
                      <value>Clinic-A</value>
                    </check-header>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("mocked", """
                <policies>
                  <inbound><mock-response status-code="201" content-type="application/json" /></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("basic", """
                <policies>
                  <inbound><authentication-basic username="svc" password="s3cret" /></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("replaced", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound><find-and-replace from="plain" to="PLAIN" /></outbound>
                </policies>
                """));
        apis.append(api("xml", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound><json-to-xml apply="always" consider-accept-header="false" /></outbound>
                </policies>
                """));
        apis.append(api("jwt", """
                <policies>
                  <inbound>
                    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401">
                      <issuer-signing-keys><key>%s</key></issuer-signing-keys>
                      <audiences><audience>records-api</audience></audiences>
                      <required-claims><claim name="role" match="any"><value>clinician</value></claim></required-claims>
                    </validate-jwt>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(key)));
        apis.append(api("quota", """
                <policies>
                  <inbound><quota calls="1" renewal-period="3600" /></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("keyed", """
                <policies>
                  <inbound>
                    <rate-limit-by-key calls="1" renewal-period="60" counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-caller&quot;, &quot;anonymous&quot;))" />
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("cached", """
                <policies>
                  <inbound>
                    <cache-lookup-value key="greeting" variable-name="greeting" />
                    <choose>
                      <when condition="@(!context.Variables.ContainsKey(&quot;greeting&quot;))">
                        <set-variable name="greeting" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-greeting&quot;, &quot;none&quot;))" />
                        <cache-store-value key="greeting" value="@((string)context.Variables[&quot;greeting&quot;])" duration="60" />
                      </when>
                    </choose>
                    <return-response>
                      <set-status code="200" reason="OK" />
                      <set-body>@((string)context.Variables["greeting"])</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("side", """
                <policies>
                  <inbound>
                    <send-request mode="new" response-variable-name="side" timeout="10" ignore-error="false">
                      <set-url>http://127.0.0.1:%d/base/side-call</set-url>
                      <set-method>GET</set-method>
                    </send-request>
                    <return-response>
                      <set-status code="200" reason="OK" />
                      <set-body>@(((IResponse)context.Variables["side"]).Body.As<string>())</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(backend.port())));
        apis.append(api("retried", """
                <policies>
                  <backend>
                    <retry condition="@(context.Response.StatusCode == 302)" count="2" interval="0">
                      <forward-request />
                    </retry>
                  </backend>
                </policies>
                """));
        apis.append(api("rebodied", """
                <policies>
                  <inbound><set-body>replaced by policy</set-body></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("refused", """
                <policies>
                  <inbound>
                    <return-response>
                      <set-status code="403" reason="Forbidden" />
                      <set-body>no uploads here</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("metered", """
                <policies>
                  <inbound>
                    <emit-metric name="Lab Orders" namespace="Clinic" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-items&quot;, &quot;1&quot;))">
                      <dimension name="API ID" />
                      <dimension name="Tenant" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;, &quot;none&quot;))" />
                    </emit-metric>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("cachedresponses", """
                <policies>
                  <inbound><cache-lookup vary-by-developer="false" vary-by-developer-groups="false" /></inbound>
                  <backend><forward-request /></backend>
                  <outbound><cache-store duration="60" /></outbound>
                </policies>
                """));
        apis.append(api("liquid", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-body template="liquid">{"served-by": "{{body.backend}}", "method": "{{context.Request.Method | Downcase}}"}</set-body>
                  </outbound>
                </policies>
                """));
        apis.append(api("xslt", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound>
                    <json-to-xml apply="always" consider-accept-header="false" />
                    <xsl-transform>
                      <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                        <xsl:output omit-xml-declaration="yes" method="xml" />
                        <xsl:template match="/Document"><served-by><xsl:value-of select="backend" /></served-by></xsl:template>
                      </xsl:stylesheet>
                    </xsl-transform>
                  </outbound>
                </policies>
                """));
        apis.append(api("redir", """
                <policies>
                  <inbound><redirect-content-urls /></inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        apis.append(api("jsonp", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound><jsonp callback-parameter-name="cb" /></outbound>
                </policies>
                """));
        apis.append(api("roundtrip", """
                <policies>
                  <backend><forward-request /></backend>
                  <outbound>
                    <json-to-xml apply="always" consider-accept-header="false" />
                    <xml-to-json kind="direct" apply="always" consider-accept-header="false" />
                  </outbound>
                </policies>
                """));
        apis.append(api("fanout", """
                <policies>
                  <inbound>
                    <wait for="all">
                      <send-request mode="new" response-variable-name="a" timeout="10">
                        <set-url>http://127.0.0.1:%d/base/part-a</set-url>
                      </send-request>
                      <send-request mode="new" response-variable-name="b" timeout="10">
                        <set-url>http://127.0.0.1:%d/base/part-b</set-url>
                      </send-request>
                    </wait>
                    <return-response>
                      <set-status code="200" reason="OK" />
                      <set-body>@(((IResponse)context.Variables["a"]).StatusCode + " " + ((IResponse)context.Variables["b"]).StatusCode)</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(backend.port(), backend.port())));
        apis.append(api("notify", """
                <policies>
                  <inbound>
                    <send-one-way-request mode="new">
                      <set-url>http://127.0.0.1:%d/base/audit-notification</set-url>
                      <set-method>POST</set-method>
                      <set-body>seen</set-body>
                    </send-one-way-request>
                    <return-response><set-status code="202" reason="Accepted" /></return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(backend.port())));
        apis.append(api("single", """
                <policies>
                  <inbound><base /></inbound>
                  <backend>
                    <limit-concurrency key="single" max-count="1">
                      <forward-request timeout="3" />
                    </limit-concurrency>
                  </backend>
                </policies>
                """));
        apis.append(api("identity", """
                <policies>
                  <inbound>
                    <authentication-managed-identity resource="https://vault.azure.net" />
                    <return-response>
                      <set-status code="200" reason="OK" />
                      <set-body>@(context.Request.Headers.GetValueOrDefault("Authorization", "none"))</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """));
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  managedIdentity:
                    style: app-service
                    endpoint: http://127.0.0.1:%d/msi/token
                    identityHeader: identity-S3cret
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%d/base
                apis:
                %s""".formatted(port, identity.getAddress().getPort(), E2e.gatewayCertificate(world), backend.port(), apis));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (identity != null) {
            identity.stop(0);
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static E2e.CurlResult call(String path, String... extra) {
        return E2e.curl(world, TestWorld.API_HOST, port, path, null, extra);
    }

    @Test
    void aPolicyThatFailsIsCountedByItsLastErrorSourceAndReason() {
        String metric = "gatehouse_request_failures_total{reason=\"ExpressionValueEvaluationFailure\",source=\"set-header\"}";
        assertThat(gw.gateway.metrics().scrape()).doesNotContain(metric);
        assertThat(call("/faulty/x").status()).isEqualTo(500);
        assertThat(call("/faulty/x").status()).isEqualTo(500);
        assertThat(gw.gateway.metrics().scrape()).contains(metric + " 2.0");
    }

    @Test
    void checkHeaderRefusesAMissingOrWrongValueWithTheConfiguredStatusAndMessage() {
        E2e.CurlResult missing = call("/checked/x");
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.body()).contains("tenant required").doesNotContain("\"backend\"");
        assertThat(call("/checked/x", "-H", "x-tenant: clinic-b").status()).isEqualTo(401);
        E2e.CurlResult ok = call("/checked/x", "-H", "x-tenant: clinic-a");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).contains("\"backend\": \"plain\"");
    }

    @Test
    void mockResponseAnswersWithoutCallingTheBackend() {
        int before = backend.requests.get();
        E2e.CurlResult r = call("/mocked/x", "-D", "-");
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.body()).containsIgnoringCase("content-type: application/json");
        assertThat(backend.requests.get()).isEqualTo(before);
    }

    @Test
    void authenticationBasicSendsCredentialsToTheBackend() {
        E2e.CurlResult r = call("/basic/x");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("authorization").doesNotContain("s3cret");
    }

    @Test
    void findAndReplaceRewritesTheBackendsResponseBody() {
        E2e.CurlResult r = call("/replaced/x");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"backend\": \"PLAIN\"").doesNotContain("\"plain\"");
    }

    @Test
    void jsonToXmlTurnsTheBackendsJsonIntoXml() {
        E2e.CurlResult r = call("/xml/x", "-D", "-");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).containsIgnoringCase("content-type: application/xml").contains("<backend>plain</backend>");
    }

    @Test
    void validateJwtAdmitsAGoodTokenAndRefusesMissingForgedAndWrongAudienceTokens() throws Exception {
        long exp = System.currentTimeMillis() / 1000 + 600;
        String good = hs256("{\"aud\":\"records-api\",\"role\":\"clinician\",\"exp\":" + exp + "}", JWT_KEY);
        E2e.CurlResult ok = call("/jwt/x", "-H", "Authorization: Bearer " + good);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.body()).contains("\"backend\": \"plain\"");

        assertThat(call("/jwt/x").status()).isEqualTo(401);
        String forged = hs256("{\"aud\":\"records-api\",\"role\":\"clinician\",\"exp\":" + exp + "}",
                "another-key-of-thirty-two-bytes!!!!".getBytes(StandardCharsets.US_ASCII));
        assertThat(call("/jwt/x", "-H", "Authorization: Bearer " + forged).status()).isEqualTo(401);
        String otherAudience = hs256("{\"aud\":\"billing-api\",\"role\":\"clinician\",\"exp\":" + exp + "}", JWT_KEY);
        assertThat(call("/jwt/x", "-H", "Authorization: Bearer " + otherAudience).status()).isEqualTo(401);
        String wrongRole = hs256("{\"aud\":\"records-api\",\"role\":\"billing\",\"exp\":" + exp + "}", JWT_KEY);
        assertThat(call("/jwt/x", "-H", "Authorization: Bearer " + wrongRole).status()).isEqualTo(401);
    }

    @Test
    void quotaRefusesTheCallOverTheLimitWith403() {
        assertThat(call("/quota/x").status()).isEqualTo(200);
        E2e.CurlResult over = call("/quota/x");
        assertThat(over.status()).isEqualTo(403);
        assertThat(over.body()).doesNotContain("\"backend\"");
    }

    @Test
    void rateLimitByKeyCountsEachCallerSeparately() {
        assertThat(call("/keyed/x", "-H", "x-caller: alice").status()).isEqualTo(200);
        assertThat(call("/keyed/x", "-H", "x-caller: alice").status()).isEqualTo(429);
        assertThat(call("/keyed/x", "-H", "x-caller: bob").status()).isEqualTo(200);
    }

    @Test
    void cacheStoreValueKeepsTheFirstValueForLaterRequests() {
        E2e.CurlResult first = call("/cached/x", "-H", "x-greeting: first");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("first");
        E2e.CurlResult second = call("/cached/x", "-H", "x-greeting: second");
        assertThat(second.body()).isEqualTo("first");
    }

    @Test
    void sendRequestCallsASecondServiceAndThePolicyAnswersWithItsBody() {
        E2e.CurlResult r = call("/side/x");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\": \"/base/side-call\"");
    }

    @Test
    void retryCallsTheBackendAgainWhileTheConditionHolds() {
        int before = backend.requests.get();
        E2e.CurlResult r = call("/retried/redirect?to=/elsewhere");
        assertThat(r.status()).isEqualTo(302);
        assertThat(backend.requests.get() - before).isEqualTo(3); // the first call and two retries
    }

    @Test
    void setBodyReplacesAnUploadStillInFlightAndTheBackendGetsOnlyThePolicysBody() throws Exception {
        Path big = bigFile();
        E2e.CurlResult r = call("/rebodied/upload", "-X", "POST", "--data-binary", "@" + big,
                "-H", "content-type: application/octet-stream");
        assertThat(r.status()).as(r.stderr()).isEqualTo(200);
        assertThat(r.body()).contains("\"received\": " + "replaced by policy".length());
    }

    @Test
    void anInboundAnswerToALargeUploadReachesTheClientAndTheConnectionStaysUsable() throws Exception {
        Path big = bigFile();
        // the same curl sends the refused upload, then a second request on the same connection
        E2e.CurlResult r = call("/refused/upload", "-X", "POST", "--data-binary", "@" + big,
                "-H", "content-type: application/octet-stream", "--next",
                "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1", "--cacert", world.path("gateway-ca.pem"),
                "https://" + TestWorld.API_HOST + ":" + port + "/checked/x", "-H", "x-tenant: clinic-a",
                "-w", "\nsecond request opened %{num_connects} connections\n");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.body()).contains("no uploads here").contains("\"backend\": \"plain\"");
        assertThat(r.body()).contains("second request opened 0 connections");
    }

    @Test
    void authenticationManagedIdentityGetsATokenFromTheConfiguredServiceOnceAndSendsItAsBearer() {
        E2e.CurlResult first = call("/identity/x");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.body()).isEqualTo("Bearer token-for-https://vault.azure.net");
        int calls = tokenCalls.get();
        assertThat(call("/identity/x").body()).isEqualTo("Bearer token-for-https://vault.azure.net");
        assertThat(tokenCalls.get()).as("the token is cached until near its expiry").isEqualTo(calls);
    }

    @Test
    void emitMetricDataPointsAppearInTheGatewaysPrometheusMetrics() {
        assertThat(call("/metered/x", "-H", "x-items: 3", "-H", "x-tenant: clinic-a").status()).isEqualTo(200);
        assertThat(call("/metered/x", "-H", "x-items: 4", "-H", "x-tenant: clinic-a").status()).isEqualTo(200);
        String scrape = gw.gateway.metrics().scrape();
        assertThat(scrape).contains("clinic_lab_orders_count{api_id=\"metered\",tenant=\"clinic-a\"} 2")
                .contains("clinic_lab_orders_sum{api_id=\"metered\",tenant=\"clinic-a\"} 7");
    }

    @Test
    void cacheLookupAnswersTheSecondGetFromTheCacheWithoutCallingTheBackend() {
        int before = backend.requests.get();
        E2e.CurlResult first = call("/cachedresponses/item?version=1");
        assertThat(first.status()).isEqualTo(200);
        E2e.CurlResult second = call("/cachedresponses/item?version=1", "-D", "-");
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body()).containsIgnoringCase("age:").contains("\"backend\": \"plain\"");
        assertThat(backend.requests.get() - before).as("one backend call for two requests").isEqualTo(1);
    }

    @Test
    void setBodyLiquidTemplateReshapesTheBackendsJson() {
        E2e.CurlResult r = call("/liquid/x");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"served-by\": \"plain\", \"method\": \"get\"}");
    }

    @Test
    void xslTransformRewritesTheXmlJsonToXmlMade() {
        E2e.CurlResult r = call("/xslt/x");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body().strip()).isEqualTo("<served-by>plain</served-by>");
    }

    @Test
    void redirectContentUrlsPointsGatewayLinksInTheRequestBodyAtTheBackend() {
        String body = "see https://" + TestWorld.API_HOST + ":" + port + "/redir/next please";
        String rewritten = "see http://127.0.0.1:" + backend.port() + "/base/next please";
        E2e.CurlResult r = call("/redir/upload", "-X", "POST", "-H", "content-type: text/plain", "--data-binary", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"received\": " + rewritten.length());
    }

    @Test
    void jsonpWrapsTheResponseInTheCallbackOnlyWhenAsked() {
        assertThat(call("/jsonp/x").body()).startsWith("{\"backend\"");
        E2e.CurlResult wrapped = call("/jsonp/x?cb=render");
        assertThat(wrapped.body()).startsWith("render({\"backend\"").matches("(?s).*\\);?$");
    }

    @Test
    void xmlToJsonTurnsXmlBackIntoJson() {
        E2e.CurlResult r = call("/roundtrip/x", "-D", "-");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).containsIgnoringCase("content-type: application/json").contains("\"backend\":\"plain\"");
    }

    @Test
    void waitForAllRunsBothCallsBeforeGoingOn() {
        int before = backend.requests.get();
        E2e.CurlResult r = call("/fanout/x");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("200 200");
        assertThat(backend.requests.get() - before).isEqualTo(2);
    }

    @Test
    void sendOneWayRequestFiresWithoutHoldingTheAnswer() throws Exception {
        int before = backend.requests.get();
        E2e.CurlResult r = call("/notify/x");
        assertThat(r.status()).isEqualTo(202);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (backend.requests.get() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(backend.requests.get() - before).as("the notification reached the backend").isEqualTo(1);
    }

    @Test
    void limitConcurrencyRefusesASecondRequestWhileTheFirstIsInside() throws Exception {
        int before = backend.requests.get();
        java.util.concurrent.CompletableFuture<E2e.CurlResult> first =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> call("/single/hang"));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (backend.requests.get() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(backend.requests.get() - before).as("the first request is at the backend").isEqualTo(1);
        E2e.CurlResult second = call("/single/hang");
        assertThat(second.status()).isEqualTo(429);
        assertThat(first.get(30, java.util.concurrent.TimeUnit.SECONDS).status()).as("the first times out").isEqualTo(504);
    }

    private static Path bigFile() throws Exception {
        Path big = tmp.resolve("upload.bin");
        if (!Files.exists(big)) {
            Files.write(big, new byte[8 * 1024 * 1024]);
        }
        return big;
    }

    private static String hs256(String claims, byte[] key) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String head = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String body = b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        String sig = b64.encodeToString(mac.doFinal((head + "." + body).getBytes(StandardCharsets.US_ASCII)));
        return head + "." + body + "." + sig;
    }
}
