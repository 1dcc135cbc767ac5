package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.elements.cache.InMemoryValueCache;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** cache-lookup-value, cache-store-value, cache-remove-value and the in-memory store behind them. */
class CacheValuePoliciesTest {
    /** A key no other test uses: the process cache is shared. */
    private final String key = "k-" + UUID.randomUUID();

    private PolicyContext runWith(EffectivePolicy p, String clientId) {
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("X-Client", clientId);
        run(p, c);
        return c;
    }

    @Test
    void storedValueIsFoundByALaterRequestUntilRemoved() {
        EffectivePolicy store = inbound("""
                <cache-store-value key="@(&quot;%s-&quot; + context.Request.Headers.GetValueOrDefault(&quot;X-Client&quot;, &quot;&quot;))"
                  value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Client&quot;, &quot;&quot;).ToUpper())" duration="60" />""".formatted(key));
        EffectivePolicy lookup = inbound("""
                <cache-lookup-value key="%s-alice" variable-name="who" default-value="nobody" caching-type="internal" />""".formatted(key));
        EffectivePolicy remove = inbound("<cache-remove-value key=\"" + key + "-alice\" />");

        assertThat(runWith(lookup, "x").variables().get("who")).as("miss gives the default").isEqualTo("nobody");
        runWith(store, "alice");
        assertThat(runWith(lookup, "x").variables().get("who")).isEqualTo("ALICE");
        runWith(remove, "x");
        assertThat(runWith(lookup, "x").variables().get("who")).isEqualTo("nobody");
    }

    @Test
    void aMissWithoutDefaultLeavesTheVariableUnset() {
        PolicyContext c = runWith(inbound("<cache-lookup-value key=\"" + key + "\" variable-name=\"v\" />"), "x");
        assertThat(c.variables().containsKey("v")).isFalse();
        assertThat(c.lastError()).isNull();
    }

    @Test
    void entriesExpireAfterTheirDurationAndTheCacheIsBounded() {
        AtomicLong nanos = new AtomicLong();
        InMemoryValueCache cache = new InMemoryValueCache(10, nanos::get);
        cache.put("a", "1", Duration.ofSeconds(30));
        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(cache.get("a")).isEqualTo("1");
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(cache.get("a")).isNull();

        for (int i = 0; i < 1000; i++) {
            cache.put("k" + i, i, Duration.ofHours(1));
        }
        cache.get("k0"); // cleanup runs on access
        assertThat(cache.size()).isLessThanOrEqualTo(10);
    }

    @Test
    void reportsMissingAttributesAndTheExternalCache() {
        assertThat(inboundDiagnostics("""
                <cache-store-value key="a" />
                <cache-lookup-value key="a" variable-name="v" caching-type="external" />
                <cache-remove-value ky="a" />
                <cache-store-value key="a" value="b" duration="0" />"""))
                .containsExactly(
                        "p.xml:1:20: error: <cache-store-value> is missing the required attribute 'value'",
                        "p.xml:1:20: error: <cache-store-value> is missing the required attribute 'duration'",
                        "p.xml:2:47: error: caching-type 'external' on <cache-lookup-value>: the config has no external cache (set gateway.externalCache.connectionString, or use internal or prefer-external)",
                        "p.xml:3:21: error: unknown attribute 'ky' on <cache-remove-value> (did you mean 'key'?); expected one of: caching-type, key",
                        "p.xml:3:1: error: <cache-remove-value> is missing the required attribute 'key'",
                        "p.xml:4:38: error: attribute 'duration' on <cache-store-value>: '0' (expected: a whole number 1-2147483647 or a policy expression)");
    }
}
