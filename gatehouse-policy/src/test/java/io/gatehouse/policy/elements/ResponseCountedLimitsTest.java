package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Limits that depend on the response: increment-condition on context.Response, and quota bandwidth of response bodies. */
class ResponseCountedLimitsTest {
    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
            .counterStore(new InMemoryCounterStore(now::get)).build());

    private int backendStatus = 200;
    private String backendBody = "ok";
    private final Forwarder backend = (x, s) -> {
        x.context().response().statusCode(backendStatus).body(MessageBody.ofString(backendBody, "text/plain"));
        return CompletableFuture.completedFuture(null);
    };

    private EffectivePolicy policy(String inbound) {
        return Harness.compile(engine, "<policies><inbound>" + inbound + "</inbound><backend><forward-request/></backend></policies>");
    }

    private PolicyContext call(EffectivePolicy p) {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://gw.local/x"));
        c.request().ipAddress("10.9.8.7");
        c.api(new ApiInfo("limits", "l", "l", Url.parse("https://backend.local"), ""));
        Harness.run(p, c, backend);
        return c;
    }

    /** APIM's rate-limit-by-key example: only calls answered 200 count against the caller's IP. */
    @Test
    void apimRateLimitByKeyExampleCountsOnlySuccessfulResponses() {
        EffectivePolicy p = policy("""
                <rate-limit-by-key calls="10"
                      renewal-period="60"
                      increment-condition="@(context.Response.StatusCode == 200)"
                      counter-key="@(context.Request.IpAddress)"
                      remaining-calls-variable-name="remainingCallsPerIP"/>""");
        backendStatus = 500;
        for (int i = 0; i < 15; i++) {
            assertThat(call(p).response().statusCode()).as("failures are not counted").isEqualTo(500);
        }
        backendStatus = 200;
        for (int i = 0; i < 10; i++) {
            PolicyContext ok = call(p);
            assertThat(ok.response().statusCode()).isEqualTo(200);
            assertThat(ok.variables().get("remainingCallsPerIP")).isEqualTo(9 - i);
        }
        PolicyContext refused = call(p);
        assertThat(refused.response().statusCode()).isEqualTo(429);
        assertThat(refused.lastError().reason()).isEqualTo("RateLimitExceeded");
    }

    /** APIM's quota-by-key example: calls answered 2xx/3xx count, with their request and response kilobytes. */
    @Test
    void apimQuotaByKeyExampleCountsSuccessfulCallsAndTheirBandwidth() {
        EffectivePolicy p = policy("""
                <quota-by-key calls="10000"
                      bandwidth="3"
                      renewal-period="3600"
                      increment-condition="@(context.Response.StatusCode &gt;= 200 &amp;&amp; context.Response.StatusCode &lt; 400)"
                      counter-key="@(context.Request.IpAddress)" />""");
        backendBody = "x".repeat(1500);
        backendStatus = 404;
        for (int i = 0; i < 5; i++) {
            assertThat(call(p).response().statusCode()).as("not counted").isEqualTo(404);
        }
        backendStatus = 200;
        assertThat(call(p).response().statusCode()).isEqualTo(200);
        assertThat(call(p).response().statusCode()).as("2 KB counted, under 3").isEqualTo(200);
        PolicyContext refused = call(p);
        assertThat(refused.response().statusCode()).as("4 KB counted").isEqualTo(403);
        assertThat(refused.lastError().reason()).isEqualTo("QuotaExceeded");
    }

    @Test
    void quotaCountsResponseBodiesAndStreamedContentLength() {
        EffectivePolicy p = policy("<quota bandwidth=\"2\" renewal-period=\"60\" />");
        backendBody = "x".repeat(1500);
        assertThat(call(p).response().statusCode()).isEqualTo(200);
        assertThat(call(p).response().statusCode()).as("the first response's 2 KB were counted").isEqualTo(403);

        EffectivePolicy streamed = policy("<quota bandwidth=\"5\" renewal-period=\"60\" />");
        Forwarder streaming = (x, s) -> {
            x.context().response().statusCode(200).headers().set("Content-Length", "5000");
            return CompletableFuture.completedFuture(null);
        };
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://gw.local/s"));
        c.api(new ApiInfo("streamed", "s", "s", Url.parse("https://backend.local"), ""));
        Harness.run(streamed, c, streaming);
        PolicyContext second = new PolicyContext();
        second.request().method("GET").url(Url.parse("https://gw.local/s"));
        second.api(c.api());
        Harness.run(streamed, second, streaming);
        assertThat(second.response().statusCode()).as("5000 bytes by Content-Length = 5 KB").isEqualTo(403);
    }
}
