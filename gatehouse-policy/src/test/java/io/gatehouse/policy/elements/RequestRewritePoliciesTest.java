package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import org.junit.jupiter.api.Test;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** set-query-parameter, set-method and rewrite-uri: what forward-request will send. */
class RequestRewritePoliciesTest {

    @Test
    void setQueryParameterOverridesAppendsSkipsAndDeletes() {
        EffectivePolicy p = inbound("""
                <set-query-parameter name="version"><value>2</value></set-query-parameter>
                <set-query-parameter name="tag" exists-action="append"><value>b</value><value>@("c")</value></set-query-parameter>
                <set-query-parameter name="page" exists-action="skip"><value>99</value></set-query-parameter>
                <set-query-parameter name="new" exists-action="skip"><value>x y</value></set-query-parameter>
                <set-query-parameter name="secret" exists-action="delete" />""");
        PolicyContext c = request("GET", "https://api.local/orders?version=1&tag=a&page=3&secret=s");
        run(p, c);
        Url u = c.request().url();
        assertThat(u.query()).containsEntry("version", java.util.List.of("2"))
                .containsEntry("tag", java.util.List.of("a", "b", "c"))
                .containsEntry("page", java.util.List.of("3"))
                .containsEntry("new", java.util.List.of("x y"))
                .doesNotContainKey("secret");
        assertThat(u.queryString()).isEqualTo("?version=2&tag=a&tag=b&tag=c&page=3&new=x%20y");
    }

    @Test
    void setQueryParameterNameMayBeAnExpression() {
        EffectivePolicy p = inbound("""
                <set-query-parameter name="@(context.Request.Headers.GetValueOrDefault(&quot;x-param&quot;, &quot;p&quot;))">
                  <value>@(context.Request.Method)</value>
                </set-query-parameter>""");
        PolicyContext c = request("PATCH", "https://api.local/orders");
        c.request().headers().set("x-param", "verb");
        run(p, c);
        assertThat(c.request().url().queryString()).isEqualTo("?verb=PATCH");
    }

    @Test
    void setQueryParameterReportsWrongAttributesAndMissingValues() {
        assertThat(inboundDiagnostics("""
                <set-query-parameter nme="a"><value>1</value></set-query-parameter>
                <set-query-parameter name="b" exists-action="replace"><value>1</value></set-query-parameter>
                <set-query-parameter name="c" />
                <set-query-parameter name="d" exists-action="delete"><value>1</value></set-query-parameter>""")).containsExactly(
                "p.xml:1:41: error: unknown attribute 'nme' on <set-query-parameter> (did you mean 'name'?); expected one of: exists-action, name",
                "p.xml:1:20: error: <set-query-parameter> is missing the required attribute 'name'",
                "p.xml:2:31: error: attribute 'exists-action' on <set-query-parameter>: 'replace' (expected one of: override, skip, append, delete)",
                "p.xml:3:1: error: <set-query-parameter> needs at least one <value> (or exists-action=\"delete\")",
                "p.xml:4:54: error: <set-query-parameter exists-action=\"delete\"> takes no <value>");
    }

    @Test
    void setQueryParameterIsNotAllowedInOutbound() {
        assertThat(Policies.diagnostics("<policies><outbound><set-query-parameter name=\"a\"><value>1</value></set-query-parameter></outbound></policies>"))
                .containsExactly("p.xml:1:21: error: policy 'set-query-parameter' is not allowed in the outbound section (allowed in: inbound, backend)");
    }

    @Test
    void setMethodChangesTheMethodFromTextOrExpression() {
        PolicyContext c = request("GET", "https://api.local/orders");
        run(inbound("<set-method>POST</set-method>"), c);
        assertThat(c.request().method()).isEqualTo("POST");

        PolicyContext d = request("GET", "https://api.local/orders");
        d.request().headers().set("x-http-method-override", "DELETE");
        run(inbound("<set-method>@(context.Request.Headers.GetValueOrDefault(\"x-http-method-override\", context.Request.Method))</set-method>"), d);
        assertThat(d.request().method()).isEqualTo("DELETE");
    }

    @Test
    void setMethodExpressionReturningGarbageIsA500WithLastError() {
        PolicyContext c = request("GET", "https://api.local/orders");
        run(inbound("<set-method>@(\"NOT A METHOD\")</set-method>"), c);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("set-method");
        assertThat(c.lastError().reason()).isEqualTo("ExpressionValueEvaluationFailure");
        assertThat(c.request().method()).isEqualTo("GET");
    }

    @Test
    void setMethodReportsEmptyTextBadMethodAndAttributes() {
        assertThat(inboundDiagnostics("<set-method />\n<set-method>GET ME</set-method>\n<set-method verb=\"x\">PUT</set-method>")).containsExactly(
                "p.xml:1:20: error: <set-method> needs the method as its text, e.g. <set-method>POST</set-method>",
                "p.xml:2:13: error: <set-method>: 'GET ME' is not an HTTP method (expected a token such as GET, POST, PUT, DELETE)",
                "p.xml:3:13: error: unknown attribute 'verb' on <set-method>");
    }

    @Test
    void rewriteUriFillsTemplateFromMatchedAndQueryParametersAndKeepsTheRest() {
        EffectivePolicy p = inbound("<rewrite-uri template=\"/v2/customers/{id}/orders?state={status}\" />");
        PolicyContext c = request("GET", "https://api.local/shop/c/42?status=open&limit=10");
        c.api(new ApiInfo("shop", "shop", "shop", Url.parse("https://backend.local/base"), ""));
        c.request().matchedParameters().put("id", "42");
        run(p, c);
        assertThat(c.request().url().path()).isEqualTo("/shop/v2/customers/42/orders");
        assertThat(c.request().url().queryString()).isEqualTo("?state=open&limit=10");
    }

    @Test
    void rewriteUriWithoutCopyUnmatchedParamsDropsOtherQueryParameters() {
        EffectivePolicy p = inbound("<rewrite-uri template=\"/search?q={term}\" copy-unmatched-params=\"false\" />");
        PolicyContext c = request("GET", "https://api.local/find?term=a%20b&debug=1");
        run(p, c);
        assertThat(c.request().url().path()).isEqualTo("/search");
        assertThat(c.request().url().queryString()).isEqualTo("?q=a%20b");
    }

    @Test
    void rewriteUriEncodesQueryValuesPutIntoThePath() {
        EffectivePolicy p = inbound("<rewrite-uri template=\"/by-name/{name}\" />");
        PolicyContext c = request("GET", "https://api.local/x?name=J%C3%BCrgen%20M");
        run(p, c);
        assertThat(c.request().url().path()).isEqualTo("/by-name/J%C3%BCrgen%20M");
        assertThat(c.request().url().queryString()).isEmpty();
    }

    @Test
    void rewriteUriTemplateMayBeAnExpression() {
        EffectivePolicy p = inbound("<rewrite-uri template=\"@(&quot;/v&quot; + context.Request.Headers.GetValueOrDefault(&quot;x-v&quot;, &quot;1&quot;) + &quot;/items/{id}&quot;)\" />");
        PolicyContext c = request("GET", "https://api.local/items/7");
        c.request().headers().set("x-v", "3");
        c.request().matchedParameters().put("id", "7");
        run(p, c);
        assertThat(c.request().url().path()).isEqualTo("/v3/items/7");
    }

    @Test
    void rewriteUriReportsBadTemplatesAndAttributes() {
        assertThat(inboundDiagnostics("""
                <rewrite-uri />
                <rewrite-uri template="/a/{id" />
                <rewrite-uri template="https://other/a" />
                <rewrite-uri template="/a" copy-unmatched-params="yes" />
                <rewrite-uri template="/a" copy-unmatched="true" />""")).containsExactly(
                "p.xml:1:20: error: <rewrite-uri> is missing the required attribute 'template'",
                "p.xml:2:14: error: attribute 'template' on <rewrite-uri>: '{' at character 4 is never closed (expected {name})",
                "p.xml:3:14: error: attribute 'template' on <rewrite-uri>: 'https://other/a' is an absolute URL; the template is the path relative to the backend URL (use set-backend-service to change the backend)",
                "p.xml:4:28: error: attribute 'copy-unmatched-params' on <rewrite-uri>: 'yes' (expected: true or false)",
                "p.xml:5:28: error: unknown attribute 'copy-unmatched' on <rewrite-uri>; expected one of: copy-unmatched-params, template");
    }

    @Test
    void setBackendServiceNamesAzureOnlyServiceFabricAndDaprAttributes() {
        assertThat(inboundDiagnostics("<set-backend-service backend-id=\"x\" sf-service-instance-name=\"fabric:/app/svc\" />"))
                .containsExactly("p.xml:1:56: error: attribute 'sf-service-instance-name' on <set-backend-service> is not supported: "
                        + "Service Fabric backends exist only in Azure (use base-url or backend-id)");
    }
}
