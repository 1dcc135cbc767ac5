package io.gatehouse.policy.docs;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Product;
import io.gatehouse.expr.context.Subscription;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.TraceEntry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.policy.docs.DocsExamples.compile;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Do what the documentation says": the examples from APIM's reference pages that load, run on a
 * request through the real engine, with the effect each page describes asserted. The example text
 * is the stored file ({@code apim-docs/<policy>/<n>.xml}), never a copy in this class.
 */
class ApimDocsBehaviourTest {

    private static PolicyContext request(String method, String url) {
        PolicyContext c = new PolicyContext();
        c.request().method(method).url(Url.parse(url)).ipAddress("192.0.2.10");
        return c;
    }

    private static Harness.RecordingForwarder backend() {
        return new Harness.RecordingForwarder();
    }

    private static Exchange run(EffectivePolicy p, PolicyContext c, Forwarder f) {
        return Harness.run(p, c, f);
    }

    private static Exchange run(EffectivePolicy p, PolicyContext c) {
        return Harness.run(p, c, backend());
    }

    /** A backend answering {@code status} with {@code body} of {@code contentType}, counting its calls. */
    private static final class Answering implements Forwarder {
        final AtomicInteger calls = new AtomicInteger();
        final int status;
        final String body;
        final String contentType;

        Answering(int status, String body, String contentType) {
            this.status = status;
            this.body = body;
            this.contentType = contentType;
        }

        @Override
        public CompletableFuture<Void> forward(Exchange exchange, io.gatehouse.policy.ForwardSettings settings) {
            calls.incrementAndGet();
            exchange.context().response().statusCode(status).statusReason(status == 200 ? "OK" : "Error")
                    .body(MessageBody.ofString(body, contentType)).headers().set("Content-Type", contentType);
            return CompletableFuture.completedFuture(null);
        }
    }

    private static String header(PolicyContext c, String name) {
        return c.request().headers().getValueOrDefault(name, null);
    }

    private static String responseHeader(PolicyContext c, String name) {
        return c.response().headers().getValueOrDefault(name, null);
    }

    private static String requestBody(PolicyContext c) {
        return c.request().body() == null ? null : new String(c.request().body().bytes(), StandardCharsets.UTF_8);
    }

    // set-header

    @Test
    void setHeaderAddHeaderOverrideExistingReplacesTheValue() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.request().headers().set("some header name", "5");
        run(compile("set-header", 1), c);
        assertThat(c.request().headers().values("some header name")).containsExactly("20");

        PolicyContext fresh = request("GET", "https://api.example.com/items");
        run(compile("set-header", 1), fresh);
        assertThat(header(fresh, "some header name")).isEqualTo("20");
    }

    @Test
    void setHeaderRemoveHeaderDeletesIt() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.request().headers().set("some header name", "5").set("other", "kept");
        Harness.RecordingForwarder f = backend();
        run(compile("set-header", 2), c, f);
        assertThat(header(c, "some header name")).isNull();
        assertThat(header(c, "other")).isEqualTo("kept");
        assertThat(f.calls.get()).isEqualTo(1);
    }

    @Test
    void setHeaderForwardsUserIdAndRegionAsTwoValuesOfOneHeader() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.user(new io.gatehouse.expr.context.User("user-42", "a@example.com", "A", "B"));
        c.deployment(new io.gatehouse.expr.context.Deployment("West Europe", "gh", "gh-1", java.util.Map.of()));
        run(compile("set-header", 3), c);
        assertThat(c.request().headers().values("x-request-context-data")).containsExactly("user-42", "West Europe");
    }

    // set-query-parameter

    @Test
    void setQueryParameterWithSkipAddsTheKeyOnlyWhenAbsent() {
        PolicyContext absent = request("GET", "https://api.example.com/items?x=1");
        run(compile("set-query-parameter", 1), absent);
        assertThat(absent.request().url().query()).containsEntry("api-key", List.of("12345678901")).containsEntry("x", List.of("1"));

        PolicyContext present = request("GET", "https://api.example.com/items?api-key=mine");
        run(compile("set-query-parameter", 1), present);
        assertThat(present.request().url().query()).containsEntry("api-key", List.of("mine"));
    }

    @Test
    void setQueryParameterForwardsTheProductName() {
        PolicyContext c = request("GET", "https://api.example.com/items?x-product-name=spoofed");
        c.product(new Product("starter", "Starter"));
        run(compile("set-query-parameter", 2), c);
        assertThat(c.request().url().query()).containsEntry("x-product-name", List.of("Starter"));
    }

    // rewrite-uri

    @Test
    void rewriteUriTurnsTheCleanPublicUrlIntoTheServiceUrl() {
        PolicyContext c = request("GET", "http://api.example.com/123/456");
        c.request().matchedParameters().put("storenumber", "123");
        c.request().matchedParameters().put("ordernumber", "456");
        run(compile("rewrite-uri", 1), c);
        assertThat(c.request().url().path()).isEqualTo("/v2/US/hardware/123&456");
        assertThat(c.request().url().query()).containsEntry("City", List.of("city")).containsEntry("State", List.of("state"));
    }

    private static PolicyContext getWithOperationTemplate() {
        // "Assuming incoming request is /get?a=b&c=d and operation template is set to /get?a={b}"
        PolicyContext c = request("GET", "https://api.example.com/get?a=b&c=d");
        c.operation(new io.gatehouse.expr.context.OperationInfo("get", "get", "GET", "/get?a={b}"));
        c.request().matchedParameters().put("b", "b");
        return c;
    }

    @Test
    void rewriteUriKeepsUnmatchedQueryParametersByDefault() {
        PolicyContext c = getWithOperationTemplate();
        run(compile("rewrite-uri", 2), c);
        assertThat(c.request().url().path()).isEqualTo("/put");
        assertThat(c.request().url().query()).containsEntry("c", List.of("d"));
    }

    /**
     * The page says "Resulting URL will be /put?c=d": {@code a} was matched by the operation's
     * query template {@code /get?a={b}}, so it is not an unmatched parameter.
     */
    @Test
    void rewriteUriDoesNotCopyAQueryParameterTheOperationTemplateMatched() {
        PolicyContext c = getWithOperationTemplate();
        run(compile("rewrite-uri", 2), c);
        assertThat(c.request().url().queryString()).as("the page expects ?c=d").isEqualTo("?c=d");
    }

    @Test
    void rewriteUriWithCopyUnmatchedParamsFalseDropsThem() {
        // "Resulting URL will be /put"
        PolicyContext c = getWithOperationTemplate();
        run(compile("rewrite-uri", 3), c);
        assertThat(c.request().url().path()).isEqualTo("/put");
        assertThat(c.request().url().queryString()).isEmpty();
    }

    // return-response, mock-response, check-header, ip-filter

    @Test
    void returnResponseAnswers401WithWwwAuthenticateWithoutCallingTheBackend() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        Harness.RecordingForwarder f = backend();
        run(compile("return-response", 1), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(c.response().statusReason()).isEqualTo("Unauthorized");
        assertThat(responseHeader(c, "WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");
    }

    @Test
    void mockResponseReturns200WithoutCallingTheBackend() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        Harness.RecordingForwarder f = backend();
        run(compile("mock-response", 1), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(Harness.body(c)).as("no example or schema: the content is empty").isNullOrEmpty();
    }

    @Test
    void checkHeaderLetsTheListedAuthorizationValueThroughAndRefusesOthersWith401() {
        EffectivePolicy p = compile("check-header", 1);
        PolicyContext ok = request("GET", "https://api.example.com/items");
        ok.request().headers().set("Authorization", "f6dc69a089844cf6b2019bae6d36fac8");
        Harness.RecordingForwarder f = backend();
        run(p, ok, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(ok.response().statusCode()).isEqualTo(200);

        for (String bad : new String[] {null, "wrong", "F6DC69A089844CF6B2019BAE6D36FAC8"}) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            if (bad != null) {
                c.request().headers().set("Authorization", bad);
            }
            Harness.RecordingForwarder g = backend();
            run(p, c, g);
            assertThat(g.calls.get()).as("%s", bad).isZero();
            assertThat(c.response().statusCode()).as("%s", bad).isEqualTo(401);
            assertThat(Harness.body(c)).as("%s", bad).contains("Not authorized");
        }
    }

    @Test
    void ipFilterAllowsOnlyTheAddressAndTheRange() {
        EffectivePolicy p = compile("ip-filter", 1);
        for (String allowed : new String[] {"13.66.201.169", "13.66.140.128", "13.66.140.135", "13.66.140.143"}) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.request().ipAddress(allowed);
            run(p, c);
            assertThat(c.response().statusCode()).as(allowed).isEqualTo(200);
        }
        for (String refused : new String[] {"13.66.201.170", "13.66.140.127", "13.66.140.144", "10.0.0.1"}) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.request().ipAddress(refused);
            Harness.RecordingForwarder f = backend();
            run(p, c, f);
            assertThat(c.response().statusCode()).as(refused).isEqualTo(403);
            assertThat(f.calls.get()).as(refused).isZero();
        }
    }

    // rate-limit, rate-limit-by-key

    @Test
    void rateLimitAllows20CallsPer90SecondsAndCountsDownRemainingCalls() {
        EffectivePolicy p = compile("rate-limit", 1);
        Subscription sub = new Subscription("sub-" + UUID.randomUUID(), "docs", null, null);
        for (int i = 1; i <= 20; i++) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.subscription(sub);
            run(p, c);
            assertThat(c.response().statusCode()).as("call %d", i).isEqualTo(200);
            assertThat(c.variables().get("remainingCallsPerSubscription")).as("call %d", i).isEqualTo(20 - i);
        }
        PolicyContext over = request("GET", "https://api.example.com/items");
        over.subscription(sub);
        Harness.RecordingForwarder f = backend();
        Exchange x = run(p, over, f);
        assertThat(over.response().statusCode()).isEqualTo(429);
        assertThat(f.calls.get()).isZero();

        PolicyContext other = request("GET", "https://api.example.com/items");
        other.subscription(new Subscription("sub-" + UUID.randomUUID(), "other", null, null));
        run(p, other);
        assertThat(other.response().statusCode()).as("another subscription has its own limit").isEqualTo(200);
    }

    private static String randomIp(String prefix) {
        return prefix + (1 + java.util.concurrent.ThreadLocalRandom.current().nextInt(250));
    }

    @Test
    void rateLimitByKeyAllows10CallsPer60SecondsPerCallerIp() {
        EffectivePolicy p = compile("rate-limit-by-key", 1);
        String ip = randomIp("198.51.100.");
        for (int i = 1; i <= 10; i++) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.request().ipAddress(ip);
            run(p, c);
            assertThat(c.response().statusCode()).as("call %d", i).isEqualTo(200);
            assertThat(c.variables().get("remainingCallsPerIP")).as("call %d", i).isEqualTo(10 - i);
        }
        PolicyContext over = request("GET", "https://api.example.com/items");
        over.request().ipAddress(ip);
        Harness.RecordingForwarder f = backend();
        run(p, over, f);
        assertThat(over.response().statusCode()).isEqualTo(429);
        assertThat(f.calls.get()).isZero();

        PolicyContext otherIp = request("GET", "https://api.example.com/items");
        otherIp.request().ipAddress(randomIp("203.0.113."));
        run(p, otherIp);
        assertThat(otherIp.response().statusCode()).isEqualTo(200);
    }

    /**
     * The example's {@code increment-condition="@(context.Response.StatusCode == 200)"}: only calls
     * the backend answered with 200 count, so failed calls never use up the caller's allowance.
     */
    @Test
    void rateLimitByKeyCountsOnlyCallsTheBackendAnsweredWith200() {
        EffectivePolicy p = compile("rate-limit-by-key", 1);
        String ip = randomIp("198.18.0.");
        Answering failing = new Answering(500, "boom", "text/plain");
        int refused = 0;
        for (int i = 0; i < 12; i++) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.request().ipAddress(ip);
            run(p, c, failing);
            refused += c.response().statusCode() == 429 ? 1 : 0;
        }
        assertThat(failing.calls.get()).as("APIM forwards all 12").isEqualTo(12);
        assertThat(refused).isZero();
    }

    // bodies

    @Test
    void findAndReplaceReplacesNotebookWithLaptopInTheResponse() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        run(compile("find-and-replace", 1), c, new Answering(200, "{\"item\": \"notebook\", \"also\": \"notebook case\"}", "application/json"));
        assertThat(Harness.body(c)).isEqualTo("{\"item\": \"laptop\", \"also\": \"laptop case\"}");
    }

    @Test
    void xmlToJsonConvertsTheBackendsXmlResponseToJson() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.request().headers().set("Accept", "application/xml");
        run(compile("xml-to-json", 1), c, new Answering(200, "<order><id>7</id><item>laptop</item></order>", "application/xml"));
        assertThat(responseHeader(c, "Content-Type")).startsWith("application/json");
        assertThat(Harness.body(c)).startsWith("{").contains("\"order\"").contains("\"id\"").contains("7").contains("\"laptop\"");
    }

    @Test
    void setBodyLiteralTextReplacesTheRequestBody() {
        PolicyContext c = request("POST", "https://api.example.com/items");
        c.request().body(MessageBody.ofString("original", "text/plain"));
        run(compile("set-body", 1), c);
        assertThat(requestBody(c)).isEqualTo("Hello world!");
    }

    // set-variable, choose

    @Test
    void setVariableIsMobileIsTrueForIpadAndIphoneOnly() {
        EffectivePolicy p = compile("set-variable", 1);
        for (String ua : new String[] {"Mozilla/5.0 (iPad; CPU OS 17_0)", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"}) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.request().headers().set("User-Agent", ua);
            run(p, c);
            assertThat(c.variables().get("IsMobile")).as(ua).isEqualTo(true);
        }
        PolicyContext desktop = request("GET", "https://api.example.com/items");
        desktop.request().headers().set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)");
        run(p, desktop);
        assertThat(desktop.variables().get("IsMobile")).isEqualTo(false);
        PolicyContext none = request("GET", "https://api.example.com/items");
        run(p, none);
        assertThat(none.variables().get("IsMobile")).as("no User-Agent").isEqualTo(false);
    }

    @Test
    void chooseSetsMobileQueryParameterAndConvertsXmlToJsonForMobileCallersOnly() {
        EffectivePolicy p = compile("choose", 1);
        String xml = "<order><id>7</id></order>";

        PolicyContext mobile = request("GET", "https://api.example.com/orders");
        mobile.request().headers().set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)");
        run(p, mobile, new Answering(200, xml, "application/xml"));
        assertThat(mobile.request().url().query()).containsEntry("mobile", List.of("true"));
        assertThat(responseHeader(mobile, "Content-Type")).startsWith("application/json");
        assertThat(Harness.body(mobile)).startsWith("{").contains("\"order\"");

        PolicyContext desktop = request("GET", "https://api.example.com/orders");
        desktop.request().headers().set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64)");
        run(p, desktop, new Answering(200, xml, "application/xml"));
        assertThat(desktop.request().url().query()).containsEntry("mobile", List.of("false"));
        assertThat(Harness.body(desktop)).isEqualTo(xml);
    }

    // authentication

    @Test
    void authenticationBasicSetsTheAuthorizationHeaderFromTheCredentials() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.request().headers().set("Authorization", "Bearer caller-token");
        run(compile("authentication-basic", 1), c);
        assertThat(header(c, "Authorization")).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("testuser:testpassword".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void authenticationCertificateByIdPresentsThatCertificateToTheBackend() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        Exchange x = run(compile("authentication-certificate", 1), c);
        assertThat(x.clientCertificate()).isNotNull();
        assertThat(x.clientCertificate().chain().get(0)).isEqualTo(DocsExamples.BACKEND_CLIENT.certificate());
    }

    // backend and forwarding

    @Test
    void setBackendServiceRoutesByTheVersionQueryParameter() {
        EffectivePolicy p = compile("set-backend-service", 1);
        PolicyContext v1 = request("GET", "https://contoso.azure-api.net/api/partners/15?version=2013-05&subscription-key=abcdef");
        assertThat(run(p, v1).baseUrl()).isEqualTo("http://contoso.com/api/8.2/");
        PolicyContext v2 = request("GET", "https://contoso.azure-api.net/api/partners/15?version=2014-03");
        assertThat(run(p, v2).baseUrl()).isEqualTo("http://contoso.com/api/9.1/");
        PolicyContext other = request("GET", "https://contoso.azure-api.net/api/partners/15?version=2020-01");
        assertThat(run(p, other).baseUrl()).as("the API's own backend").isNull();
    }

    @Test
    void forwardRequestWithTimeoutForwardsWithThatTimeout() {
        Harness.RecordingForwarder f = backend();
        run(compile("forward-request", 1), request("GET", "https://api.example.com/items"), f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(f.lastSettings.timeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void forwardRequestFailOnErrorStatusCodeSendsBackendErrorsToOnError() {
        Harness.RecordingForwarder f = backend();
        f.status = 503;
        run(compile("forward-request", 3), request("GET", "https://api.example.com/items"), f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(f.lastSettings.timeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(f.lastSettings.failOnErrorStatusCode()).isTrue();
    }

    @Test
    void forwardRequestLeftOutOfBackendDoesNotForward() {
        Harness.RecordingForwarder f = backend();
        run(compile("forward-request", 4), request("GET", "https://api.example.com/items"), f);
        assertThat(f.calls.get()).isZero();
    }

    // trace, caches

    @Test
    void traceRecordsTheClientConnectionIdWithSourceSeverityAndMetadata() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.variables().set("clientConnectionID", "conn-77");
        Exchange x = run(compile("trace", 1), c);
        assertThat(x.traces()).containsExactly(new TraceEntry("PetStore API", "verbose", "conn-77", java.util.Map.of("Operation Name", "New-Order")));
    }

    @Test
    void cacheStoreValueThenLookupValueThenRemoveValueShareTheUserProfileKey() {
        String user = "user-" + UUID.randomUUID();
        PolicyContext store = request("GET", "https://api.example.com/profile");
        store.variables().set("enduserid", user);
        store.variables().set("userprofile", "{\"name\": \"Jo\"}");
        run(compile("cache-store-value", 1), store);

        PolicyContext lookup = request("GET", "https://api.example.com/profile");
        lookup.variables().set("enduserid", user);
        run(compile("cache-lookup-value", 1), lookup);
        assertThat(lookup.variables().get("userprofile")).isEqualTo("{\"name\": \"Jo\"}");

        PolicyContext remove = request("GET", "https://api.example.com/profile");
        remove.variables().set("enduserid", user);
        run(compile("cache-remove-value", 1), remove);

        PolicyContext again = request("GET", "https://api.example.com/profile");
        again.variables().set("enduserid", user);
        run(compile("cache-lookup-value", 1), again);
        assertThat(again.variables().containsKey("userprofile")).as("a miss leaves the variable unset").isFalse();
    }

    @Test
    void authenticationCertificateFromBodyOpensThePasswordProtectedPfxInTheVariable() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        c.variables().set("byteCertificate", io.gatehouse.tls.Pki.pfx(DocsExamples.BACKEND_CLIENT.keyMaterial(),
                "optional-certificate-password".toCharArray()));
        Exchange x = run(compile("authentication-certificate", 3), c);
        assertThat(c.lastError()).isNull();
        assertThat(x.clientCertificate()).isNotNull();
        assertThat(x.clientCertificate().chain().get(0)).isEqualTo(DocsExamples.BACKEND_CLIENT.certificate());
    }

    @Test
    void forwardRequestAtOperationScopeWithBaseInheritsTheApiScopeForward() {
        io.gatehouse.policy.PolicyEngine engine = DocsExamples.engine();
        io.gatehouse.common.Diagnostics d = new io.gatehouse.common.Diagnostics();
        io.gatehouse.policy.PolicyDocument api = DocsExamples.parse(engine, new DocsExamples.Example("forward-request", 1), d);
        io.gatehouse.policy.PolicyDocument operation = engine.parse(new io.gatehouse.common.SourceText("operation.xml",
                new DocsExamples.Example("forward-request", 2).text()), io.gatehouse.policy.Scope.OPERATION, d);
        EffectivePolicy p = engine.compose(null, api, operation, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        Harness.RecordingForwarder f = backend();
        run(p, request("GET", "https://api.example.com/items"), f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(f.lastSettings.timeout()).as("the API level's timeout=\"60\"").isEqualTo(Duration.ofSeconds(60));
    }

    /** The token metric pages' examples: the call's token counts "along with API ID as a default dimension". */
    @Test
    void tokenMetricExamplesRecordTheUsageWithTheirDimensions() throws Exception {
        String completion = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}],"
                + "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}";
        for (String policy : List.of("llm-emit-token-metric", "azure-openai-emit-token-metric")) {
            List<String> points = new java.util.concurrent.CopyOnWriteArrayList<>();
            PolicyContext c = request("POST", "https://api.example.com/openai/chat/completions");
            c.request().body(MessageBody.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "application/json"));
            c.api(new ApiInfo("openai", "OpenAI", "openai", Url.parse("https://backend.example.com"), ""));
            Exchange x = new Exchange(c).metricSink((ns, name, value, dims) -> points.add(ns + "/" + name + "=" + value + " " + new java.util.TreeMap<>(dims)));
            compile(policy, 1).execute(x, new Answering(200, completion, "application/json")).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            String ns = policy.startsWith("llm") ? "MyLLM" : "AzureOpenAI";
            String dims = policy.startsWith("llm") ? "{API ID=openai}" : "{API ID=openai, Client IP=192.0.2.10, User ID=}";
            assertThat(points).as(policy).containsExactly(ns + "/Prompt Tokens=11.0 " + dims, ns + "/Completion Tokens=7.0 " + dims,
                    ns + "/Total Tokens=18.0 " + dims);
        }
    }

    @Test
    void quotaAllows10000CallsPerSubscriptionThenAnswers403() {
        EffectivePolicy p = compile("quota", 1);
        Subscription sub = new Subscription("sub-" + UUID.randomUUID(), "docs", null, null);
        Harness.RecordingForwarder f = backend();
        for (int i = 1; i <= 10000; i++) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            c.subscription(sub);
            run(p, c, f);
            if (c.response().statusCode() != 200) {
                throw new AssertionError("call " + i + " answered " + c.response().statusCode());
            }
        }
        PolicyContext over = request("GET", "https://api.example.com/items");
        over.subscription(sub);
        run(p, over, f);
        assertThat(over.response().statusCode()).isEqualTo(403);
        assertThat(f.calls.get()).isEqualTo(10000);
        // the page: the 403 "includes a Retry-After header whose value is the recommended retry interval in seconds"
        assertThat(responseHeader(over, "Retry-After")).as("the page expects Retry-After on the 403").isNotNull();
        assertThat(Long.parseLong(responseHeader(over, "Retry-After"))).isBetween(1L, 3600L);
    }

    @Test
    void validateJwtWithoutATokenAnswersTheExamples401AndMessage() {
        for (int n : new int[] {3, 5}) {
            PolicyContext c = request("GET", "https://api.example.com/items");
            Harness.RecordingForwarder f = backend();
            run(compile("validate-jwt", n), c, f);
            assertThat(f.calls.get()).as("validate-jwt/%d", n).isZero();
            assertThat(c.response().statusCode()).as("validate-jwt/%d", n).isEqualTo(401);
            assertThat(Harness.body(c)).as("validate-jwt/%d", n).contains("Unauthorized. Access token is missing or invalid.");
        }
    }

    @Test
    void validateAzureAdTokenWithoutATokenIsRefusedWith401() {
        PolicyContext c = request("GET", "https://api.example.com/items");
        Harness.RecordingForwarder f = backend();
        run(compile("validate-azure-ad-token", 1), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(401);
    }

    private static io.gatehouse.expr.context.Response introspection(boolean active) {
        return new io.gatehouse.expr.context.Response().statusCode(200).statusReason("OK")
                .body(MessageBody.ofString("{\"active\": " + active + "}", "application/json"));
    }

    @Test
    void setStatusReturns401WhenTheIntrospectedTokenIsNotActive() {
        // the page: "return a 401 response if the authorization token is invalid"; tokenstate is what the
        // send-request example stores, and the return-response starts from the response in "existing response variable"
        PolicyContext inactive = request("GET", "https://api.example.com/items");
        inactive.variables().set("tokenstate", introspection(false));
        inactive.variables().set("existing response variable", introspection(false));
        Harness.RecordingForwarder f = backend();
        run(compile("set-status", 1), inactive, f);
        assertThat(f.calls.get()).isZero();
        assertThat(inactive.response().statusCode()).isEqualTo(401);
        assertThat(inactive.response().statusReason()).isEqualTo("Unauthorized");
        assertThat(responseHeader(inactive, "WWW-Authenticate")).isEqualTo("Bearer error=\"invalid_token\"");

        PolicyContext active = request("GET", "https://api.example.com/items");
        active.variables().set("tokenstate", introspection(true));
        Harness.RecordingForwarder g = backend();
        run(compile("set-status", 1), active, g);
        assertThat(g.calls.get()).isEqualTo(1);
        assertThat(active.response().statusCode()).isEqualTo(200);
    }

    @Test
    void retryForwardsOnceWhenTheBackendDoesNotAnswer500() {
        Harness.RecordingForwarder f = backend();
        PolicyContext c = request("POST", "https://api.example.com/items");
        c.request().body(MessageBody.ofString("{}", "application/json"));
        run(compile("retry", 1), c, f);
        assertThat(f.calls.get()).as("condition StatusCode == 500 is false after the first try").isEqualTo(1);
        assertThat(f.lastSettings.bufferRequestBody()).as("buffer-request-body=\"true\"").isTrue();
        assertThat(c.response().statusCode()).isEqualTo(200);
    }
}
