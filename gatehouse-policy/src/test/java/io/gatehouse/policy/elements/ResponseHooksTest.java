package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.spi.Policy;
import org.junit.jupiter.api.Test;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static io.gatehouse.policy.elements.Policies.compile;
import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

/** Exchange.onResponse: headers decided in inbound reach whatever response finally leaves. */
class ResponseHooksTest {
    private static final String CORS = """
            <cors><allowed-origins><origin>https://app.contoso.com</origin></allowed-origins></cors>""";
    private static final String CHECK = """
            <check-header name="X-Key" failed-check-httpcode="401" failed-check-error-message="Missing key" ignore-case="true" />""";

    private static PolicyContext crossOrigin() {
        PolicyContext c = request("GET", "https://api.local/items");
        c.api(new ApiInfo("api-" + UUID.randomUUID(), "a", "a", Url.parse("https://backend.local"), ""));
        c.request().headers().set("Origin", "https://app.contoso.com");
        return c;
    }

    private static String h(PolicyContext c, String name) {
        return c.response().headers().getValueOrDefault(name, null);
    }

    @Test
    void corsHeadersReachAnErrorResponse() {
        EffectivePolicy p = compile("<policies><inbound>" + CORS + CHECK + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext c = crossOrigin();
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(h(c, "Access-Control-Allow-Origin")).isEqualTo("https://app.contoso.com");
        assertThat(h(c, "Vary")).isEqualTo("Origin");
        assertThat(h(c, "Content-Type")).isEqualTo("application/json");
    }

    @Test
    void corsHeadersReachAnErrorResponseRewrittenByOnError() {
        EffectivePolicy p = compile("<policies><inbound>" + CORS + CHECK + "</inbound><backend><forward-request/></backend>"
                + "<on-error><return-response><set-status code=\"403\" reason=\"No\" /></return-response></on-error></policies>");
        PolicyContext c = crossOrigin();
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(403);
        assertThat(h(c, "Access-Control-Allow-Origin")).isEqualTo("https://app.contoso.com");
    }

    @Test
    void corsHeadersReachAReturnResponseAndKeepTheBackendsVary() {
        EffectivePolicy early = compile("<policies><inbound>" + CORS + "<return-response><set-status code=\"202\" reason=\"Accepted\" />"
                + "</return-response></inbound><backend><forward-request/></backend></policies>");
        PolicyContext c = crossOrigin();
        Harness.run(early, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(202);
        assertThat(h(c, "Access-Control-Allow-Origin")).isEqualTo("https://app.contoso.com");

        EffectivePolicy forward = compile("<policies><inbound>" + CORS + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext d = crossOrigin();
        Forwarder backend = (x, s) -> {
            x.context().response().statusCode(200).body(MessageBody.ofString("ok", "text/plain"));
            x.context().response().headers().set("Vary", "Accept");
            return CompletableFuture.supplyAsync(() -> null);
        };
        Harness.run(forward, d, backend);
        assertThat(h(d, "Access-Control-Allow-Origin")).isEqualTo("https://app.contoso.com");
        assertThat(h(d, "Vary")).isEqualTo("Accept,Origin");
    }

    @Test
    void rateLimitHeadersReachAnErrorResponseAndTheBackendsResponse() {
        String limit = "<rate-limit calls=\"5\" renewal-period=\"60\" remaining-calls-header-name=\"X-Remaining\" total-calls-header-name=\"X-Total\" />";
        EffectivePolicy failing = compile("<policies><inbound>" + limit + CHECK + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext c = crossOrigin();
        Harness.run(failing, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(h(c, "X-Remaining")).isEqualTo("4");
        assertThat(h(c, "X-Total")).isEqualTo("5");

        EffectivePolicy ok = compile("<policies><inbound>" + limit + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext d = crossOrigin();
        Harness.run(ok, d, new Harness.RecordingForwarder());
        assertThat(Harness.body(d)).isEqualTo("from backend");
        assertThat(h(d, "X-Remaining")).isEqualTo("4");
    }

    @Test
    void aRefusingRateLimitKeepsItsOwnRemainingHeader() {
        EffectivePolicy p = compile("<policies><inbound>"
                + "<rate-limit calls=\"100\" renewal-period=\"60\" remaining-calls-header-name=\"X-Remaining\" />"
                + "<rate-limit-by-key calls=\"1\" renewal-period=\"60\" counter-key=\"@(context.Api.Id)\" remaining-calls-header-name=\"X-Remaining\" />"
                + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext first = crossOrigin();
        Harness.run(p, first, new Harness.RecordingForwarder());
        PolicyContext second = request("GET", "https://api.local/items");
        second.api(first.api());
        Harness.run(p, second, new Harness.RecordingForwarder());
        assertThat(second.response().statusCode()).isEqualTo(429);
        assertThat(h(second, "X-Remaining")).isEqualTo("0");
    }

    @Test
    void hooksRunOnceInOrderAndOneThatThrowsIsTracedAndSkipped() {
        Policy hooks = x -> {
            x.onResponse(r -> r.headers().add("X-Order", "1"));
            x.onResponse(r -> {
                throw new IllegalStateException("boom");
            });
            x.onResponse(r -> r.headers().add("X-Order", "2"));
            return Policy.DONE;
        };
        EffectivePolicy p = compile("<policies><inbound /><backend><forward-request/></backend></policies>");
        PolicyContext c = request("GET", "https://api.local/x");
        Exchange x = new Exchange(c);
        hooks.apply(x);
        p.execute(x, new Harness.RecordingForwarder()).toCompletableFuture().join();
        assertThat(h(c, "X-Order")).isEqualTo("1,2");
        assertThat(x.traces()).anyMatch(t -> t.message().contains("response hook failed") && t.message().contains("boom"));
        p.execute(x, new Harness.RecordingForwarder()).toCompletableFuture().join();
        assertThat(h(c, "X-Order")).as("not run a second time").isEqualTo("1,2");
    }
}
