package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.elements.cache.AsyncValueCache;
import io.gatehouse.policy.spi.ExternalCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The limit and cache policies over a store that answers later, on another thread (as the Redis
 * external cache does): the same statuses, headers and variables as over the in-memory store,
 * call for call, including rate-limit's and quota's API limits (a refused call taken back) and
 * conditions evaluated on the response; and caching-type external through the store.
 */
class AsyncLimitsAndExternalCacheTest {
    /**
     * One thread, first in first out: commands on one Redis connection are answered in the order
     * sent, so a count sent when a response leaves is in before the next request's check.
     */
    private final ExecutorService later = Executors.newSingleThreadExecutor();
    private final AtomicInteger asyncCalls = new AtomicInteger();
    /** Store calls asked and not answered yet, and the most there were at once. */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger mostOutstanding = new AtomicInteger();

    @AfterEach
    void stop() {
        later.shutdownNow();
    }

    /** An external cache over memory that answers after a millisecond on another thread. */
    private class SlowCache implements ExternalCache {
        final InMemoryCounterStore store = new InMemoryCounterStore(System::currentTimeMillis);
        final Map<String, Object> values = new ConcurrentHashMap<>();
        final Map<String, byte[]> responses = new ConcurrentHashMap<>();
        volatile boolean failing;

        <T> CompletionStage<T> slowly(Supplier<T> answer) {
            asyncCalls.incrementAndGet();
            mostOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            Executor delayed = CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS, later);
            return CompletableFuture.supplyAsync(() -> {
                outstanding.decrementAndGet();
                if (failing) {
                    throw new PolicyRejection(503, "external-cache", "ExternalCacheUnavailable", "down", "down",
                            Map.of("Retry-After", "1"));
                }
                return answer.get();
            }, delayed);
        }

        @Override
        public LimitCounters counters() {
            return new LimitCounters() {
                @Override
                public CompletionStage<CounterStore.Count> tryAddAsync(String key, long amount, long limit, Duration period) {
                    return slowly(() -> store.tryAdd(key, amount, limit, period));
                }

                @Override
                public CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
                    return slowly(() -> store.tryAddSliding(key, amount, limit, period));
                }
            };
        }

        @Override
        public AsyncValueCache values() {
            return new AsyncValueCache() {
                @Override
                public CompletionStage<Object> getAsync(String key) {
                    return slowly(() -> values.get(key));
                }

                @Override
                public CompletionStage<Void> putAsync(String key, Object value, Duration ttl) {
                    return slowly(() -> {
                        values.put(key, value);
                        return null;
                    });
                }

                @Override
                public CompletionStage<Void> removeAsync(String key) {
                    return slowly(() -> {
                        values.remove(key);
                        return null;
                    });
                }
            };
        }

        @Override
        public CompletionStage<byte[]> getResponse(String key) {
            return slowly(() -> responses.get(key));
        }

        @Override
        public CompletionStage<Void> putResponse(String key, byte[] entry, Duration ttl) {
            return slowly(() -> {
                responses.put(key, entry);
                return null;
            });
        }
    }

    private static EffectivePolicy compile(PolicyEnvironment env, String inbound, String outbound) {
        return Harness.compile(new PolicyEngine(env), "<policies><inbound>" + inbound + "</inbound><backend><forward-request/></backend>"
                + "<outbound>" + outbound + "</outbound></policies>");
    }

    private static PolicyContext call(String api, String op) {
        PolicyContext c = request("GET", "https://api.local/" + api + "/" + op);
        c.api(new ApiInfo(api, api, api, Url.parse("https://backend.local"), ""));
        c.operation(new io.gatehouse.expr.context.OperationInfo(op, op, "GET", "/" + op));
        c.request().ipAddress("10.0.0.1");
        return c;
    }

    /** What a client and later policies see of each call: status, Retry-After, the remaining-calls header and variable. */
    private static List<String> calls(EffectivePolicy p, int n, String api, String... ops) {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PolicyContext c = call(api, ops[i % ops.length]);
            Harness.RecordingForwarder f = new Harness.RecordingForwarder();
            var x = Harness.run(p, c, f);
            String retry = x.failure() instanceof PolicyRejection r ? r.responseHeaders().get("Retry-After") : null;
            seen.add(c.response().statusCode() + " retry=" + (retry == null ? "-" : "yes") + " remaining="
                    + c.response().headers().getValueOrDefault("X-Remaining", "-") + " left=" + c.variables().get("left")
                    + " forwarded=" + f.calls.get());
        }
        return seen;
    }

    private void sameAsInMemory(String inbound, String outbound, int n, String... ops) {
        PolicyEnvironment memory = PolicyEnvironment.builder().counterStore(new InMemoryCounterStore(System::currentTimeMillis)).build();
        PolicyEnvironment slow = PolicyEnvironment.builder().externalCache(new SlowCache()).build();
        String api = "API"; // fresh stores on both sides: nothing counted before
        List<String> expected = calls(compile(memory, inbound, outbound), n, api, ops);
        int before = asyncCalls.get();
        List<String> got = calls(compile(slow, inbound, outbound), n, api, ops);
        assertThat(got).isEqualTo(expected);
        assertThat(asyncCalls.get() - before).as("answered by the slow store").isGreaterThanOrEqualTo(n);
        assertThat(expected).anyMatch(s -> s.startsWith("200")).anyMatch(s -> !s.startsWith("200")); // the limit was reached
    }

    @Test
    void rateLimitWithAnOperationLimitAnswersAlikeAndTakesBackARefusedCall() {
        sameAsInMemory("""
                <rate-limit calls="4" renewal-period="60" remaining-calls-header-name="X-Remaining" remaining-calls-variable-name="left">
                  <api name="API" calls="10" renewal-period="60"><operation name="a" calls="1" renewal-period="60" /></api>
                </rate-limit>""", "", 8, "a", "b");
    }

    @Test
    void rateLimitByKeyWithAResponseConditionAnswersAlike() {
        sameAsInMemory("""
                <rate-limit-by-key calls="3" renewal-period="60" counter-key="k" remaining-calls-header-name="X-Remaining"
                   remaining-calls-variable-name="left" increment-condition="@(context.Response.StatusCode == 200)" />""", "", 6, "a");
        sameAsInMemory("""
                <rate-limit-by-key calls="2" renewal-period="60" counter-key="@(context.Request.IpAddress)" remaining-calls-header-name="X-Remaining" />""",
                "", 5, "a");
    }

    @Test
    void quotaWithAnApiQuotaAndQuotaByKeyAnswerAlike() {
        sameAsInMemory("""
                <quota calls="5" renewal-period="3600"><api name="API" calls="2" /></quota>""", "", 6, "a");
        sameAsInMemory("""
                <quota-by-key calls="3" renewal-period="3600" counter-key="q" increment-condition="@(context.Response.StatusCode == 200)" />""",
                "", 5, "a");
    }

    /**
     * A quota with an API and an operation quota under it: the three are checked together, then
     * counted together (two round trips to a shared store, not six), and still answer as in
     * memory, the outermost refusal first.
     */
    @Test
    void aQuotasApiAndOperationQuotasAreAskedTogether() {
        String quota = """
                <quota calls="4" renewal-period="3600"><api name="API" calls="3"><operation name="a" calls="1" /></api></quota>""";
        sameAsInMemory(quota, "", 6, "a", "b");
        mostOutstanding.set(0);
        EffectivePolicy p = compile(PolicyEnvironment.builder().externalCache(new SlowCache()).build(), quota, "");
        PolicyContext c = call("API", "a");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(mostOutstanding.get()).as("store calls in flight at once").isEqualTo(3);
    }

    /** rate-limit's own counter and its API's and operation's count a call together, one round trip. */
    @Test
    void aRateLimitsApiAndOperationLimitsCountTogether() {
        EffectivePolicy p = compile(PolicyEnvironment.builder().externalCache(new SlowCache()).build(), """
                <rate-limit calls="5" renewal-period="60"><api name="API" calls="4" renewal-period="60">
                  <operation name="a" calls="3" renewal-period="60" /></api></rate-limit>""", "");
        mostOutstanding.set(0);
        PolicyContext c = call("API", "a");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(mostOutstanding.get()).as("store calls in flight at once").isEqualTo(3);
    }

    /**
     * A store that fails closed on one counter (the operation's): the call is refused with 503,
     * and taken back from the counters that had counted it.
     */
    @Test
    void aCounterThatFailsTakesTheCallBackFromTheOthers() {
        AtomicInteger counted = new AtomicInteger();
        AtomicInteger takenBack = new AtomicInteger();
        SlowCache cache = new SlowCache() {
            @Override
            public LimitCounters counters() {
                LimitCounters real = super.counters();
                return new LimitCounters() {
                    @Override
                    public CompletionStage<CounterStore.Count> tryAddAsync(String key, long amount, long limit, Duration period) {
                        return real.tryAddAsync(key, amount, limit, period);
                    }

                    @Override
                    public CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
                        if (amount > 0 && limit == 3) { // the operation's counter
                            return CompletableFuture.failedFuture(new PolicyRejection(503, "external-cache", "ExternalCacheUnavailable",
                                    "down", "down", Map.of("Retry-After", "1")));
                        }
                        (amount > 0 ? counted : takenBack).incrementAndGet();
                        return real.tryAddSlidingAsync(key, amount, limit, period);
                    }
                };
            }
        };
        EffectivePolicy p = compile(PolicyEnvironment.builder().externalCache(cache).build(), """
                <rate-limit calls="5" renewal-period="60"><api name="API" calls="4" renewal-period="60">
                  <operation name="a" calls="3" renewal-period="60" /></api></rate-limit>""", "");
        PolicyContext c = call("API", "a");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(503);
        assertThat(c.lastError().reason()).isEqualTo("ExternalCacheUnavailable");
        assertThat(counted).as("the policy's and the API's counters").hasValue(2);
        assertThat(takenBack).as("both taken back").hasValue(2);
    }

    @Test
    void aStoreThatFailsClosedRefusesWith503() {
        SlowCache cache = new SlowCache();
        cache.failing = true;
        EffectivePolicy p = compile(PolicyEnvironment.builder().externalCache(cache).build(),
                "<rate-limit-by-key calls=\"3\" renewal-period=\"60\" counter-key=\"k\" />", "");
        PolicyContext c = call("api-x", "a");
        var x = Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(503);
        assertThat(c.lastError().source()).isEqualTo("external-cache");
        assertThat(c.lastError().reason()).isEqualTo("ExternalCacheUnavailable");
        assertThat(((PolicyRejection) x.failure()).responseHeaders()).containsEntry("Retry-After", "1");
    }

    @Test
    void externalCachingGoesThroughTheExternalStore() {
        SlowCache cache = new SlowCache();
        PolicyEnvironment env = PolicyEnvironment.builder().externalCache(cache).build();
        EffectivePolicy store = compile(env, "<cache-store-value key=\"greeting\" value=\"hi\" duration=\"60\" caching-type=\"external\" />", "");
        EffectivePolicy lookup = compile(env, "<cache-lookup-value key=\"greeting\" variable-name=\"g\" default-value=\"none\" />", ""); // prefer-external
        EffectivePolicy internal = compile(env, "<cache-lookup-value key=\"greeting\" variable-name=\"g\" default-value=\"none\" caching-type=\"internal\" />", "");
        Harness.run(store, call("api", "a"), new Harness.RecordingForwarder());
        assertThat(cache.values).containsEntry("greeting", "hi");
        PolicyContext c = call("api", "a");
        Harness.run(lookup, c, new Harness.RecordingForwarder());
        assertThat(c.variables().get("g")).isEqualTo("hi");
        PolicyContext i = call("api", "a");
        Harness.run(internal, i, new Harness.RecordingForwarder());
        assertThat(i.variables().get("g")).isEqualTo("none"); // internal stays in process

        // whole responses: stored by the first call, answered by the second without the backend
        EffectivePolicy responses = compile(env, "<cache-lookup vary-by-developer=\"false\" vary-by-developer-groups=\"false\" caching-type=\"external\" />",
                "<cache-store duration=\"60\" />");
        Harness.RecordingForwarder first = new Harness.RecordingForwarder();
        Harness.run(responses, call("api", "r"), first);
        assertThat(first.calls.get()).isEqualTo(1);
        assertThat(cache.responses).hasSize(1);
        Harness.RecordingForwarder second = new Harness.RecordingForwarder();
        PolicyContext hit = call("api", "r");
        Harness.run(responses, hit, second);
        assertThat(second.calls.get()).isZero();
        assertThat(hit.response().statusCode()).isEqualTo(200);
        assertThat(hit.response().headers().getValueOrDefault("Age", null)).isNotNull();

        // caching-type is read as a choice, in any case: "Internal" keeps responses in process, as validation read it
        EffectivePolicy local = compile(env, "<cache-lookup vary-by-developer=\"false\" vary-by-developer-groups=\"false\" caching-type=\"Internal\" />",
                "<cache-store duration=\"60\" />");
        Harness.run(local, call("api", "local"), new Harness.RecordingForwarder());
        assertThat(cache.responses).as("Redis's responses after an internal cache-lookup").hasSize(1);
    }
}
