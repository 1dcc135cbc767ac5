package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Policies driven by expressions: choose, set-variable, set-body, and failures that reach on-error. */
class ExpressionPoliciesTest {
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
            .namedValue("tier-expression", "@(context.Request.Headers.GetValueOrDefault(\"x-tier\", \"free\"))")
            .build());

    private static String header(PolicyContext ctx, String name) {
        return ctx.request().headers().getValueOrDefault(name, null);
    }

    @Test
    void chooseRunsTheFirstTrueBranchOrOtherwise() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound><choose>
                  <when condition="@(context.Request.Headers.GetValueOrDefault("x-tier","") == "gold" && 1 < 2)">
                    <set-header name="x-route" exists-action="override"><value>gold</value></set-header>
                  </when>
                  <when condition="@(context.Request.Headers.ContainsKey(&quot;x-tier&quot;))">
                    <set-header name="x-route" exists-action="override"><value>other-tier</value></set-header>
                  </when>
                  <otherwise>
                    <set-header name="x-route" exists-action="override"><value>none</value></set-header>
                  </otherwise>
                </choose></inbound></policies>""");
        PolicyContext gold = new PolicyContext();
        gold.request().headers().set("x-tier", "gold");
        PolicyContext silver = new PolicyContext();
        silver.request().headers().set("x-tier", "silver");
        PolicyContext none = new PolicyContext();
        for (PolicyContext c : new PolicyContext[] {gold, silver, none}) {
            Harness.run(p, c, new Harness.RecordingForwarder());
        }
        assertThat(header(gold, "x-route")).isEqualTo("gold");
        assertThat(header(silver, "x-route")).isEqualTo("other-tier");
        assertThat(header(none, "x-route")).isEqualTo("none");
    }

    @Test
    void setVariableValueIsReadByLaterExpressions() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound>
                  <set-variable name="tier" value="{{tier-expression}}" />
                  <set-variable name="greeting" value="hello" />
                  <set-header name="x-tier" exists-action="override">
                    <value>@((string)context.Variables["tier"] + "/" + (string)context.Variables["greeting"])</value>
                  </set-header>
                </inbound></policies>""");
        PolicyContext ctx = new PolicyContext();
        ctx.request().headers().set("x-tier", "gold");
        Harness.run(p, ctx, new Harness.RecordingForwarder());
        assertThat(ctx.variables().get("tier")).isEqualTo("gold");
        assertThat(header(ctx, "x-tier")).isEqualTo("gold/hello");
    }

    @Test
    void setBodyTakesAnExpressionWithRawXmlInside() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound><return-response>
                  <set-status code="200" />
                  <set-body>@{ var n = 3; return n > 2 ? "<big/>" : "<small/>"; }</set-body>
                </return-response></inbound></policies>""");
        PolicyContext ctx = new PolicyContext();
        Harness.run(p, ctx, new Harness.RecordingForwarder());
        assertThat(Harness.body(ctx)).isEqualTo("<big/>");
    }

    @Test
    void failingExpressionReachesOnErrorWithLastError() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies>
                  <inbound>
                    <set-header name="x-thumb" exists-action="override" id="thumb">
                      <value>@(context.Request.Certificate.Thumbprint)</value>
                    </set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                  <on-error>
                    <set-header name="x-error" exists-action="override">
                      <value>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Section + "|" + context.LastError.PolicyId)</value>
                    </set-header>
                  </on-error>
                </policies>""");
        PolicyContext ctx = new PolicyContext();
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, ctx, f);
        assertThat(f.calls).hasValue(0);
        assertThat(ctx.response().statusCode()).isEqualTo(500);
        assertThat(ctx.response().headers().getValueOrDefault("x-error", null))
                .isEqualTo("set-header|ExpressionValueEvaluationFailure|inbound|thumb");
        assertThat(Harness.body(ctx)).isEqualTo("{\"statusCode\": 500, \"message\": \"Internal server error\"}");
    }

    @Test
    void onErrorSeesForwarderFailureInAnExpression() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><backend><forward-request /></backend>
                  <on-error>
                    <return-response>
                      <set-status code="@(context.LastError.Reason == "Timeout" ? 504 : 502)" reason="Upstream" />
                      <set-body>@("upstream failed: " + context.LastError.Reason)</set-body>
                    </return-response>
                  </on-error>
                </policies>""");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.async = true;
        f.failWith = new GatewayException(504, "forward-request", "Timeout", "no answer");
        PolicyContext ctx = new PolicyContext();
        Harness.run(p, ctx, f);
        assertThat(ctx.response().statusCode()).isEqualTo(504);
        assertThat(Harness.body(ctx)).isEqualTo("upstream failed: Timeout");
    }

    @Test
    void expressionErrorPositionPointsInsideTheExpression() {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("p.xml", "<policies><inbound>\n  <set-variable name=\"a\"\n     value=\"@(context.Request.Certifcate)\" />\n</inbound></policies>"),
                Scope.API, d);
        assertThat(d.hasErrors()).isTrue();
        assertThat(d.all().get(0).line()).isEqualTo(3);
        assertThat(d.all().get(0).column()).isGreaterThan(12).isLessThanOrEqualTo(36);
    }

    @Test
    void bodyReadingIsDetectedForBuffering() {
        PolicyDocument doc = Harness.parse(engine, """
                <policies><inbound><set-variable name="b" value="@(context.Request.Body.As<string>(preserveContent: true))" /></inbound></policies>""",
                Scope.API);
        EffectivePolicy p = engine.compose(null, doc, null, new Diagnostics());
        assertThat(p.readsRequestBody()).isTrue();
        assertThat(p.readsResponseBody()).isFalse();
        assertThat(PolicyEngine.defaultPolicy().readsRequestBody()).isFalse();
    }
}
