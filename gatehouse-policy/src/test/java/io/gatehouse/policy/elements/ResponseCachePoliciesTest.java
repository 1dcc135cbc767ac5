package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.User;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.elements.cache.ResponseCache;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** cache-lookup and cache-store: hits, misses, keys, what is stored, downstream headers, diagnostics, APIM's examples. */
class ResponseCachePoliciesTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final ResponseCache cache = new ResponseCache(1 << 20, 64 << 10, nanos::get);
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().responseCache(cache).build());

    /** A backend that counts calls and answers with {@link #status}, {@link #headers} and a body naming the call. */
    private final AtomicInteger calls = new AtomicInteger();
    private int status = 200;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final Forwarder backend = (exchange, settings) -> {
        int n = calls.incrementAndGet();
        exchange.context().response().statusCode(status).statusReason(status == 200 ? "OK" : "Other")
                .body(MessageBody.ofString("answer " + n, "application/json"));
        headers.forEach(exchange.context().response().headers()::set);
        return CompletableFuture.completedFuture(null);
    };

    private EffectivePolicy policy(String lookup, String store) {
        return Harness.compile(engine, "<policies><inbound>" + lookup + "</inbound><backend><forward-request/></backend><outbound>"
                + store + "</outbound></policies>");
    }

    private static final String LOOKUP = "<cache-lookup vary-by-developer=\"false\" vary-by-developer-groups=\"false\">"
            + "<vary-by-query-parameter>version</vary-by-query-parameter></cache-lookup>";

    private static PolicyContext get(String url) {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse(url));
        c.api(new ApiInfo("patients", "Patients", "patients", Url.parse("https://backend.local/api"), ""));
        return c;
    }

    private String call(EffectivePolicy p, PolicyContext c) {
        Harness.run(p, c, backend);
        return Harness.body(c);
    }

    @Test
    void aStoredResponseAnswersTheNextGetWithoutTheBackendUntilItExpires() {
        EffectivePolicy p = policy(LOOKUP, "<cache-store duration=\"60\" />");
        headers.put("X-Backend", "b1");
        assertThat(call(p, get("https://gw.local/patients/1?version=2"))).isEqualTo("answer 1");
        PolicyContext hit = get("https://gw.local/patients/1?version=2");
        assertThat(call(p, hit)).isEqualTo("answer 1");
        assertThat(calls.get()).as("second call answered from the cache").isEqualTo(1);
        assertThat(hit.response().statusCode()).isEqualTo(200);
        assertThat(hit.response().headers().getValueOrDefault("X-Backend", null)).isEqualTo("b1");
        assertThat(hit.response().body().contentType()).isEqualTo("application/json");

        nanos.addAndGet(Duration.ofSeconds(30).toNanos());
        PolicyContext aged = get("https://gw.local/patients/1?version=2");
        assertThat(call(p, aged)).isEqualTo("answer 1");
        assertThat(aged.response().headers().getValueOrDefault("Age", null)).isEqualTo("30");

        nanos.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(call(p, get("https://gw.local/patients/1?version=2"))).as("expired after 60 s").isEqualTo("answer 2");
    }

    @Test
    void theKeyHasThePathAndTheListedQueryParametersOnly() {
        EffectivePolicy p = policy(LOOKUP, "<cache-store duration=\"60\" />");
        call(p, get("https://gw.local/patients/1?version=1&trace=a"));
        assertThat(call(p, get("https://gw.local/patients/1?trace=b&version=1"))).as("unlisted parameter ignored").isEqualTo("answer 1");
        assertThat(call(p, get("https://gw.local/patients/1?version=2"))).isEqualTo("answer 2");
        assertThat(call(p, get("https://gw.local/patients/2?version=1"))).isEqualTo("answer 3");
        PolicyContext otherApi = get("https://gw.local/patients/1?version=1");
        otherApi.api(new ApiInfo("labs", "Labs", "labs", Url.parse("https://labs.local"), ""));
        assertThat(call(p, otherApi)).isEqualTo("answer 4");
    }

    @Test
    void variesByHeaderCaseInsensitivelyAndBySemicolonSeparatedParameters() {
        EffectivePolicy p = policy("""
                <cache-lookup vary-by-developer="false" vary-by-developer-groups="false">
                  <vary-by-header>Accept</vary-by-header>
                  <vary-by-query-parameter>a;b</vary-by-query-parameter>
                </cache-lookup>""", "<cache-store duration=\"60\" />");
        PolicyContext json = get("https://gw.local/x?a=1&b=1");
        json.request().headers().set("accept", "application/json");
        call(p, json);
        PolicyContext json2 = get("https://gw.local/x?a=1&b=1");
        json2.request().headers().set("ACCEPT", "application/json");
        assertThat(call(p, json2)).isEqualTo("answer 1");
        PolicyContext xml = get("https://gw.local/x?a=1&b=1");
        xml.request().headers().set("Accept", "application/xml");
        assertThat(call(p, xml)).isEqualTo("answer 2");
        PolicyContext otherB = get("https://gw.local/x?a=1&b=2");
        otherB.request().headers().set("Accept", "application/json");
        assertThat(call(p, otherB)).isEqualTo("answer 3");
    }

    @Test
    void varyByDeveloperKeepsEachCallersAnswerApart() {
        EffectivePolicy p = policy("<cache-lookup vary-by-developer=\"true\" vary-by-developer-groups=\"false\" downstream-caching-type=\"public\" />",
                "<cache-store duration=\"60\" />");
        PolicyContext alice = get("https://gw.local/me");
        alice.user(new User("alice", "a@x", "A", "L"));
        assertThat(call(p, alice)).isEqualTo("answer 1");
        assertThat(alice.response().headers().getValueOrDefault("Cache-Control", null))
                .as("public is lowered to private when the answer is per caller").isEqualTo("private, max-age=60, must-revalidate");
        PolicyContext bob = get("https://gw.local/me");
        bob.user(new User("bob", "b@x", "B", "L"));
        assertThat(call(p, bob)).isEqualTo("answer 2");
        PolicyContext alice2 = get("https://gw.local/me");
        alice2.user(new User("alice", "a@x", "A", "L"));
        assertThat(call(p, alice2)).isEqualTo("answer 1");
    }

    @Test
    void onlyGetIsCachedAndAuthorizationNeedsAllowPrivateResponseCaching() {
        EffectivePolicy p = policy(LOOKUP, "<cache-store duration=\"60\" />");
        PolicyContext post = get("https://gw.local/x");
        post.request().method("POST");
        call(p, post);
        PolicyContext post2 = get("https://gw.local/x");
        post2.request().method("POST");
        assertThat(call(p, post2)).isEqualTo("answer 2");
        assertThat(call(p, get("https://gw.local/x"))).as("the POSTs stored nothing").isEqualTo("answer 3");

        PolicyContext auth = get("https://gw.local/private");
        auth.request().headers().set("Authorization", "Bearer a");
        call(p, auth);
        PolicyContext auth2 = get("https://gw.local/private");
        auth2.request().headers().set("Authorization", "Bearer a");
        assertThat(call(p, auth2)).as("requests with Authorization are not cached by default").isEqualTo("answer 5");

        EffectivePolicy allowing = policy("""
                <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" allow-private-response-caching="true">
                  <vary-by-header>Authorization</vary-by-header>
                </cache-lookup>""", "<cache-store duration=\"60\" />");
        PolicyContext a = get("https://gw.local/private");
        a.request().headers().set("Authorization", "Bearer a");
        call(allowing, a);
        PolicyContext a2 = get("https://gw.local/private");
        a2.request().headers().set("Authorization", "Bearer a");
        assertThat(call(allowing, a2)).isEqualTo("answer 6");
        PolicyContext b = get("https://gw.local/private");
        b.request().headers().set("Authorization", "Bearer b");
        assertThat(call(allowing, b)).isEqualTo("answer 7");
    }

    @Test
    void storesOnly200UnlessCacheResponseIsTrue() {
        status = 404;
        EffectivePolicy p = policy(LOOKUP, "<cache-store duration=\"60\" />");
        call(p, get("https://gw.local/missing"));
        assertThat(call(p, get("https://gw.local/missing"))).isEqualTo("answer 2");

        EffectivePolicy any = policy(LOOKUP, "<cache-store duration=\"60\" cache-response=\"@(context.Response.StatusCode == 404)\" />");
        call(any, get("https://gw.local/missing"));
        PolicyContext hit = get("https://gw.local/missing");
        assertThat(call(any, hit)).isEqualTo("answer 3");
        assertThat(hit.response().statusCode()).isEqualTo(404);
    }

    @Test
    void honoursNoStoreAndPrivateFromTheBackendAndDropsSetCookie() {
        EffectivePolicy p = policy(LOOKUP, "<cache-store duration=\"60\" />");
        headers.put("Cache-Control", "no-store");
        call(p, get("https://gw.local/a"));
        assertThat(call(p, get("https://gw.local/a"))).isEqualTo("answer 2");
        headers.put("Cache-Control", "max-age=10, Private");
        call(p, get("https://gw.local/b"));
        assertThat(call(p, get("https://gw.local/b"))).isEqualTo("answer 4");

        headers.put("Cache-Control", "max-age=10");
        headers.put("Set-Cookie", "session=abc");
        call(p, get("https://gw.local/c"));
        PolicyContext hit = get("https://gw.local/c");
        assertThat(call(p, hit)).isEqualTo("answer 5");
        assertThat(hit.response().headers().containsKey("Set-Cookie")).isFalse();
        assertThat(hit.response().headers().getValueOrDefault("Cache-Control", null)).as("none leaves the backend's").isEqualTo("max-age=10");
    }

    @Test
    void downstreamCachingTypeSetsCacheControlWithTheSecondsLeft() {
        EffectivePolicy p = policy("<cache-lookup vary-by-developer=\"false\" vary-by-developer-groups=\"false\" downstream-caching-type=\"public\" must-revalidate=\"false\" />",
                "<cache-store duration=\"100\" />");
        PolicyContext miss = get("https://gw.local/d");
        call(p, miss);
        assertThat(miss.response().headers().getValueOrDefault("Cache-Control", null)).isEqualTo("public, max-age=100");
        nanos.addAndGet(Duration.ofSeconds(40).toNanos());
        PolicyContext hit = get("https://gw.local/d");
        call(p, hit);
        assertThat(hit.response().headers().getValueOrDefault("Cache-Control", null)).isEqualTo("public, max-age=60");
    }

    @Test
    void storeWithoutLookupAndZeroDurationStoreNothing() {
        EffectivePolicy storeOnly = policy("", "<cache-store duration=\"60\" />");
        call(storeOnly, get("https://gw.local/e"));
        assertThat(cache.size()).isZero();
        EffectivePolicy zero = policy(LOOKUP, "<cache-store duration=\"@(0)\" />");
        call(zero, get("https://gw.local/e"));
        assertThat(call(zero, get("https://gw.local/e"))).isEqualTo("answer 3");
    }

    @Test
    void theCacheIsBoundedByBytesAndSkipsOversizedResponses() {
        ResponseCache small = new ResponseCache(10_000, 2_000, nanos::get);
        assertThat(small.put("big", 200, "OK", List.of(), new byte[5_000], null, Duration.ofMinutes(1))).isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(small.put("k" + i, 200, "OK", List.of(), new byte[1_000], null, Duration.ofMinutes(1))).isTrue();
        }
        assertThat(small.weightedSize()).isLessThanOrEqualTo(10_000);
        assertThat(small.size()).isLessThan(100);
    }

    @Test
    void declaresThatItReadsTheResponseBody() {
        assertThat(policy(LOOKUP, "<cache-store duration=\"60\" />").readsResponseBody()).isTrue();
        assertThat(policy(LOOKUP, "").readsResponseBody()).isFalse();
    }

    @Test
    void reportsWrongAttributesAndSections() {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("c.xml", """
                <policies><inbound>
                <cache-lookup vary-by-developer="maybe" downstream-caching-type="shared" caching-type="external">
                  <vary-by-header />
                  <vary-by-cookie>a</vary-by-cookie>
                </cache-lookup>
                <cache-store duration="60" />
                </inbound><outbound>
                <cache-store duration="-1" cache-respons="true" />
                <cache-store />
                </outbound></policies>"""), Scope.API, d);
        assertThat(d.all().stream().map(Object::toString).toList()).containsExactly(
                "c.xml:4:3: error: unexpected <vary-by-cookie> inside <cache-lookup>; expected: <vary-by-header>, <vary-by-query-parameter>",
                "c.xml:2:1: error: <cache-lookup> is missing the required attribute 'vary-by-developer-groups'",
                "c.xml:2:15: error: attribute 'vary-by-developer' on <cache-lookup>: 'maybe' (expected: true, false or a policy expression)",
                "c.xml:2:41: error: attribute 'downstream-caching-type' on <cache-lookup>: 'shared' (expected one of: none, private, public)",
                "c.xml:2:74: error: caching-type 'external' on <cache-lookup>: the config has no external cache (set gateway.externalCache.connectionString, or use internal or prefer-external)",
                "c.xml:3:3: error: <vary-by-header> is empty (expected: a header name)",
                "c.xml:6:1: error: policy 'cache-store' is not allowed in the inbound section (allowed in: outbound)",
                "c.xml:8:28: error: unknown attribute 'cache-respons' on <cache-store> (did you mean 'cache-response'?); expected one of: cache-response, duration",
                "c.xml:8:14: error: attribute 'duration' on <cache-store>: '-1' (expected: a whole number 0-2147483647 or a policy expression)",
                "c.xml:9:1: error: <cache-store> is missing the required attribute 'duration'");
    }

    @Test
    void warnsWhenPrivateResponsesWouldBeSharedBetweenCallers() {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("w.xml", """
                <policies><inbound>
                <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" allow-private-response-caching="true" />
                </inbound></policies>"""), Scope.API, d);
        assertThat(d.all().stream().map(Object::toString).toList()).containsExactly(
                "w.xml:2:74: warning: <cache-lookup allow-private-response-caching=\"true\"> without <vary-by-header>Authorization</vary-by-header> "
                        + "or vary-by-developer: one caller's private response will be served to others");
        Diagnostics ok = new Diagnostics();
        engine.parse(new SourceText("w.xml", """
                <policies><inbound>
                <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" allow-private-response-caching="true">
                  <vary-by-header>authorization</vary-by-header>
                </cache-lookup>
                </inbound></policies>"""), Scope.API, ok);
        assertThat(ok.all()).isEmpty();
    }

    /** APIM's first documented example ("seconds" replaced by a number, as the doc means). */
    @Test
    void apimExampleWithCorrespondingCacheStore() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies>
                    <inbound>
                        <base />
                        <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="none" must-revalidate="true" caching-type="internal" >
                            <vary-by-query-parameter>version</vary-by-query-parameter>
                        </cache-lookup>
                    </inbound>
                    <outbound>
                        <cache-store duration="3600" />
                        <base />
                    </outbound>
                </policies>""");
        call(p, get("https://gw.local/v?version=1"));
        assertThat(call(p, get("https://gw.local/v?version=1"))).isEqualTo("answer 1");
        assertThat(call(p, get("https://gw.local/v?version=2"))).isEqualTo("answer 2");
    }

    /** APIM's second documented example: the duration follows the backend's Cache-Control max-age, else 300 s. */
    @Test
    void apimExampleDurationFromBackendMaxAge() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound>
                <cache-lookup vary-by-developer="false" vary-by-developer-groups="false" downstream-caching-type="public" must-revalidate="true" >
                  <vary-by-header>Accept</vary-by-header>
                  <vary-by-header>Accept-Charset</vary-by-header>
                </cache-lookup>
                </inbound><backend><forward-request/></backend><outbound>
                <cache-store duration="@{
                    var header = context.Response.Headers.GetValueOrDefault("Cache-Control","");
                    var maxAge = Regex.Match(header, @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value;
                    return (!string.IsNullOrEmpty(maxAge))?int.Parse(maxAge):300;
                  }"
                 />
                </outbound></policies>""");
        headers.put("Cache-Control", "max-age=20");
        PolicyContext first = get("https://gw.local/m");
        call(p, first);
        assertThat(first.response().headers().getValueOrDefault("Cache-Control", null)).isEqualTo("public, max-age=20, must-revalidate");
        nanos.addAndGet(Duration.ofSeconds(19).toNanos());
        assertThat(call(p, get("https://gw.local/m"))).isEqualTo("answer 1");
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(call(p, get("https://gw.local/m"))).isEqualTo("answer 2");

        headers.clear();
        call(p, get("https://gw.local/n"));
        nanos.addAndGet(Duration.ofSeconds(299).toNanos());
        assertThat(call(p, get("https://gw.local/n"))).as("300 s without max-age").isEqualTo("answer 3");
    }
}
