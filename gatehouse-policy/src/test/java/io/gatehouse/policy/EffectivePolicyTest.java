package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EffectivePolicyTest {
    private static final Pki.Issued CA = Pki.ca("CN=Backend Client CA", Duration.ofDays(2));
    private static final KeyMaterial GATEWAY_CERT = Pki.issue(CA, Pki.IssueRequest.client("CN=gateway-to-backend")).keyMaterial();
    private static final KeyMaterial OTHER_CERT = Pki.issue(CA, Pki.IssueRequest.client("CN=other")).keyMaterial();

    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
            .keyPair("backend-client-cert", GATEWAY_CERT)
            .keyPair("other-cert", OTHER_CERT)
            .backendId("patients-backend")
            .namedValue("pfx", Base64.getEncoder().encodeToString(Pki.pfx(OTHER_CERT, "s3cret".toCharArray())))
            .namedValue("pfx-password", "s3cret")
            .build());

    private static String trail(PolicyContext ctx) {
        return ctx.request().headers().getValueOrDefault("trail", "");
    }

    private static String section(String name, String body) {
        return "<" + name + ">" + body + "</" + name + ">";
    }

    private static String append(String value) {
        return "<set-header name=\"trail\" exists-action=\"append\"><value>" + value + "</value></set-header>";
    }

    @Test
    void defaultPolicyForwardsToTheBackend() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = new PolicyContext();
        Harness.run(PolicyEngine.defaultPolicy(), ctx, f);
        assertThat(f.calls).hasValue(1);
        assertThat(f.lastSettings).isEqualTo(ForwardSettings.DEFAULT);
        assertThat(Harness.body(ctx)).isEqualTo("from backend");
    }

    @Test
    void baseRunsTheParentSectionWhereItIsWritten() {
        PolicyDocument global = Harness.parse(engine, "<policies>" + section("inbound", append("global"))
                + section("backend", "<forward-request/>") + "</policies>", Scope.GLOBAL);
        PolicyDocument api = Harness.parse(engine, "<policies>" + section("inbound", append("api-before") + "<base/>" + append("api-after"))
                + "</policies>", Scope.API);
        PolicyDocument op = Harness.parse(engine, "<policies>" + section("inbound", "<base/>" + append("operation")) + "</policies>",
                Scope.OPERATION);
        PolicyContext ctx = new PolicyContext();
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Diagnostics d = new Diagnostics();
        Harness.run(engine.compose(global, api, op, d), ctx, f);
        assertThat(d.all()).isEmpty();
        assertThat(trail(ctx)).isEqualTo("api-before,global,api-after,operation");
        assertThat(f.calls).hasValue(1);
    }

    /** APIM's template ({@code <on-error><base /></on-error>}) over parents without on-error handles nothing. */
    @Test
    void onErrorHandlesErrorsOnlyWhenAPolicyIsInItOnceBaseIsExpanded() {
        PolicyDocument bare = Harness.parse(engine, "<policies>" + section("backend", "<forward-request/>") + "</policies>", Scope.GLOBAL);
        PolicyDocument template = Harness.parse(engine, "<policies>" + section("inbound", "<base/>") + section("backend", "<base/>")
                + section("outbound", "<base/>") + section("on-error", "<base/>") + "</policies>", Scope.API);
        PolicyDocument handling = Harness.parse(engine, "<policies>" + section("backend", "<forward-request/>")
                + section("on-error", append("global")) + "</policies>", Scope.GLOBAL);
        Diagnostics d = new Diagnostics();
        assertThat(engine.compose(bare, template, null, d).handlesErrors()).isFalse();
        assertThat(engine.compose(handling, template, null, d).handlesErrors()).isTrue();
        assertThat(engine.compose(handling, null, null, d).handlesErrors()).isTrue();
    }

    @Test
    void sectionWithoutBaseReplacesTheParentAndWarns() {
        PolicyDocument global = Harness.parse(engine, "<policies>" + section("inbound", append("global")) + "</policies>", Scope.GLOBAL);
        PolicyDocument api = Harness.parse(engine, "<policies>" + section("inbound", append("api")) + "</policies>", Scope.API);
        Diagnostics d = new Diagnostics();
        EffectivePolicy p = engine.compose(global, api, null, d);
        PolicyContext ctx = new PolicyContext();
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, ctx, f);
        assertThat(trail(ctx)).isEqualTo("api");
        assertThat(f.calls).as("backend inherited from the default policy").hasValue(1);
        assertThat(d.all()).extracting(Object::toString).containsExactly("api.xml:1:11: warning: <inbound> at api scope has no <base/>:"
                + " the inbound policies of the enclosing scopes will not run (add <base/> where they should run)");
    }

    @Test
    void backendWithoutForwardRequestDoesNotCallTheBackend() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(Harness.compile(engine, "<policies><backend><set-variable name=\"a\" value=\"1\"/></backend></policies>"),
                new PolicyContext(), f);
        assertThat(f.calls).hasValue(0);
    }

    @Test
    void setHeaderHonoursEveryExistsAction() {
        EffectivePolicy p = Harness.compile(engine, "<policies><inbound>"
                + "<set-header name=\"x-over\" exists-action=\"override\"><value>new</value></set-header>"
                + "<set-header name=\"x-skip\" exists-action=\"skip\"><value>new</value></set-header>"
                + "<set-header name=\"x-skip-absent\" exists-action=\"skip\"><value>new</value></set-header>"
                + "<set-header name=\"x-append\" exists-action=\"append\"><value>b</value><value>c</value></set-header>"
                + "<set-header name=\"x-delete\" exists-action=\"delete\"/>"
                + "<set-header name=\"x-multi\"><value>1</value><value>2</value></set-header>"
                + "</inbound></policies>");
        PolicyContext ctx = new PolicyContext();
        ctx.request().headers().set("X-Over", "old").set("x-skip", "old").set("x-append", "a").set("x-delete", "gone");
        Harness.run(p, ctx, new Harness.RecordingForwarder());
        var h = ctx.request().headers();
        assertThat(h.values("x-over")).containsExactly("new");
        assertThat(h.values("x-skip")).containsExactly("old");
        assertThat(h.values("x-skip-absent")).containsExactly("new");
        assertThat(h.values("x-append")).containsExactly("a", "b", "c");
        assertThat(h.containsKey("x-delete")).isFalse();
        assertThat(h.values("x-multi")).containsExactly("1", "2");
    }

    @Test
    void setHeaderInOutboundChangesTheResponse() {
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(engine, "<policies><backend><forward-request/></backend><outbound>"
                + "<set-header name=\"x-served-by\"><value>gatehouse</value></set-header></outbound></policies>"), ctx,
                new Harness.RecordingForwarder());
        assertThat(ctx.response().headers().values("x-served-by")).containsExactly("gatehouse");
        assertThat(ctx.request().headers().containsKey("x-served-by")).isFalse();
    }

    @Test
    void authenticationCertificateByIdOverridesTheBackendCertificate() {
        Exchange ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><authentication-certificate certificate-id=\"backend-client-cert\"/></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.clientCertificate()).isSameAs(GATEWAY_CERT);
    }

    @Test
    void authenticationCertificateByThumbprintFindsTheConfiguredKeyPair() {
        String tp = io.gatehouse.common.x509.DotNetNames.thumbprint(OTHER_CERT.leaf()).toLowerCase();
        Exchange ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><authentication-certificate thumbprint=\"" + tp + "\"/></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.clientCertificate()).isSameAs(OTHER_CERT);
    }

    @Test
    void authenticationCertificateOpensPfxBodyWithPassword() {
        Exchange ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><authentication-certificate body=\"{{pfx}}\" password=\"{{pfx-password}}\"/></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.clientCertificate().leaf()).isEqualTo(OTHER_CERT.leaf());
        assertThat(ex.clientCertificate().toString()).doesNotContain("s3cret");
    }

    @Test
    void wrongPfxPasswordFailsWithoutLeakingIt() {
        PolicyContext ctx = new PolicyContext();
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Exchange ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><authentication-certificate body=\"{{pfx}}\" password=\"wrong-pw\"/></inbound>"
                        + "<backend><forward-request/></backend></policies>"), ctx, f);
        assertThat(f.calls).hasValue(0);
        assertThat(ctx.response().statusCode()).isEqualTo(500);
        assertThat(ctx.lastError().source()).isEqualTo("authentication-certificate");
        assertThat(ctx.lastError().message()).doesNotContain("wrong-pw");
        assertThat(ex.clientCertificate()).isNull();
    }

    @Test
    void setBackendServiceChoosesBackendOrUrl() {
        Exchange ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><set-backend-service backend-id=\"patients-backend\"/></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.backendId()).isEqualTo("patients-backend");
        ex = Harness.run(Harness.compile(engine,
                "<policies><inbound><set-backend-service base-url=\"https://backend.local:9443/v2\"/></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.baseUrl()).isEqualTo("https://backend.local:9443/v2");
    }

    @Test
    void forwardRequestPassesItsSettings() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(Harness.compile(engine, "<policies><backend><forward-request timeout=\"20\" follow-redirects=\"true\""
                + " buffer-request-body=\"true\" buffer-response=\"false\" fail-on-error-status-code=\"true\"/></backend></policies>"),
                new PolicyContext(), f);
        assertThat(f.lastSettings).isEqualTo(new ForwardSettings(Duration.ofSeconds(20), true, true, false, true));
    }

    @Test
    void failOnErrorStatusCodeSendsBackendErrorsToOnError() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.status = 503;
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(engine, "<policies><backend><forward-request fail-on-error-status-code=\"true\"/></backend></policies>"),
                ctx, f);
        assertThat(ctx.lastError().reason()).isEqualTo("BackendErrorStatusCode");
        assertThat(ctx.response().statusCode()).isEqualTo(503);
    }

    @Test
    void returnResponseEndsThePipeline() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = new PolicyContext();
        Exchange ex = Harness.run(Harness.compile(engine, "<policies><inbound>"
                + "<return-response><set-status code=\"403\" reason=\"Forbidden\"/>"
                + "<set-header name=\"x-why\"><value>policy</value></set-header><set-body>Client certificate validation failed.</set-body>"
                + "</return-response>" + append("never") + "</inbound><backend><forward-request/></backend>"
                + "<outbound>" + "<set-header name=\"x-outbound\"><value>ran</value></set-header>" + "</outbound></policies>"), ctx, f);
        assertThat(ex.isResponded()).isTrue();
        assertThat(f.calls).hasValue(0);
        assertThat(ctx.response().statusCode()).isEqualTo(403);
        assertThat(ctx.response().statusReason()).isEqualTo("Forbidden");
        assertThat(ctx.response().headers().values("x-why")).containsExactly("policy");
        assertThat(ctx.response().headers().containsKey("x-outbound")).isFalse();
        assertThat(Harness.body(ctx)).isEqualTo("Client certificate validation failed.");
        assertThat(trail(ctx)).isEmpty();
    }

    @Test
    void backendFailureBecomes502JsonWithoutDetails() {
        for (boolean async : List.of(false, true)) {
            Harness.RecordingForwarder f = new Harness.RecordingForwarder();
            f.async = async;
            f.failWith = new GatewayException(502, "forward-request", "BackendConnectionFailure",
                    "backend rejected our client certificate: unknown_ca");
            PolicyContext ctx = new PolicyContext();
            Exchange ex = Harness.run(PolicyEngine.defaultPolicy(), ctx, f);
            assertThat(ctx.response().statusCode()).isEqualTo(502);
            assertThat(Harness.body(ctx)).isEqualTo("{\"statusCode\": 502, \"message\": \"Bad gateway\"}");
            assertThat(ctx.response().headers().values("Content-Type")).containsExactly("application/json");
            assertThat(ctx.lastError().reason()).isEqualTo("BackendConnectionFailure");
            assertThat(ctx.lastError().section()).isEqualTo("backend");
            assertThat(ex.failure().getMessage()).contains("unknown_ca");
        }
    }

    @Test
    void unexpectedForwarderExceptionIsABackendConnectionFailure() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.failWith = new IllegalStateException("connection reset");
        PolicyContext ctx = new PolicyContext();
        Harness.run(PolicyEngine.defaultPolicy(), ctx, f);
        assertThat(ctx.response().statusCode()).isEqualTo(502);
        assertThat(ctx.lastError().source()).isEqualTo("forward-request");
        assertThat(ctx.lastError().reason()).isEqualTo("BackendConnectionFailure");
        assertThat(Harness.body(ctx)).doesNotContain("reset");
    }

    @Test
    void onErrorRunsWithLastErrorAndMayRewriteTheResponse() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.async = true;
        f.failWith = new GatewayException(504, "forward-request", "Timeout", "no answer in 20s");
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(engine, "<policies><backend><forward-request timeout=\"20\"/></backend><on-error>"
                + "<set-status code=\"503\" reason=\"Try later\"/><set-header name=\"Retry-After\"><value>5</value></set-header>"
                + "</on-error></policies>"), ctx, f);
        assertThat(ctx.lastError().reason()).isEqualTo("Timeout");
        assertThat(ctx.response().statusCode()).isEqualTo(503);
        assertThat(ctx.response().headers().values("Retry-After")).containsExactly("5");
    }

    @Test
    void traceRecordsEntriesWithMetadata() {
        Exchange ex = Harness.run(Harness.compile(engine, "<policies><inbound><trace source=\"audit\" severity=\"information\">"
                + "<message>checked</message><metadata name=\"k\" value=\"v\"/></trace></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.traces()).containsExactly(new TraceEntry("audit", "information", "checked", java.util.Map.of("k", "v")));
    }

    @Test
    void traceMetadataNameAndValueMayBeExpressions() {
        // trace-policy reference: metadata name and value are "string literal or expressions"
        PolicyContext ctx = new PolicyContext();
        ctx.request().headers().set("agent-id", "a-7");
        Exchange ex = Harness.run(Harness.compile(engine, "<policies><inbound><trace source=\"Weather MCP\" severity=\"information\">"
                + "<message>info</message>"
                + "<metadata name=\"agent-id\" value=\"@(context.Request.Headers.GetValueOrDefault(&quot;agent-id&quot;, &quot;n/a&quot;))\"/>"
                + "<metadata name=\"@(&quot;m&quot; + context.Request.Method)\" value=\"x\"/></trace></inbound></policies>"),
                ctx, new Harness.RecordingForwarder());
        assertThat(ex.traces()).containsExactly(new TraceEntry("Weather MCP", "information", "info",
                java.util.Map.of("agent-id", "a-7", "mGET", "x")));
    }

    @Test
    void traceAcceptsTheOlderFormWithTheMessageAsItsOwnText() {
        Exchange ex = Harness.run(Harness.compile(engine, "<policies><inbound><trace source=\"OnError\">"
                + "@(\"failed: \" + \"get\".ToUpper())</trace></inbound></policies>"),
                new PolicyContext(), new Harness.RecordingForwarder());
        assertThat(ex.traces()).containsExactly(new TraceEntry("OnError", "verbose", "failed: GET", java.util.Map.of()));
    }

    @Test
    void fragmentsAreIncludedInPlace() {
        PolicyEngine withFragments = new PolicyEngine(PolicyEnvironment.builder()
                .fragment("outer", new SourceText("outer.xml", "<fragment>" + append("outer") + "<include-fragment fragment-id=\"inner\"/></fragment>"))
                .fragment("inner", new SourceText("inner.xml", "<fragment>" + append("inner") + "</fragment>"))
                .build());
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(withFragments, "<policies><inbound><include-fragment fragment-id=\"outer\"/>" + append("after")
                + "</inbound></policies>"), ctx, new Harness.RecordingForwarder());
        assertThat(trail(ctx)).isEqualTo("outer,inner,after");
    }

    @Test
    void namedValuesAreSubstitutedIntoTextAndAttributes() {
        PolicyEngine e = new PolicyEngine(PolicyEnvironment.builder().namedValue("hdr", "x-tenant").namedValue("tenant", "t1").build());
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(e, "<policies><inbound><set-header name=\"{{hdr}}\"><value>tenant={{tenant}}</value></set-header>"
                + "</inbound></policies>"), ctx, new Harness.RecordingForwarder());
        assertThat(ctx.request().headers().values("x-tenant")).containsExactly("tenant=t1");
    }

    @Test
    void returnResponseStartsFromAResponseHeldInAVariable() {
        io.gatehouse.expr.context.Response saved = new io.gatehouse.expr.context.Response().statusCode(202).statusReason("Accepted");
        saved.headers().set("Location", "/jobs/7");
        PolicyContext ctx = new PolicyContext();
        ctx.variables().set("job-response", saved);
        Harness.run(Harness.compile(engine, "<policies><inbound><return-response response-variable-name=\"job-response\">"
                + "<set-header name=\"x-extra\"><value>1</value></set-header></return-response></inbound></policies>"),
                ctx, new Harness.RecordingForwarder());
        assertThat(ctx.response().statusCode()).isEqualTo(202);
        assertThat(ctx.response().headers().values("Location")).containsExactly("/jobs/7");
        assertThat(ctx.response().headers().values("x-extra")).containsExactly("1");
    }

    @Test
    void setBodyAndSetStatusChangeTheRightMessage() {
        PolicyContext ctx = new PolicyContext();
        Harness.run(Harness.compile(engine, "<policies><inbound><set-body>{\"query\": 1}</set-body></inbound>"
                + "<backend><forward-request/></backend><outbound><set-status code=\"201\" reason=\"Created\"/>"
                + "<set-body>replaced</set-body></outbound></policies>"), ctx, new Harness.RecordingForwarder());
        assertThat(new String(ctx.request().body().bytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"query\": 1}");
        assertThat(ctx.response().statusCode()).isEqualTo(201);
        assertThat(Harness.body(ctx)).isEqualTo("replaced");
    }

    @Test
    void aPolicyAppliesOnlyInTheSectionsApimAllows() {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("s.xml", "<policies><outbound><authentication-certificate certificate-id=\"backend-client-cert\"/>"
                + "<set-backend-service backend-id=\"patients-backend\"/></outbound></policies>"), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "s.xml:1:21: error: policy 'authentication-certificate' is not allowed in the outbound section (allowed in: inbound)",
                "s.xml:1:87: error: policy 'set-backend-service' is not allowed in the outbound section (allowed in: inbound, backend)");
    }

    @Test
    void namedValueContentsNeverReachDiagnostics() {
        PolicyEngine e = new PolicyEngine(PolicyEnvironment.builder().namedValue("db-password", "hunter2-secret").build());
        Diagnostics d = new Diagnostics();
        e.parse(new SourceText("n.xml", "<policies><backend><forward-request timeout=\"{{db-password}}\" follow-redirects=\"{{db-password}}\"/>"
                + "</backend><inbound><set-backend-service base-url=\"{{db-password}}\"/></inbound></policies>"), Scope.API, d);
        assertThat(d.errorCount()).isEqualTo(3);
        assertThat(d.render()).doesNotContain("hunter2").contains("{{db-password}}");
    }
}
