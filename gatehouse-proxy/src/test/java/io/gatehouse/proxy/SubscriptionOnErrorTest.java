package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * APIM runs on-error for its built-in subscription key check ("predefined errors for built-in
 * steps": authorization / SubscriptionKeyNotFound, SubscriptionKeyInvalid), and operators use it
 * to word the 401 their own way: the route's on-error (global and API scopes) sees LastError and
 * APIM's 401 with its challenge, and may change or replace it. Routes without on-error keep the
 * gateway's own answer.
 */
class SubscriptionOnErrorTest {
    static final String KEY = "lab-results-key-0123456789abcdef0123";
    static final String SUSPENDED = "retired-lab-key-00112233445566778899";

    @TempDir
    static Path tmp;
    static RecordingBackend backend;
    static GatewayHarness gw;
    static int port;
    static LogCapture logs;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        backend = new RecordingBackend();
        port = Ports.free();
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: rec
                    url: %s
                policies:
                  globalXml: |
                    <policies>
                      <inbound />
                      <backend><forward-request /></backend>
                      <outbound />
                      <on-error>
                        <set-header name="X-Error" exists-action="override">
                          <value>@(context.LastError.Source + "/" + context.LastError.Reason + "/" + context.LastError.Section)</value>
                        </set-header>
                        <set-header name="X-Message" exists-action="override">
                          <value>@(context.LastError.Message)</value>
                        </set-header>
                      </on-error>
                    </policies>
                subscriptions:
                  - id: lab
                    scope: /apis
                    primaryKey: %s
                  - id: retired-lab
                    scope: /apis
                    primaryKey: %s
                    state: suspended
                apis:
                  - id: orders
                    path: orders
                    backendId: rec
                    subscriptionRequired: true
                    policyXml: |
                      <policies>
                        <inbound><base /></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                        <on-error>
                          <base />
                          <set-header name="X-Order" exists-action="override">
                            <value>@((string)context.Request.Body.As<JObject>(preserveContent: true)["id"])</value>
                          </set-header>
                        </on-error>
                      </policies>
                  - id: results
                    path: results
                    backendId: rec
                    subscriptionRequired: true
                    subscriptionKeyParameterNames: {header: X-Lab-Key, query: lab-key}
                    policyXml: |
                      <policies>
                        <inbound><base /></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                        <on-error>
                          <base />
                          <choose>
                            <when condition="@(context.LastError.Reason == &quot;SubscriptionKeyNotFound&quot;)">
                              <return-response>
                                <set-status code="401" reason="Unauthorized" />
                                <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                                <set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>
                                <set-header name="X-Key-Header" exists-action="override"><value>@(context.Api.SubscriptionKeyParameterNames.Header)</value></set-header>
                                <set-body>@("{\\"error\\": \\"send your lab key\\", \\"api\\": \\"" + context.Api.Id + "\\"}")</set-body>
                              </return-response>
                            </when>
                          </choose>
                        </on-error>
                      </policies>
                """.formatted(port, backend.url(), KEY, SUSPENDED));
    }

    @AfterAll
    static void stop() throws Exception {
        gw.close();
        backend.close();
        logs.close();
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header(path.startsWith("/results/") ? "X-Lab-Key" : "Ocp-Apim-Subscription-Key", key); // the API's own name
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aMissingKeyIsAnsweredByTheApisOnError() throws Exception {
        HttpResponse<String> r = get("/results/7", null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"error\": \"send your lab key\", \"api\": \"results\"}");
        assertThat(r.headers().firstValue("X-Reason")).hasValue("authorization/SubscriptionKeyNotFound");
        assertThat(r.headers().firstValue("X-Key-Header")).as("context.Api.SubscriptionKeyParameterNames").hasValue("X-Lab-Key");
        assertThat(r.headers().firstValue("X-Error")).as("return-response starts a new response").isEmpty();
        assertThat(backend.requestsTo("/7")).isEmpty();
    }

    @Test
    void aWrongKeyKeepsApimsAnswerWithWhatOnErrorAdded() throws Exception {
        HttpResponse<String> r = get("/results/8", "not-the-key-0000000000000000000000000");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"statusCode\": 401, \"message\": \"Access denied due to invalid subscription key. "
                + "Make sure to provide a valid key for an active subscription.\"}");
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> v.startsWith("AzureApiManagementKey "));
        assertThat(r.headers().firstValue("X-Error")).hasValue("authorization/SubscriptionKeyInvalid/inbound");
        assertThat(backend.requestsTo("/8")).isEmpty();
        assertThat(String.join("\n", logs.lines())).doesNotContain("not-the-key-0000000000000000000000000");
    }

    /**
     * LastError.Message is APIM's public text, which on-error may put in a body: why the key was
     * refused (a suspended subscription, named) stays in the log.
     */
    @Test
    void onErrorIsNotToldWhyAKeyWasRefused() throws Exception {
        HttpResponse<String> r = get("/results/12", SUSPENDED);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("X-Message")).hasValue("Access denied due to invalid subscription key. "
                + "Make sure to provide a valid key for an active subscription.");
        assertThat(logs.await(l -> l.contains("retired-lab"), Duration.ofSeconds(5))).contains("401");
        assertThat(String.join("\n", logs.lines())).doesNotContain(SUSPENDED);
    }

    /** On a route whose policies read the body, on-error reads it too (it is read whole first, as for the policies). */
    @Test
    void onErrorOfARouteThatReadsTheBodySeesIt() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders/new"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"o-17\"}")).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
        assertThat(r.headers().firstValue("X-Order")).hasValue("o-17");
        assertThat(r.headers().firstValue("X-Error")).hasValue("authorization/SubscriptionKeyNotFound/inbound");
        assertThat(backend.requestsTo("/new")).isEmpty();
    }

    @Test
    void aGoodKeyGoesThroughWithoutOnError() throws Exception {
        HttpResponse<String> r = get("/results/9", KEY);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("X-Error")).isEmpty();
        assertThat(backend.requestsTo("/9")).hasSize(1);
    }

    @Test
    void aMissingKeyWithABodyIsAnsweredAndTheConnectionGoesOn() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/results/10"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("send your lab key");
        assertThat(get("/results/11", KEY).statusCode()).isEqualTo(200);
        assertThat(backend.requestsTo("/10")).isEmpty();
    }
}
