package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Products and subscriptions end to end, with the JDK's HttpClient (plain HTTP) and curl (TLS with
 * a client certificate) against a backend that records what it gets: APIM's key check (missing,
 * wrong, primary, secondary, suspended, out of scope, query parameter, per-API names), the product
 * policy between global and API, open products, context.Subscription/Product/User, rate limits per
 * subscription, a client certificate plus a key, and no key in any log line.
 */
class SubscriptionsEndToEndTest {
    static final String ALICE_PRIMARY = "alice-primary-0123456789abcdef0123";
    static final String ALICE_SECONDARY = "alice-secondary-fedcba9876543210fed";
    static final String BOB = "bob-orders-only-00112233445566778899";
    static final String CAROL = "carol-suspended-aabbccddeeff00112233";
    static final String DAVE = "dave-catalog-api-99887766554433221100";
    static final String ERIN = "erin-gold-second-5566778899aabbccddee";
    static final String FRANK = "frank-mtls-partner-0a1b2c3d4e5f6a7b8c";
    static final String MALLORY = "mallory-not-a-key-at-all-000000000000";
    static final List<String> ALL_KEYS = List.of(ALICE_PRIMARY, ALICE_SECONDARY, BOB, CAROL, DAVE, ERIN, FRANK, MALLORY);

    static final String ORDER_POLICY = """
            <policies>
              <inbound>
                <base />
                <set-header name="X-Order" exists-action="append"><value>api</value></set-header>
                <set-header name="X-Sub" exists-action="override">
                  <value>@(context.Subscription == null ? "none" : context.Subscription.Id + "|" + context.Subscription.Name + "|" + (context.Subscription.Key == context.Subscription.PrimaryKey ? "primary" : "secondary"))</value>
                </set-header>
                <set-header name="X-Product" exists-action="override">
                  <value>@(context.Product == null ? "none" : context.Product.Id + "|" + context.Product.Name + "|" + context.Product.State + "|" + context.Product.SubscriptionRequired + "|" + string.Join(",", context.Product.Apis.Select(a => a.Id)))</value>
                </set-header>
                <set-header name="X-User" exists-action="override">
                  <value>@(context.User == null ? "none" : context.User.Email + "|" + context.User.FirstName)</value>
                </set-header>
              </inbound>
              <backend><base /></backend>
              <outbound><base /></outbound>
            </policies>
            """;

    @TempDir
    static Path tmp;
    static TestWorld world;
    static RecordingBackend backend;
    static GatewayHarness gw;
    static int plain;
    static int tlsPort;
    static int admin;
    static final String TRACE_KEY = "trace-key-for-the-tests-0123456789";
    static LogCapture logs;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws IOException {
        logs = new LogCapture();
        world = new TestWorld(tmp.resolve("pki"));
        backend = new RecordingBackend();
        plain = Ports.free();
        tlsPort = Ports.free();
        admin = Ports.free();
        Files.writeString(tmp.resolve("alice-secondary.key"), ALICE_SECONDARY + "\n");
        String yaml = """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                  accessLog:
                    file: %s
                    queryString: true
                  trace:
                    keys: [%s]
                hostnames:
                  - hostName: %s
                    certificateId: gateway-tls
                    clientCertificateMode: request
                    defaultSslBinding: true
                    trustedCaCertificateIds: [client-ca]
                caCertificates:
                  - id: client-ca
                    file: %s
                    storeName: Root
                %s
                backends:
                  - id: rec
                    url: %s
                policies:
                  globalXml: |
                    <policies>
                      <inbound><set-header name="X-Order" exists-action="append"><value>global</value></set-header></inbound>
                      <backend><forward-request /></backend>
                      <outbound />
                    </policies>
                products:
                  - id: gold
                    name: Gold tier
                    apis: [orders, limited]
                    state: notPublished
                    policyXml: |
                      <policies>
                        <inbound><base /><set-header name="X-Order" exists-action="append"><value>product</value></set-header></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: open
                    name: Open catalog
                    apis: [catalog]
                    subscriptionRequired: false
                    policyXml: |
                      <policies>
                        <inbound><base /><set-header name="X-Order" exists-action="append"><value>open-product</value></set-header></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                subscriptions:
                  - id: alice
                    name: Alice's app
                    scope: /products/gold
                    primaryKey: %s
                    secondaryKey: ${file:alice-secondary.key}
                    owner: {id: u-1, email: alice@contoso.test, firstName: Alice, lastName: Smith}
                  - id: erin
                    scope: /products/gold
                    primaryKey: %s
                  - id: bob
                    scope: /apis/orders
                    primaryKey: %s
                  - id: carol
                    scope: /apis
                    primaryKey: %s
                    state: suspended
                  - id: dave
                    scope: /apis/catalog
                    primaryKey: %s
                  - id: frank
                    scope: /apis/mtls
                    primaryKey: %s
                apis:
                  - id: orders
                    path: orders
                    backendId: rec
                    subscriptionRequired: true
                    policyXml: |
                %s
                  - id: custom
                    path: custom
                    backendId: rec
                    subscriptionRequired: true
                    subscriptionKeyParameterNames: {header: X-Api-Key, query: key}
                  - id: catalog
                    path: catalog
                    backendId: rec
                    subscriptionRequired: true
                    policyXml: |
                %s
                  - id: free
                    path: free
                    backendId: rec
                  - id: limited
                    path: limited
                    backendId: rec
                    subscriptionRequired: true
                    policyXml: |
                      <policies>
                        <inbound><base /><rate-limit calls="2" renewal-period="300" /></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: freelimited
                    path: freelimited
                    backendId: rec
                    policyXml: |
                      <policies>
                        <inbound><base /><rate-limit calls="1" renewal-period="300" /></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: mtls
                    path: mtls
                    backendId: rec
                    clientCertificate: required
                    subscriptionRequired: true
                """.formatted(plain, tlsPort, admin, tmp.resolve("access.log"), TRACE_KEY, TestWorld.API_HOST, world.path("client-ca.pem"), E2e.gatewayCertificate(world),
                backend.url(), ALICE_PRIMARY, ERIN, BOB, CAROL, DAVE, FRANK, indent(ORDER_POLICY), indent(ORDER_POLICY));
        gw = GatewayHarness.start(tmp, yaml);
    }

    private static String indent(String xml) {
        return xml.lines().map(l -> "      " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    @AfterAll
    static void stop() throws IOException {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    record Reply(int status, String body, String challenge, RecordingBackend.Request seen) {
        List<String> order() {
            String h = seen.header("X-Order");
            return h == null ? List.of() : Arrays.stream(h.split(",")).map(String::strip).toList();
        }
    }

    /** GET {@code path} on the plain listener with {@code headers} (name, value, ...); what the backend saw, if anything. */
    static Reply get(String path, String... headers) throws Exception {
        String marker = "r" + System.nanoTime();
        String sep = path.contains("?") ? "&" : "?";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain + path + sep + "m=" + marker))
                .timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        RecordingBackend.Request seen = null;
        for (RecordingBackend.Request q : backend.requests) {
            if (q.target().contains("m=" + marker)) {
                seen = q;
            }
        }
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("WWW-Authenticate").orElse(null), seen);
    }

    @Test
    void aMissingKeyIsRefusedWithApimsMessageAndChallenge() throws Exception {
        Reply r = get("/orders/1");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"statusCode\": 401, \"message\": \"Access denied due to missing subscription key. "
                + "Make sure to include subscription key when making requests to an API.\"}");
        assertThat(r.challenge()).isEqualTo("AzureApiManagementKey realm=\"http://127.0.0.1:" + plain
                + "/orders\",name=\"Ocp-Apim-Subscription-Key\",type=\"header\"");
        assertThat(r.seen()).isNull();
    }

    @Test
    void aWrongKeyIsRefusedAsInvalid() throws Exception {
        Reply r = get("/orders/1", "Ocp-Apim-Subscription-Key", MALLORY);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.body()).contains("Access denied due to invalid subscription key. Make sure to provide a valid key "
                + "for an active subscription.");
        assertThat(r.challenge()).startsWith("AzureApiManagementKey realm=");
        assertThat(r.seen()).isNull();
        // a key one character short of a real one is as wrong
        assertThat(get("/orders/1", "Ocp-Apim-Subscription-Key", ALICE_PRIMARY.substring(1)).status()).isEqualTo(401);
    }

    @Test
    void primaryAndSecondaryKeysBothWorkAndRunTheProductPolicyBetweenGlobalAndApi() throws Exception {
        Reply p = get("/orders/1", "Ocp-Apim-Subscription-Key", ALICE_PRIMARY);
        assertThat(p.status()).isEqualTo(200);
        assertThat(p.order()).containsExactly("global", "product", "api");
        assertThat(p.seen().header("X-Sub")).isEqualTo("alice|Alice's app|primary");
        assertThat(p.seen().header("X-Product")).isEqualTo("gold|Gold tier|NotPublished|True|orders,limited");
        assertThat(p.seen().header("X-User")).isEqualTo("alice@contoso.test|Alice");
        // as in APIM, the key header goes on to the backend (a policy removes it when it should not)
        assertThat(p.seen().header("Ocp-Apim-Subscription-Key")).isEqualTo(ALICE_PRIMARY);

        Reply s = get("/orders/1", "Ocp-Apim-Subscription-Key", ALICE_SECONDARY);
        assertThat(s.status()).isEqualTo(200);
        assertThat(s.order()).containsExactly("global", "product", "api");
        assertThat(s.seen().header("X-Sub")).isEqualTo("alice|Alice's app|secondary");
    }

    @Test
    void anApiScopedSubscriptionRunsNoProductPolicy() throws Exception {
        Reply r = get("/orders/1", "Ocp-Apim-Subscription-Key", BOB);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.order()).containsExactly("global", "api");
        assertThat(r.seen().header("X-Sub")).isEqualTo("bob|bob|primary");
        assertThat(r.seen().header("X-Product")).isEqualTo("none");
        assertThat(r.seen().header("X-User")).isEqualTo("none");
    }

    @Test
    void aSuspendedSubscriptionOrOneScopedElsewhereIsRefusedAndTheLogNamesItNotTheKey() throws Exception {
        Reply suspended = get("/orders/1", "Ocp-Apim-Subscription-Key", CAROL);
        assertThat(suspended.status()).isEqualTo(401);
        assertThat(suspended.body()).contains("invalid subscription key");
        String line = logs.await(l -> l.contains("SubscriptionKeyInvalid") && l.contains("'carol'"), Duration.ofSeconds(5));
        assertThat(line).contains("suspended");
        Reply elsewhere = get("/catalog/1", "Ocp-Apim-Subscription-Key", BOB);
        assertThat(elsewhere.status()).isEqualTo(401);
        logs.await(l -> l.contains("'bob'") && l.contains("does not cover api 'catalog'"), Duration.ofSeconds(5));
        String metrics = gw.gateway.metrics().scrape();
        assertThat(metrics).contains("gatehouse_subscription_refusals_total{api=\"orders\",reason=\"not_active\"}");
        assertThat(metrics).contains("gatehouse_subscription_refusals_total{api=\"catalog\",reason=\"out_of_scope\"}");
    }

    @Test
    void theKeyMayComeInTheQueryString() throws Exception {
        Reply r = get("/orders/1?subscription-key=" + BOB);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.seen().header("X-Sub")).isEqualTo("bob|bob|primary");
        assertThat(get("/orders/1?subscription-key=" + MALLORY).status()).isEqualTo(401);
        // the header is read first: a wrong header is not rescued by a right query parameter
        assertThat(get("/orders/1?subscription-key=" + BOB, "Ocp-Apim-Subscription-Key", MALLORY).status()).isEqualTo(401);
    }

    @Test
    void anApiTakesTheKeyUnderItsOwnNames() throws Exception {
        assertThat(get("/custom/x", "X-Api-Key", BOB).status()).isEqualTo(401); // bob's scope is orders only
        Reply h = get("/custom/x", "X-Api-Key", ERIN.substring(0, 3) + "x");
        assertThat(h.status()).isEqualTo(401);
        assertThat(h.challenge()).contains("name=\"X-Api-Key\"");
        Reply allApis = get("/custom/x", "X-Api-Key", ALICE_PRIMARY); // gold does not hold custom
        assertThat(allApis.status()).isEqualTo(401);
        // the default names mean nothing on this API: the key is missing
        Reply defaultName = get("/custom/x", "Ocp-Apim-Subscription-Key", DAVE);
        assertThat(defaultName.status()).isEqualTo(401);
        assertThat(defaultName.body()).contains("missing subscription key");
        assertThat(get("/custom/x?subscription-key=" + DAVE).body()).contains("missing subscription key");
    }

    @Test
    void anOpenProductServesRequestsWithoutAKeyInItsContext() throws Exception {
        Reply anonymous = get("/catalog/1");
        assertThat(anonymous.status()).isEqualTo(200);
        assertThat(anonymous.order()).containsExactly("global", "open-product", "api");
        assertThat(anonymous.seen().header("X-Product")).isEqualTo("open|Open catalog|Published|False|catalog");
        assertThat(anonymous.seen().header("X-Sub")).isEqualTo("none");
        Reply withKey = get("/catalog/1", "Ocp-Apim-Subscription-Key", DAVE); // an API-scoped key: the API's context
        assertThat(withKey.status()).isEqualTo(200);
        assertThat(withKey.order()).containsExactly("global", "api");
        assertThat(withKey.seen().header("X-Sub")).isEqualTo("dave|dave|primary");
    }

    @Test
    void anApiWithoutSubscriptionRequiredPassesWithoutAKeyButNotWithAWrongOne() throws Exception {
        assertThat(get("/free/x").status()).isEqualTo(200);
        Reply wrong = get("/free/x", "Ocp-Apim-Subscription-Key", MALLORY);
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.body()).contains("invalid subscription key");
        assertThat(get("/free/x", "Ocp-Apim-Subscription-Key", CAROL).status()).isEqualTo(401);
    }

    @Test
    void rateLimitWithoutByKeyCountsPerSubscription() throws Exception {
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ALICE_PRIMARY).status()).isEqualTo(200);
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ALICE_SECONDARY).status()).isEqualTo(200);
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ALICE_PRIMARY).status()).isEqualTo(429);
        // another subscription of the same product has its own counter
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ERIN).status()).isEqualTo(200);
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ERIN).status()).isEqualTo(200);
        assertThat(get("/limited/a", "Ocp-Apim-Subscription-Key", ERIN).status()).isEqualTo(429);
        // requests without a subscription share one counter
        assertThat(get("/freelimited/a").status()).isEqualTo(200);
        assertThat(get("/freelimited/b").status()).isEqualTo(429);
    }

    @Test
    void aClientCertificateAndAKeyMustBothPassCertificateFirst() {
        String path = "/mtls/x";
        String header = "Ocp-Apim-Subscription-Key: ";
        E2e.CurlResult neither = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, null);
        assertThat(neither.status()).as(neither.stderr()).isEqualTo(403);
        E2e.CurlResult keyOnly = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, null, "-H", header + FRANK);
        assertThat(keyOnly.status()).as("the certificate is checked first").isEqualTo(403);
        E2e.CurlResult certOnly = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, "client");
        assertThat(certOnly.status()).as(certOnly.stderr()).isEqualTo(401);
        assertThat(certOnly.body()).contains("missing subscription key");
        E2e.CurlResult certAndWrongKey = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, "client", "-H", header + DAVE);
        assertThat(certAndWrongKey.status()).isEqualTo(401);
        assertThat(certAndWrongKey.body()).contains("invalid subscription key");
        E2e.CurlResult both = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, "client", "-H", header + FRANK);
        assertThat(both.status()).as(both.stderr()).isEqualTo(200);
        E2e.CurlResult rogueAndKey = E2e.curl(world, TestWorld.API_HOST, tlsPort, path, "rogue", "-H", header + FRANK);
        assertThat(rogueAndKey.status()).isEqualTo(403);
    }

    @Test
    void theAccessLogAndTracesNeverShowAKeyUnderAnyName() throws Exception {
        Reply viaQuery = get("/custom/x?key=" + MALLORY + "&keep=1");
        assertThat(viaQuery.status()).isEqualTo(401);
        HttpResponse<String> traced = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain
                        + "/orders/1?subscription-key=" + ALICE_PRIMARY))
                .header("X-Api-Key", ALICE_SECONDARY).header("Apim-Debug-Authorization", TRACE_KEY).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(traced.statusCode()).isEqualTo(200);
        String traceId = traced.headers().firstValue("Apim-Trace-Id").orElseThrow();
        String trace = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/traces/" + traceId))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(trace).contains("/orders/1").contains("X-Sub");
        for (String k : ALL_KEYS) {
            assertThat(trace).as("the trace").doesNotContain(k);
        }
        Path file = tmp.resolve("access.log");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String log = "";
        while (System.nanoTime() < deadline && !(log = Files.exists(file) ? Files.readString(file) : "").contains("keep=1")) {
            Thread.sleep(50);
        }
        assertThat(log).contains("/custom/x?key=[redacted]&keep=1").contains("/orders/1?subscription-key=[redacted]");
        for (String k : ALL_KEYS) {
            assertThat(log).as("the access log").doesNotContain(k);
        }
    }

    @Test
    void noKeyEverReachesALogLine() throws Exception {
        // every kind of refusal and success once more, then look at everything logged so far
        get("/orders/1");
        get("/orders/1", "Ocp-Apim-Subscription-Key", MALLORY);
        get("/orders/1", "Ocp-Apim-Subscription-Key", CAROL);
        get("/orders/1?subscription-key=" + MALLORY);
        get("/orders/1", "Ocp-Apim-Subscription-Key", ALICE_PRIMARY);
        logs.await(l -> l.contains("SubscriptionKeyNotFound"), Duration.ofSeconds(5));
        for (String line : logs.lines()) {
            for (String k : ALL_KEYS) {
                assertThat(line).as("a log line").doesNotContain(k);
            }
        }
    }
}
