package io.gatehouse.policy.elements;

import com.sun.net.httpserver.HttpServer;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** send-request and send-one-way-request against an in-process HTTP server. */
class SendRequestTest {
    record Seen(String method, String path, String auth, String custom, String body) {
    }

    private static HttpServer server;
    private static String base;
    private static final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        server.createContext("/echo", x -> {
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(x.getRequestMethod(), x.getRequestURI().getPath(), x.getRequestHeaders().getFirst("Authorization"),
                    x.getRequestHeaders().getFirst("X-Custom"), body));
            byte[] out = "{\"active\":true}".getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.getResponseHeaders().add("X-Introspected", "yes");
            x.sendResponseHeaders(201, out.length);
            x.getResponseBody().write(out);
            x.close();
        });
        server.createContext("/delay", x -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            byte[] out = x.getRequestURI().getQuery().getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, out.length);
            x.getResponseBody().write(out);
            x.close();
        });
        server.createContext("/slow", x -> {
            try {
                Thread.sleep(2_500);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            x.sendResponseHeaders(204, -1);
            x.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void newRequestIsBuiltFromItsChildrenAndTheResponseLandsInTheVariable() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <send-request mode="new" response-variable-name="introspection" timeout="5">
                  <set-url>%s/echo/new</set-url>
                  <set-method>POST</set-method>
                  <set-header name="X-Custom" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("X-Client", ""))</value></set-header>
                  <set-body>@("token=" + context.Request.Headers.GetValueOrDefault("X-Client", ""))</set-body>
                </send-request>
                <set-header name="X-Introspection-Status" exists-action="override">
                  <value>@(((IResponse)context.Variables["introspection"]).StatusCode.ToString())</value>
                </set-header>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("X-Client", "lab-7");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(c.lastError()).isNull();
        assertThat(pollFor("/echo/new")).isEqualTo(new Seen("POST", "/echo/new", null, "lab-7", "token=lab-7"));
        Response r = (Response) c.variables().get("introspection");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().values("X-Introspected")).containsExactly("yes");
        assertThat(r.body().readString(true)).isEqualTo("{\"active\":true}");
        assertThat(c.request().headers().values("X-Introspection-Status")).containsExactly("201");
        assertThat(f.calls.get()).isEqualTo(1);
    }

    /**
     * The gateway's own client for one request ({@code Exchange.outboundHttp}, set when it traces
     * requests) carries that request's calls, and may add headers (a traceparent) before sending;
     * without it the environment's client is used.
     */
    @Test
    void aRequestsOwnClientCarriesItsCallsInsteadOfTheEnvironments() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <send-request mode="new" response-variable-name="r" timeout="5">
                  <set-url>%s/echo/own</set-url>
                </send-request>
                <send-one-way-request mode="new"><set-url>%s/echo/own</set-url></send-one-way-request>""".formatted(base, base));
        java.util.List<String> through = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.gatehouse.policy.spi.OutboundHttp own = request -> {
            through.add(request.caller() + " " + request.method() + " " + request.uri().getPath());
            request.headers().set("X-Custom", "from-own-client");
            return io.gatehouse.policy.TestOutboundHttp.INSTANCE.send(request);
        };
        PolicyContext c = request("GET", "https://api.local/x");
        io.gatehouse.policy.Exchange x = new io.gatehouse.policy.Exchange(c).outboundHttp(own);
        p.execute(x, new Harness.RecordingForwarder()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(c.lastError()).isNull();
        assertThat(((Response) c.variables().get("r")).statusCode()).isEqualTo(201);
        assertThat(pollFor("/echo/own").custom()).isEqualTo("from-own-client");
        assertThat(pollFor("/echo/own").custom()).isEqualTo("from-own-client");
        assertThat(through).containsExactlyInAnyOrder("send-request GET /echo/own", "send-one-way-request GET /echo/own");

        seen.clear();
        PolicyContext d = request("GET", "https://api.local/x");
        run(p, d); // no client of its own: the environment's, which adds nothing
        assertThat(pollFor("/echo/own").custom()).isNull();
        assertThat(pollFor("/echo/own").custom()).isNull();
    }

    /**
     * The next call the backend saw on {@code path}, skipping others; null after 5 s. Every test
     * calls a path of its own: a one-way request is not waited for, so it can arrive after its
     * test has ended, and must not be taken for a later test's call.
     */
    private static Seen pollFor(String path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            Seen s = seen.poll(left, TimeUnit.NANOSECONDS);
            if (s != null && s.path().equals(path)) {
                return s;
            }
        }
        return null;
    }

    @Test
    void copyModeStartsFromTheCurrentRequest() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <send-request mode="copy" response-variable-name="copy">
                  <set-url>%s/echo/copy</set-url>
                  <set-header name="Authorization" exists-action="delete" />
                </send-request>""".formatted(base));
        PolicyContext c = request("PUT", "https://api.local/x");
        c.request().headers().set("Authorization", "Bearer secret");
        c.request().headers().set("X-Custom", "kept");
        c.request().body(MessageBody.ofString("original body", "text/plain"));
        run(p, c);
        assertThat(pollFor("/echo/copy")).isEqualTo(new Seen("PUT", "/echo/copy", null, "kept", "original body"));
    }

    @Test
    void aTimeoutFailsTheRequestUnlessErrorsAreIgnored() {
        EffectivePolicy strict = inbound("""
                <send-request mode="new" response-variable-name="r" timeout="1"><set-url>%s/slow</set-url></send-request>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        run(strict, c);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("send-request");
        assertThat(c.lastError().reason()).isEqualTo("Timeout");

        EffectivePolicy lenient = inbound("""
                <send-request mode="new" response-variable-name="r" timeout="1" ignore-error="true"><set-url>%s/slow</set-url></send-request>"""
                .formatted(base));
        PolicyContext d = request("GET", "https://api.local/x");
        d.variables().set("r", "before");
        run(lenient, d);
        assertThat(d.lastError()).isNull();
        assertThat(d.response().statusCode()).isEqualTo(200);
        assertThat(d.variables().get("r")).isNull();
    }

    @Test
    void aRefusedConnectionIsBackendConnectionFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        PolicyContext c = request("GET", "https://api.local/x");
        run(inbound("<send-request response-variable-name=\"r\"><set-url>http://127.0.0.1:" + port + "/x</set-url></send-request>"), c);
        assertThat(c.lastError().reason()).isEqualTo("BackendConnectionFailure");
    }

    @Test
    void oneWayRequestIsSentWithoutWaiting() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <send-one-way-request mode="new"><set-url>%s/echo/one-way</set-url><set-method>DELETE</set-method></send-one-way-request>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        run(p, c);
        assertThat(c.lastError()).isNull();
        Seen s = pollFor("/echo/one-way");
        assertThat(s).isNotNull();
        assertThat(s.method()).isEqualTo("DELETE");
    }

    @Test
    void reportsMissingUrlVariableAndUnknownChildren() {
        assertThat(inboundDiagnostics("""
                <send-request mode="new"><set-method>GET</set-method></send-request>
                <send-request mode="fresh" response-variable-name="r"><set-uri>http://x</set-uri><set-url>http://x</set-url></send-request>
                <send-one-way-request response-variable-name="r"><set-url>http://x</set-url></send-one-way-request>"""))
                .containsExactly(
                        "p.xml:1:20: error: <send-request> is missing the required attribute 'response-variable-name'",
                        "p.xml:1:20: error: <send-request mode=\"new\"> needs a <set-url>",
                        "p.xml:2:15: error: attribute 'mode' on <send-request>: 'fresh' (expected one of: new, copy)",
                        "p.xml:2:55: error: unexpected <set-uri> inside <send-request> (did you mean 'set-url'?); "
                                + "expected: <authentication-certificate>, <authentication-managed-identity>, <set-body>, <set-header>, <set-method>, <set-url>",
                        "p.xml:3:23: error: unknown attribute 'response-variable-name' on <send-one-way-request>; expected one of: mode, timeout");
    }

    /** One set-header: inside send-request it is checked as everywhere else (it used to accept a deleting one with values). */
    @Test
    void setHeaderInsideSendRequestIsCheckedAsEverywhereElse() {
        assertThat(inboundDiagnostics("""
                <send-request mode="new" response-variable-name="r"><set-url>http://x</set-url><set-header name="a" exists-action="delete"><value>v</value></set-header></send-request>
                <send-request mode="new" response-variable-name="r"><set-url>http://x</set-url><set-header name="b" /></send-request>"""))
                .containsExactly(
                        "p.xml:1:143: error: <set-header exists-action=\"delete\"> takes no <value>",
                        "p.xml:2:80: error: <set-header> needs at least one <value> (or exists-action=\"delete\")");
    }

    @Test
    void waitRunsItsRequestsAtTheSameTimeAndStoresEveryResponse() {
        EffectivePolicy p = inbound("""
                <wait for="all">
                  <send-request mode="new" response-variable-name="a"><set-url>%1$s/delay?a</set-url></send-request>
                  <send-request mode="new" response-variable-name="b"><set-url>%1$s/delay?b</set-url></send-request>
                  <send-request mode="new" response-variable-name="c"><set-url>%1$s/delay?c</set-url></send-request>
                  <cache-lookup-value key="wait-test-none" variable-name="d" default-value="fallback" />
                </wait>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        long start = System.nanoTime();
        run(p, c);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(c.lastError()).isNull();
        assertThat(((Response) c.variables().get("a")).body().readString(true)).isEqualTo("a");
        assertThat(((Response) c.variables().get("b")).body().readString(true)).isEqualTo("b");
        assertThat(((Response) c.variables().get("c")).body().readString(true)).isEqualTo("c");
        assertThat(c.variables().get("d")).isEqualTo("fallback");
        assertThat(ms).as("three 700 ms calls in parallel").isLessThan(1_800);
    }

    @Test
    void waitForAnyGoesOnAfterTheFirstResponse() {
        EffectivePolicy p = inbound("""
                <wait for="any">
                  <send-request mode="new" response-variable-name="fast"><set-url>%1$s/echo/any</set-url></send-request>
                  <send-request mode="new" response-variable-name="slow"><set-url>%1$s/slow</set-url></send-request>
                </wait>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        long start = System.nanoTime();
        run(p, c);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(((Response) c.variables().get("fast")).statusCode()).isEqualTo(201);
        assertThat(c.variables().containsKey("slow")).isFalse();
        assertThat(ms).isLessThan(2_000);
    }

    @Test
    void waitReportsChildrenItCannotRun() {
        assertThat(inboundDiagnostics("""
                <wait for="any"><cache-lookup-value key="k" variable-name="v" /></wait>
                <wait><set-header name="a" exists-action="delete" /></wait>"""))
                .containsExactly(
                        "p.xml:1:36: error: <cache-lookup-value> is not allowed inside <wait for=\"any\">; expected: <send-request>",
                        "p.xml:2:7: error: <set-header> is not allowed inside <wait>; expected: <send-request>, <cache-lookup-value> or <choose>");
    }

    @Test
    void authenticationCertificateInsideSendRequestMustNameAConfiguredKeyPair() {
        assertThat(inboundDiagnostics("""
                <send-request response-variable-name="r"><set-url>https://lab.internal/x</set-url>
                <authentication-certificate certificate-id="lab-client" /></send-request>"""))
                .hasSize(1)
                .allMatch(m -> m.startsWith("p.xml:2:") && m.contains("lab-client"));
    }

    /** Compiling needs no outbound client (policy check); calling without one is a 500 that says so, even with ignore-error. */
    @Test
    void withoutAnOutboundClientTheDocumentCompilesAndTheCallFailsWithA500() {
        io.gatehouse.policy.PolicyEngine none = new io.gatehouse.policy.PolicyEngine(io.gatehouse.policy.PolicyEnvironment.empty());
        EffectivePolicy p = Harness.compile(none, """
                <policies><inbound><send-request mode="new" response-variable-name="r" ignore-error="true"><set-url>%s/echo</set-url></send-request>
                </inbound><backend><forward-request/></backend></policies>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("send-request");
        assertThat(c.lastError().reason()).isEqualTo("OutboundUnavailable");
        assertThat(c.lastError().message()).contains("no outbound HTTP client");
    }

    /** Item 6: the children are compiled by set-body's and set-method's own classes, with their features and checks. */
    @Test
    void setBodyInsideSendRequestSupportsLiquidTemplatesAndExpressionObjects() throws Exception {
        seen.clear();
        EffectivePolicy p = inbound("""
                <set-variable name="patient" value="p-17" />
                <send-request mode="new" response-variable-name="r" timeout="5">
                  <set-url>%1$s/echo/liquid</set-url>
                  <set-method>@("PO" + "ST")</set-method>
                  <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                  <set-body template="liquid">{"patient":"{{context.Variables["patient"]}}","via":"{{context.Request.Headers["X-Client"]}}"}</set-body>
                </send-request>
                <send-request mode="new" response-variable-name="r2" timeout="5">
                  <set-url>%1$s/echo/liquid</set-url>
                  <set-method>PUT</set-method>
                  <set-body>@(new JObject(new JProperty("n", 2)).ToString(Newtonsoft.Json.Formatting.None))</set-body>
                </send-request>""".formatted(base));
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("X-Client", "ward-3");
        run(p, c);
        assertThat(c.lastError()).isNull();
        assertThat(pollFor("/echo/liquid")).isEqualTo(new Seen("POST", "/echo/liquid", null, null,
                "{\"patient\":\"p-17\",\"via\":\"ward-3\"}"));
        assertThat(pollFor("/echo/liquid")).isEqualTo(new Seen("PUT", "/echo/liquid", null, null, "{\"n\":2}"));
    }

    @Test
    void setMethodInsideSendRequestIsCheckedAsEverywhereElse() {
        assertThat(inboundDiagnostics("""
                <send-request mode="new" response-variable-name="r"><set-url>http://x</set-url><set-method>NOT A METHOD</set-method></send-request>"""))
                .hasSize(1)
                .allMatch(m -> m.contains("is not an HTTP method"));
    }

    /** APIM: in the outbound section, mode="copy" does not initialize the request body; elsewhere it copies it. */
    @Test
    void copyModeInTheOutboundSectionLeavesTheBodyOut() throws Exception {
        seen.clear();
        EffectivePolicy p = Policies.compile("""
                <policies><inbound /><backend><forward-request/></backend><outbound>
                  <send-request mode="copy" response-variable-name="copy"><set-url>%s/echo/outbound-copy</set-url></send-request>
                </outbound></policies>""".formatted(base));
        PolicyContext c = request("PUT", "https://api.local/x");
        c.request().headers().set("X-Custom", "kept");
        c.request().body(MessageBody.ofString("original body", "text/plain"));
        run(p, c);
        assertThat(pollFor("/echo/outbound-copy")).isEqualTo(new Seen("PUT", "/echo/outbound-copy", null, "kept", ""));
    }
}
