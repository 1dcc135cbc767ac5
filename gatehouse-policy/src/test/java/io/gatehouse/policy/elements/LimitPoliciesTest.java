package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** rate-limit, rate-limit-by-key, quota, quota-by-key, limit-concurrency and the counter store. */
class LimitPoliciesTest {
    /** A request to an API with a fresh id, so counters of other tests never interfere. */
    private static PolicyContext call(String api) {
        PolicyContext c = request("GET", "https://api.local/" + api + "/x");
        c.api(new ApiInfo(api, api, api, Url.parse("https://backend.local"), ""));
        c.request().ipAddress("10.0.0.1");
        return c;
    }

    private static String freshApi() {
        return "api-" + UUID.randomUUID();
    }

    @Test
    void rateLimitRefusesTheCallOverTheLimitWith429AndRetryAfter() {
        EffectivePolicy p = inbound("<rate-limit calls=\"2\" renewal-period=\"60\" remaining-calls-variable-name=\"left\" retry-after-variable-name=\"wait\" remaining-calls-header-name=\"X-Remaining\" />");
        String api = freshApi();
        PolicyContext first = call(api);
        run(p, first);
        assertThat(first.variables().get("left")).isEqualTo(1);
        assertThat(first.response().headers().getValueOrDefault("X-Remaining", null)).isEqualTo("1");
        PolicyContext second = call(api);
        run(p, second);
        assertThat(second.response().statusCode()).isEqualTo(200);
        assertThat(second.variables().get("left")).isEqualTo(0);

        PolicyContext third = call(api);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Exchange x = Harness.run(p, third, f);
        assertThat(f.calls.get()).isZero();
        assertThat(third.response().statusCode()).isEqualTo(429);
        assertThat(third.lastError().source()).isEqualTo("rate-limit");
        assertThat(third.lastError().reason()).isEqualTo("RateLimitExceeded");
        assertThat(Harness.body(third)).matches("\\{\"statusCode\": 429, \"message\": \"Rate limit is exceeded. Try again in \\d+ seconds.\"}");
        assertThat((Integer) third.variables().get("wait")).isBetween(1, 60);
        PolicyRejection r = (PolicyRejection) x.failure();
        assertThat(r.responseHeaders()).containsKey("Retry-After").containsEntry("X-Remaining", "0");
        assertThat(Long.parseLong(r.responseHeaders().get("Retry-After"))).isBetween(1L, 60L);

        PolicyContext otherApi = call(freshApi());
        run(p, otherApi);
        assertThat(otherApi.response().statusCode()).as("counted per API").isEqualTo(200);
    }

    @Test
    void rateLimitByKeyCountsPerKeyAndHonoursIncrementCondition() {
        EffectivePolicy p = inbound("""
                <rate-limit-by-key calls="1" renewal-period="60"
                    counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-client&quot;, &quot;anon&quot;))"
                    increment-condition="@(context.Request.Method != &quot;HEAD&quot;)" />""");
        String a = "client-" + UUID.randomUUID();
        String b = "client-" + UUID.randomUUID();
        PolicyContext headA = call(freshApi());
        headA.request().method("HEAD").headers().set("x-client", a);
        run(p, headA);
        assertThat(headA.response().statusCode()).as("not counted").isEqualTo(200);
        PolicyContext a1 = call(freshApi());
        a1.request().headers().set("x-client", a);
        run(p, a1);
        assertThat(a1.response().statusCode()).isEqualTo(200);
        PolicyContext a2 = call(freshApi());
        a2.request().headers().set("x-client", a);
        run(p, a2);
        assertThat(a2.response().statusCode()).as("same key, any API").isEqualTo(429);
        assertThat(a2.lastError().source()).isEqualTo("rate-limit-by-key");
        PolicyContext headAgain = call(freshApi());
        headAgain.request().method("HEAD").headers().set("x-client", a);
        run(p, headAgain);
        assertThat(headAgain.response().statusCode()).as("checked even when not counted").isEqualTo(429);
        PolicyContext b1 = call(freshApi());
        b1.request().headers().set("x-client", b);
        run(p, b1);
        assertThat(b1.response().statusCode()).isEqualTo(200);
    }

    @Test
    void quotaRefusesCallsOverVolumeWith403() {
        EffectivePolicy p = inbound("<quota calls=\"1\" renewal-period=\"0\" />");
        String api = freshApi();
        PolicyContext ok = call(api);
        run(p, ok);
        assertThat(ok.response().statusCode()).isEqualTo(200);
        PolicyContext over = call(api);
        run(p, over);
        assertThat(over.response().statusCode()).isEqualTo(403);
        assertThat(over.lastError().source()).isEqualTo("quota");
        assertThat(over.lastError().reason()).isEqualTo("QuotaExceeded");
        assertThat(over.lastError().message()).startsWith("Out of call volume quota. Quota will be replenished in ");
    }

    @Test
    void quotaByKeyIncrementCountCountsEachRequestAsThatManyCalls() {
        EffectivePolicy p = inbound("<quota-by-key calls=\"5\" renewal-period=\"3600\" increment-count=\"@(2)\""
                + " counter-key=\"@(context.Request.IpAddress)\" />");
        String ip = "10.8." + (int) (Math.random() * 250) + "." + (int) (Math.random() * 250);
        for (int i = 0; i < 2; i++) { // 2 + 2 calls of 5
            PolicyContext ok = call(freshApi());
            ok.request().ipAddress(ip);
            run(p, ok);
            assertThat(ok.response().statusCode()).isEqualTo(200);
        }
        PolicyContext over = call(freshApi()); // 4 + 2 > 5
        over.request().ipAddress(ip);
        run(p, over);
        assertThat(over.response().statusCode()).isEqualTo(403);
        assertThat(over.lastError().message()).startsWith("Out of call volume quota.");
    }

    @Test
    void quotaByKeyCountsRequestKilobytes() {
        EffectivePolicy p = inbound("<quota-by-key bandwidth=\"2\" renewal-period=\"3600\" counter-key=\"@(context.Request.IpAddress)\" />");
        String ip = "10.9." + (int) (Math.random() * 250) + "." + (int) (Math.random() * 250);
        PolicyContext big = call(freshApi());
        big.request().ipAddress(ip).body(new MessageBody(new byte[1500], "application/octet-stream"));
        run(p, big);
        assertThat(big.response().statusCode()).isEqualTo(200);
        PolicyContext next = call(freshApi());
        next.request().ipAddress(ip).body(new MessageBody(new byte[1500], "application/octet-stream"));
        run(p, next);
        assertThat(next.response().statusCode()).isEqualTo(403);
        assertThat(next.lastError().source()).isEqualTo("quota-by-key");
        assertThat(next.lastError().message()).matches("Out of bandwidth quota. Quota will be replenished in (00:59:..|01:00:00)\\.");
    }

    @Test
    void limitConcurrencyRefusesTheExtraRequestAndGivesSlotsBack() throws Exception {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound /><backend>
                  <limit-concurrency key="@(context.Request.Headers.GetValueOrDefault(&quot;x-k&quot;, &quot;&quot;))" max-count="1">
                    <forward-request />
                  </limit-concurrency>
                </backend></policies>""");
        String key = "k-" + UUID.randomUUID();
        CompletableFuture<Void> backend = new CompletableFuture<>();
        AtomicInteger forwarded = new AtomicInteger();
        PolicyContext slow = call(freshApi());
        slow.request().headers().set("x-k", key);
        Exchange slowX = new Exchange(slow);
        CompletableFuture<Void> slowDone = p.execute(slowX, (x, s) -> {
            forwarded.incrementAndGet();
            return backend;
        }).toCompletableFuture();
        assertThat(slowDone).isNotDone();

        PolicyContext extra = call(freshApi());
        extra.request().headers().set("x-k", key);
        Harness.run(p, extra, new Harness.RecordingForwarder());
        assertThat(extra.response().statusCode()).isEqualTo(429);
        assertThat(extra.lastError().source()).isEqualTo("limit-concurrency");

        backend.complete(null);
        slowDone.get(5, TimeUnit.SECONDS);
        assertThat(forwarded.get()).isEqualTo(1);
        assertThat(((InMemoryCounterStore) CounterStore.local()).inUse("limit-concurrency|" + key)).isZero();

        PolicyContext after = call(freshApi());
        after.request().headers().set("x-k", key);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.failWith = new io.gatehouse.policy.GatewayException(502, "forward-request", "BackendConnectionFailure", "down");
        Harness.run(p, after, f);
        assertThat(after.response().statusCode()).isEqualTo(502);
        assertThat(((InMemoryCounterStore) CounterStore.local()).inUse("limit-concurrency|" + key)).as("released on failure too").isZero();
    }

    @Test
    void counterStoreWindowsRenewAndSweep() {
        AtomicLong now = new AtomicLong(1_000_000);
        InMemoryCounterStore s = new InMemoryCounterStore(now::get);
        assertThat(s.tryAdd("k", 1, 2, Duration.ofSeconds(10)).allowed()).isTrue();
        assertThat(s.tryAdd("k", 1, 2, Duration.ofSeconds(10)).count()).isEqualTo(2);
        now.addAndGet(4_000);
        CounterStore.Count refused = s.tryAdd("k", 1, 2, Duration.ofSeconds(10));
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.count()).isEqualTo(2);
        assertThat(refused.secondsToReset()).isEqualTo(6);
        now.addAndGet(6_000);
        assertThat(s.tryAdd("k", 1, 2, Duration.ofSeconds(10)).count()).as("a new window").isEqualTo(1);
        assertThat(s.tryAdd("k", 5, 2, Duration.ofSeconds(10)).allowed()).isFalse();
        for (int i = 0; i < 5000; i++) {
            s.tryAdd("one-off-" + i, 1, 1, Duration.ofMillis(1));
        }
        now.addAndGet(1_000);
        for (int i = 0; i < 5000; i++) {
            s.tryAdd("later-" + i, 1, 1, Duration.ofSeconds(100));
        }
        assertThat(s.windowCount()).as("ended windows are swept").isLessThan(9000);
    }

    @Test
    void counterStoreIsExactUnderContention() throws Exception {
        InMemoryCounterStore s = new InMemoryCounterStore(System::currentTimeMillis);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger maxInUse = new AtomicInteger();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            fs.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < 5000; i++) {
                    if (s.tryAdd("shared", 1, 7000, Duration.ofMinutes(5)).allowed()) {
                        allowed.incrementAndGet();
                    }
                    if (s.tryAcquire("slots", 3)) {
                        maxInUse.accumulateAndGet(s.inUse("slots"), Math::max);
                        s.release("slots");
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : fs) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(allowed.get()).isEqualTo(7000);
        assertThat(maxInUse.get()).isBetween(1, 3);
        assertThat(s.inUse("slots")).isZero();
    }

    @Test
    void reportsMissingAndBadAttributes() {
        assertThat(inboundDiagnostics("""
                <rate-limit calls="0" renewal-period="60" />
                <rate-limit calls="5"><operation name="x" calls="1" renewal-period="1" /><api calls="1" renewal-period="1"><op /></api></rate-limit>
                <rate-limit-by-key calls="5" renewal-period="60" />
                <quota renewal-period="60" />
                <quota-by-key calls="5" renewal-period="60" counter-key="k" first-period-start="2020-01-01T00:00:00Z" />
                <limit-concurrency key="k"><set-header name="a"><value>1</value></set-header></limit-concurrency>
                <rate-limit calls="5" renewal-period="60" retry-after-header="X" />""")).containsExactly(
                "p.xml:1:32: error: attribute 'calls' on <rate-limit>: '0' (expected: a whole number 1-2147483647)",
                "p.xml:2:1: error: <rate-limit> is missing the required attribute 'renewal-period'",
                "p.xml:2:23: error: <operation> limits of <rate-limit> go inside the <api> they belong to (expected: <api name=\"...\" ...><operation name=\"...\" .../></api>)",
                "p.xml:2:74: error: <api> needs 'id' or 'name' (expected: which API the limit is for)",
                "p.xml:3:1: error: <rate-limit-by-key> is missing the required attribute 'counter-key'",
                "p.xml:4:1: error: <quota> needs 'calls', 'bandwidth' (kilobytes) or both",
                "p.xml:5:61: warning: first-period-start on <quota-by-key> is not supported yet: quota windows start at the first counted call",
                "p.xml:6:1: error: <limit-concurrency> is missing the required attribute 'max-count'",
                "p.xml:7:43: error: unknown attribute 'retry-after-header' on <rate-limit> (did you mean 'retry-after-header-name'?); expected one of: calls, remaining-calls-header-name, remaining-calls-variable-name, renewal-period, retry-after-header-name, retry-after-variable-name, total-calls-header-name");
    }

    /** A request to operation {@code op} of API {@code api} (its id; its name is the id upper-cased). */
    private static PolicyContext call(String api, String op) {
        PolicyContext c = call(api);
        c.api(new ApiInfo(api, api.toUpperCase(java.util.Locale.ROOT), api, Url.parse("https://backend.local"), ""));
        c.operation(new io.gatehouse.expr.context.OperationInfo(op, op.toUpperCase(java.util.Locale.ROOT), "GET", "/" + op));
        return c;
    }

    private static int status(EffectivePolicy p, PolicyContext c) {
        run(p, c);
        return c.response().statusCode() == 0 ? 200 : c.response().statusCode();
    }

    @Test
    void rateLimitApiAndOperationChildrenLimitOnlyTheirOwnRequests() {
        String api = freshApi();
        EffectivePolicy p = inbound("""
                <rate-limit calls="100" renewal-period="60" remaining-calls-variable-name="left">
                    <api id="%s" calls="5" renewal-period="60">
                        <operation name="GET-ORDER" calls="2" renewal-period="30" />
                    </api>
                    <api name="Somebody else's" calls="1" renewal-period="60" />
                </rate-limit>""".formatted(api.toUpperCase(java.util.Locale.ROOT)));
        assertThat(status(p, call(api, "get-order"))).isEqualTo(200);
        assertThat(status(p, call(api, "get-order"))).isEqualTo(200);
        PolicyContext refused = call(api, "get-order");
        assertThat(status(p, refused)).as("the operation's own limit of 2").isEqualTo(429);
        assertThat(refused.lastError().reason()).isEqualTo("RateLimitExceeded");
        assertThat(refused.response().headers().getValueOrDefault("Retry-After", null)).isNotNull();
        assertThat(Long.parseLong(refused.response().headers().getValueOrDefault("Retry-After", null))).as("the operation's 30 s window")
                .isBetween(1L, 30L);
        assertThat(status(p, call(api, "list-orders"))).as("another operation: only the API's limit").isEqualTo(200);
        assertThat(status(p, call(api, "list-orders"))).isEqualTo(200);
        assertThat(status(p, call(api, "list-orders"))).as("the API's 5th call").isEqualTo(200);
        assertThat(status(p, call(api, "list-orders"))).as("over the API's limit of 5 (the refused call was not counted)").isEqualTo(429);
        PolicyContext other = call(freshApi(), "get-order");
        assertThat(status(p, other)).as("another API: only the outer limit").isEqualTo(200);
        assertThat(other.variables().get("left")).isEqualTo(99);
    }

    @Test
    void quotaApiAndOperationChildrenCountSeparatelyAndRefuseWith403() {
        String api = freshApi();
        EffectivePolicy p = inbound("""
                <quota calls="100" renewal-period="3600">
                    <api name="%s" calls="10" renewal-period="3600">
                        <operation id="export" calls="1" renewal-period="3600" />
                    </api>
                </quota>""".formatted(api.toUpperCase(java.util.Locale.ROOT)));
        assertThat(status(p, call(api, "export"))).isEqualTo(200);
        PolicyContext refused = call(api, "export");
        assertThat(status(p, refused)).isEqualTo(403);
        assertThat(refused.lastError().reason()).isEqualTo("QuotaExceeded");
        assertThat(Harness.body(refused)).contains("Out of call volume quota. Quota will be replenished in ");
        for (int i = 0; i < 9; i++) {
            assertThat(status(p, call(api, "import"))).as("call " + (i + 2) + " of the API's 10").isEqualTo(200);
        }
        assertThat(status(p, call(api, "import"))).as("the refused export was counted by none").isEqualTo(403);
    }

    @Test
    void rateLimitIsOnlyAllowedInbound() {
        assertThat(Policies.diagnostics("<policies><outbound><rate-limit calls=\"1\" renewal-period=\"1\" /></outbound></policies>"))
                .containsExactly("p.xml:1:21: error: policy 'rate-limit' is not allowed in the outbound section (allowed in: inbound)");
    }

    @Test
    void rejectionCarriesOnlyWhatTheClientMaySee() {
        PolicyRejection r = new PolicyRejection(429, "rate-limit", "RateLimitExceeded", "detail", "public", java.util.Map.of("Retry-After", "3"));
        assertThat(r.publicMessage()).isEqualTo("public");
        assertThat(r.status()).isEqualTo(429);
        assertThatThrownBy(() -> r.responseHeaders().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }
}
