package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

class CorsTest {
    private static final EffectivePolicy POLICY = inbound("""
            <cors allow-credentials="true">
              <allowed-origins><origin>https://app.contoso.com</origin><origin>http://localhost:3000</origin></allowed-origins>
              <allowed-methods preflight-result-max-age="300"><method>GET</method><method>PUT</method></allowed-methods>
              <allowed-headers><header>Content-Type</header><header>X-Request-Id</header></allowed-headers>
              <expose-headers><header>X-Total-Count</header></expose-headers>
            </cors>""");

    private static PolicyContext preflight(String origin, String method, String headers) {
        PolicyContext c = request("OPTIONS", "https://api.local/items");
        c.request().headers().set("Origin", origin).set("Access-Control-Request-Method", method);
        if (headers != null) {
            c.request().headers().set("Access-Control-Request-Headers", headers);
        }
        return c;
    }

    private static String h(PolicyContext c, String name) {
        return c.response().headers().getValueOrDefault(name, null);
    }

    @Test
    void answersAMatchingPreflightWithoutCallingTheBackend() {
        PolicyContext c = preflight("https://app.contoso.com", "PUT", "content-type, x-request-id");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(POLICY, c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(h(c, "Access-Control-Allow-Origin")).isEqualTo("https://app.contoso.com");
        assertThat(h(c, "Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(h(c, "Access-Control-Allow-Methods")).isEqualTo("PUT");
        assertThat(h(c, "Access-Control-Allow-Headers")).isEqualTo("content-type,x-request-id");
        assertThat(h(c, "Access-Control-Max-Age")).isEqualTo("300");
        assertThat(h(c, "Vary")).isEqualTo("Origin");
    }

    @Test
    void answersAnUnmatchedPreflightWithoutCorsHeaders() {
        for (PolicyContext c : new PolicyContext[] {
                preflight("https://evil.example", "PUT", null),
                preflight("https://app.contoso.com", "DELETE", null),
                preflight("https://app.contoso.com", "GET", "authorization")}) {
            Harness.RecordingForwarder f = new Harness.RecordingForwarder();
            Harness.run(POLICY, c, f);
            assertThat(f.calls.get()).isZero();
            assertThat(c.response().statusCode()).isEqualTo(200);
            assertThat(h(c, "Access-Control-Allow-Origin")).isNull();
        }
    }

    @Test
    void unmatchedPreflightContinuesWhenNotTerminating() {
        EffectivePolicy p = inbound("<cors terminate-unmatched-request=\"false\"><allowed-origins><origin>https://a.example</origin></allowed-origins></cors>");
        PolicyContext c = preflight("https://b.example", "GET", null);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(f.calls.get()).isEqualTo(1);
    }

    @Test
    void actualCrossOriginRequestGetsAllowOriginOnTheBackendResponse() {
        PolicyContext c = request("GET", "https://api.local/items");
        c.request().headers().set("Origin", "http://localhost:3000");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(POLICY, c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(Harness.body(c)).isEqualTo("from backend");
        assertThat(h(c, "Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
        assertThat(h(c, "Access-Control-Allow-Credentials")).isEqualTo("true");
        assertThat(h(c, "Access-Control-Expose-Headers")).isEqualTo("X-Total-Count");
    }

    @Test
    void unmatchedGetIsTerminatedAndUnmatchedPostContinuesWithoutHeaders() {
        PolicyContext get = request("GET", "https://api.local/items");
        get.request().headers().set("Origin", "https://evil.example");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(POLICY, get, f);
        assertThat(f.calls.get()).isZero();
        assertThat(get.response().statusCode()).isEqualTo(200);

        PolicyContext post = request("POST", "https://api.local/items");
        post.request().headers().set("Origin", "https://evil.example");
        Harness.RecordingForwarder g = new Harness.RecordingForwarder();
        Harness.run(POLICY, post, g);
        assertThat(g.calls.get()).isEqualTo(1);
        assertThat(h(post, "Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void wildcardOriginWithoutCredentialsAnswersStarAndDefaultsToGetAndPost() {
        EffectivePolicy p = inbound("<cors><allowed-origins><origin>*</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors>");
        PolicyContext ok = preflight("https://any.example", "POST", "x-anything");
        Harness.run(p, ok, new Harness.RecordingForwarder());
        assertThat(h(ok, "Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(h(ok, "Access-Control-Allow-Headers")).isEqualTo("x-anything");
        PolicyContext put = preflight("https://any.example", "PUT", null);
        Harness.run(p, put, new Harness.RecordingForwarder());
        assertThat(h(put, "Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void requestsWithoutOriginAreNotTouched() {
        PolicyContext c = request("GET", "https://api.local/items");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(POLICY, c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(c.response().headers().containsKey("Access-Control-Allow-Origin")).isFalse();
    }

    @Test
    void reportsMissingOriginsBadValuesAndWildcardWithCredentials() {
        assertThat(inboundDiagnostics("""
                <cors><allowed-methods><method>GET</method></allowed-methods></cors>
                <cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins></cors>
                <cors><allowed-origins><origin>app.contoso.com</origin></allowed-origins><allowed-method /></cors>
                <cors allow-credential="true"><allowed-origins><origin>*</origin></allowed-origins><allowed-methods preflight-result-max-age="-1"><method>GET</method></allowed-methods></cors>""")).containsExactly(
                "p.xml:1:20: error: <cors> needs <allowed-origins> with at least one <origin> (an origin such as https://app.contoso.com, or *)",
                "p.xml:2:7: error: <cors allow-credentials=\"true\"> cannot be combined with <origin>*</origin>: browsers refuse credentials for a wildcard origin; list the origins",
                "p.xml:3:74: error: unexpected <allowed-method> inside <cors> (did you mean 'allowed-methods'?); expected: <allowed-headers>, <allowed-methods>, <allowed-origins>, <expose-headers>",
                "p.xml:3:7: error: <origin> 'app.contoso.com' is not an origin (expected scheme://host[:port] such as https://app.contoso.com, or *)",
                "p.xml:4:7: error: unknown attribute 'allow-credential' on <cors> (did you mean 'allow-credentials'?); expected one of: allow-credentials, terminate-unmatched-request",
                "p.xml:4:101: error: attribute 'preflight-result-max-age' on <allowed-methods>: '-1' (expected: a whole number 0-2147483647)");
    }
}
