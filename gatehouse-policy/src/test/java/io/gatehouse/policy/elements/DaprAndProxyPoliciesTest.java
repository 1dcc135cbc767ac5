package io.gatehouse.policy.elements;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.OutboundProxy;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * publish-to-dapr, invoke-dapr-binding, set-backend-service backend-id="dapr" and proxy, run
 * against an in-process HTTP server standing where the Dapr sidecar's HTTP API would be (no
 * daprd is available here): it records what the sidecar would receive, and answers as the Dapr
 * API reference says (204 for a publish, 200 with the binding's output, 404 for an unknown pubsub).
 */
class DaprAndProxyPoliciesTest {
    record Seen(String method, String path, String contentType, String body) {
    }

    private static HttpServer sidecar;
    private static PolicyEngine engine;
    private static final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        sidecar = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        sidecar.createContext("/", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = x.getRequestURI().getRawPath();
            seen.add(new Seen(x.getRequestMethod(), path, x.getRequestHeaders().getFirst("Content-Type"), body));
            int status;
            byte[] out;
            if (path.startsWith("/v1.0/publish/missing/")) {
                status = 404;
                out = "{\"errorCode\":\"ERR_PUBSUB_NOT_FOUND\",\"message\":\"pubsub missing not found\"}".getBytes(StandardCharsets.UTF_8);
            } else if (path.startsWith("/v1.0/publish/")) {
                status = 204;
                out = new byte[0];
            } else if (path.startsWith("/v1.0/bindings/slow")) {
                try {
                    Thread.sleep(2_500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                status = 200;
                out = new byte[0];
            } else {
                status = 200;
                out = "{\"created\":true}".getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().add("Content-Type", "application/json");
            }
            x.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                x.getResponseBody().write(out);
            }
            x.close();
        });
        sidecar.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        sidecar.start();
        engine = new PolicyEngine(PolicyEnvironment.builder()
                .outboundHttp(io.gatehouse.policy.TestOutboundHttp.INSTANCE)
                .daprEndpoint(URI.create("http://127.0.0.1:" + sidecar.getAddress().getPort()))
                .namedValue("proxy-password", "pr0xy-S3cret")
                .build());
    }

    @AfterAll
    static void stop() {
        sidecar.stop(0);
    }

    private static EffectivePolicy inbound(String inner) {
        return Harness.compile(engine, "<policies><inbound>" + inner + "</inbound><backend><forward-request/></backend></policies>");
    }

    private static List<String> diagnostics(String inner) {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("p.xml", "<policies><inbound>" + inner + "</inbound></policies>"), Scope.API, d);
        return d.all().stream().map(Object::toString).toList();
    }

    @Test
    void publishPostsTheContentToThePubsubTopic() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <publish-to-dapr pubsub-name="orders" topic="@((string)context.Variables["topic"])" response-variable-name="dapr" content-type="application/json">@(context.Request.Body.As<string>())</publish-to-dapr>""");
        PolicyContext c = request("POST", "https://api.local/orders");
        c.variables().set("topic", "new order");
        c.request().body(MessageBody.ofString("{\"id\":42}", "application/json"));
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(c.lastError()).isNull();
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(
                new Seen("POST", "/v1.0/publish/orders/new%20order", "application/json", "{\"id\":42}"));
        assertThat(((Response) c.variables().get("dapr")).statusCode()).isEqualTo(204);
        assertThat(f.calls.get()).isEqualTo(1);
    }

    @Test
    void publishWithoutPubsubNameTakesItFromTheTopicAndRendersLiquid() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <publish-to-dapr topic="orders/created" template="liquid">{"order": {{body.id}}, "by": "{{context.Request.Method}}"}</publish-to-dapr>""");
        PolicyContext c = request("PUT", "https://api.local/orders");
        c.request().body(MessageBody.ofString("{\"id\":7}", "application/json"));
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.lastError()).isNull();
        Seen s = seen.poll(5, TimeUnit.SECONDS);
        assertThat(s.path()).isEqualTo("/v1.0/publish/orders/created");
        assertThat(s.contentType()).isNull();
        assertThat(s.body()).isEqualTo("{\"order\": 7, \"by\": \"PUT\"}");
    }

    @Test
    void aDaprErrorGoesToOnErrorUnlessIgnored() throws Exception {
        seen.clear();
        EffectivePolicy strict = inbound("""
                <publish-to-dapr pubsub-name="missing" topic="t" response-variable-name="r">hello</publish-to-dapr>""");
        PolicyContext c = request("POST", "https://api.local/x");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(strict, c, f);
        assertThat(c.lastError().source()).isEqualTo("publish-to-dapr");
        assertThat(c.lastError().reason()).isEqualTo("DaprError");
        assertThat(c.response().statusCode()).isEqualTo(404);
        assertThat(Harness.body(c)).contains("ERR_PUBSUB_NOT_FOUND");
        assertThat(((Response) c.variables().get("r")).statusCode()).isEqualTo(404);
        assertThat(f.calls.get()).isZero();

        EffectivePolicy lenient = inbound("""
                <publish-to-dapr pubsub-name="missing" topic="t" ignore-error="true">hello</publish-to-dapr>""");
        PolicyContext d = request("POST", "https://api.local/x");
        Harness.RecordingForwarder g = new Harness.RecordingForwarder();
        Harness.run(lenient, d, g);
        assertThat(d.lastError()).isNull();
        assertThat(g.calls.get()).isEqualTo(1);
    }

    /** As APIM's page shows it: on-error returns the sidecar's answer, kept in the response variable, as it came. */
    @Test
    void onErrorCanReturnTheSidecarsAnswerAsItCame() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies>
                  <inbound>
                    <publish-to-dapr pubsub-name="missing" topic="t" response-variable-name="answer">
                      @(context.Request.Body.As<string>())
                    </publish-to-dapr>
                  </inbound>
                  <backend />
                  <on-error><return-response response-variable-name="answer" /></on-error>
                </policies>""");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().body(MessageBody.ofString("{\"x\":1}", "application/json"));
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(c.response().statusCode()).isEqualTo(404);
        assertThat(Harness.body(c)).isEqualTo("{\"errorCode\":\"ERR_PUBSUB_NOT_FOUND\",\"message\":\"pubsub missing not found\"}");
        assertThat(c.lastError().reason()).isEqualTo("DaprError");
        assertThat(f.calls.get()).isZero();
    }

    @Test
    void bindingPostsDataMetadataAndOperationAsJson() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <invoke-dapr-binding name="external-systems" operation="create" response-variable-name="bind">
                  <metadata>
                    <item key="source">gatehouse</item>
                    <item key="client-ip">@(context.Request.IpAddress)</item>
                  </metadata>
                  <data>@(context.Request.Body.As<string>())</data>
                </invoke-dapr-binding>""");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().ipAddress("203.0.113.9");
        c.request().body(MessageBody.ofString("{\"a\":[1,2]}", "application/json"));
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.lastError()).isNull();
        Seen s = seen.poll(5, TimeUnit.SECONDS);
        assertThat(s.path()).isEqualTo("/v1.0/bindings/external-systems");
        assertThat(s.contentType()).isEqualTo("application/json");
        assertThat(io.gatehouse.expr.lib.Json.parse(s.body()).toString())
                .isEqualTo(io.gatehouse.expr.lib.Json.parse(
                        "{\"data\":{\"a\":[1,2]},\"metadata\":{\"source\":\"gatehouse\",\"client-ip\":\"203.0.113.9\"},\"operation\":\"create\"}").toString());
        assertThat(((Response) c.variables().get("bind")).body().readString(true)).isEqualTo("{\"created\":true}");

        seen.clear();
        EffectivePolicy text = inbound("""
                <invoke-dapr-binding name="queue"><data>plain "text"</data></invoke-dapr-binding>""");
        PolicyContext d = request("POST", "https://api.local/x");
        Harness.run(text, d, new Harness.RecordingForwarder());
        assertThat(seen.poll(5, TimeUnit.SECONDS).body()).isEqualTo("{\"data\":\"plain \\\"text\\\"\"}");
    }

    @Test
    void aSidecarThatDoesNotAnswerInTimeIsATimeout() {
        EffectivePolicy p = inbound("""
                <invoke-dapr-binding name="slow" timeout="1"><data>x</data></invoke-dapr-binding>""");
        PolicyContext c = request("POST", "https://api.local/x");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("invoke-dapr-binding");
        assertThat(c.lastError().reason()).isEqualTo("Timeout");
    }

    @Test
    void daprBackendSetsTheSidecarsInvokeUrl() {
        EffectivePolicy p = inbound("""
                <set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="@("back/" + context.Request.Method.ToLower())" dapr-namespace="echo-app" />""");
        PolicyContext c = request("GET", "https://api.local/x");
        Exchange x = Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(x.baseUrl()).isEqualTo("http://127.0.0.1:" + sidecar.getAddress().getPort());
        assertThat(x.backendPath()).isEqualTo("/v1.0/invoke/echo.echo-app/method/back/get");

        Exchange y = Harness.run(inbound("""
                <set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back" />
                <set-backend-service base-url="https://elsewhere.example" />"""), request("GET", "https://api.local/x"),
                new Harness.RecordingForwarder());
        assertThat(y.backendPath()).isNull(); // a later set-backend-service replaces the Dapr target whole
        assertThat(y.baseUrl()).isEqualTo("https://elsewhere.example");
    }

    @Test
    void proxySetsTheProxyWithItsCredentials() {
        Exchange x = Harness.run(inbound("""
                <proxy url="http://10.1.2.3:3128" username="gw" password="{{proxy-password}}" />"""),
                request("GET", "https://api.local/x"), new Harness.RecordingForwarder());
        OutboundProxy p = x.proxy();
        assertThat(p.url()).isEqualTo("http://10.1.2.3:3128");
        assertThat(p.username()).isEqualTo("gw");
        assertThat(p.basicAuthorization()).isEqualTo("Basic " + java.util.Base64.getEncoder()
                .encodeToString("gw:pr0xy-S3cret".getBytes(StandardCharsets.UTF_8)));
        assertThat(p.toString()).doesNotContain("pr0xy-S3cret");

        PolicyContext c = request("GET", "https://api.local/x");
        c.variables().set("p", "http://proxy.internal");
        Exchange y = Harness.run(inbound("<proxy url=\"@((string)context.Variables[&quot;p&quot;])\" />"), c,
                new Harness.RecordingForwarder());
        assertThat(y.proxy().url()).isEqualTo("http://proxy.internal:80");
        assertThat(y.proxy().basicAuthorization()).isNull();
    }

    @Test
    void mistakesAreReportedAtLoadWithTheirPosition() {
        assertThat(diagnostics("<proxy url=\"https://10.0.0.1:3128\" />"))
                .anySatisfy(d -> assertThat(d).contains("p.xml:1:").contains("only HTTP is spoken to a proxy"));
        assertThat(diagnostics("<proxy url=\"http://h:1\" password=\"x\" />"))
                .anySatisfy(d -> assertThat(d).contains("needs 'username'"));
        assertThat(diagnostics("<proxy />")).anySatisfy(d -> assertThat(d).contains("url"));
        assertThat(diagnostics("<publish-to-dapr topic=\"no-pubsub\">x</publish-to-dapr>"))
                .anySatisfy(d -> assertThat(d).contains("pubsub-name/topic-name"));
        assertThat(diagnostics("<publish-to-dapr topic=\"a/b\" timeout=\"500\">x</publish-to-dapr>"))
                .anySatisfy(d -> assertThat(d).contains("timeout").contains("1-240"));
        assertThat(diagnostics("<invoke-dapr-binding name=\"b\" operation=\"@(1)\"><data>x</data></invoke-dapr-binding>"))
                .anySatisfy(d -> assertThat(d).contains("operation").contains("does not accept a policy expression"));
        assertThat(diagnostics("<invoke-dapr-binding name=\"b\"><metadata><item>v</item></metadata></invoke-dapr-binding>"))
                .anySatisfy(d -> assertThat(d).contains("key"));
        assertThat(diagnostics("<set-backend-service backend-id=\"other\" dapr-app-id=\"a\" dapr-method=\"m\" />"))
                .anySatisfy(d -> assertThat(d).contains("backend-id=\"dapr\""));
        assertThat(diagnostics("<set-backend-service backend-id=\"dapr\" dapr-method=\"m\" />"))
                .anySatisfy(d -> assertThat(d).contains("dapr-app-id"));
        assertThat(diagnostics("""
                <publish-to-dapr topic="a/b">x</publish-to-dapr>
                <invoke-dapr-binding name="b"><metadata><item key="k">v</item></metadata><data>x</data></invoke-dapr-binding>
                <set-backend-service backend-id="dapr" dapr-app-id="a" dapr-method="m" />
                <proxy url="http://h:3128" username="u" password="p" />""")).isEmpty();
    }
}
