package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Sliding windows of the counter store and of rate-limit / rate-limit-by-key, on a controlled clock. */
class SlidingWindowTest {
    /** Epoch ms at a multiple of 60 s, so buckets of 10 s and 60 s start here. */
    private static final long T0 = 1_800_000_000_000L - 1_800_000_000_000L % 60_000;
    private static final Duration TEN = Duration.ofSeconds(10);

    private final AtomicLong now = new AtomicLong(T0);
    private final InMemoryCounterStore store = new InMemoryCounterStore(now::get);

    private int allowed(String key, int attempts, long limit) {
        int n = 0;
        for (int i = 0; i < attempts; i++) {
            n += store.tryAddSliding(key, 1, limit, TEN).allowed() ? 1 : 0;
        }
        return n;
    }

    @Test
    void aBurstAtTheEndOfOneWindowIsStillCountedAtTheStartOfTheNext() {
        now.set(T0 + 9_000);
        assertThat(allowed("k", 12, 10)).isEqualTo(10);
        now.set(T0 + 10_001);
        assertThat(store.tryAddSliding("k", 1, 10, TEN).allowed()).as("a fixed window would start again from 0 here").isFalse();
        now.set(T0 + 18_999);
        assertThat(allowed("k", 1, 10)).as("counted until its sub-bucket is a whole period old").isZero();
        now.set(T0 + 19_000);
        assertThat(allowed("k", 12, 10)).isEqualTo(10);
    }

    @Test
    void callsSpreadOverTheWindowLeaveItOneSubBucketAtATime() {
        for (int second = 0; second < 10; second++) {
            now.set(T0 + second * 1_000L);
            assertThat(allowed("k", 1, 10)).isEqualTo(1);
        }
        now.set(T0 + 9_500);
        assertThat(allowed("k", 1, 10)).isZero();
        now.set(T0 + 10_000);
        assertThat(allowed("k", 2, 10)).as("only the call of second 0 has left").isEqualTo(1);
    }

    @Test
    void aRefusedCallIsToldHowLongUntilItFits() {
        now.set(T0 + 5_000);
        assertThat(allowed("k", 10, 10)).isEqualTo(10);
        now.set(T0 + 10_000);
        CounterStore.Count refused = store.tryAddSliding("k", 1, 10, TEN);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.count()).isEqualTo(10);
        assertThat(refused.millisToReset()).isEqualTo(5_000);
        now.addAndGet(4_999);
        assertThat(store.tryAddSliding("k", 1, 10, TEN).allowed()).isFalse();
        now.addAndGet(1);
        CounterStore.Count ok = store.tryAddSliding("k", 1, 10, TEN);
        assertThat(ok.allowed()).isTrue();
        assertThat(ok.count()).isEqualTo(1);

        now.set(T0 + 100_000);
        assertThat(allowed("full", 3, 3)).isEqualTo(3);
        assertThat(store.tryAddSliding("full", 1, 3, TEN).millisToReset()).as("never more than one period").isEqualTo(10_000);
        assertThat(store.tryAddSliding("x", 5, 4, TEN).allowed()).as("more than the limit never fits").isFalse();
    }

    @Test
    void slidingStatesOfIdleKeysAreSwept() {
        for (int i = 0; i < 5000; i++) {
            store.tryAddSliding("old-" + i, 1, 1, TEN);
        }
        now.addAndGet(20_000);
        for (int i = 0; i < 5000; i++) {
            store.tryAddSliding("new-" + i, 1, 1, TEN);
        }
        assertThat(store.windowCount()).isLessThan(9000);
        assertThat(store.tryAddSliding("new-1", 1, 1, TEN).allowed()).as("live keys keep their count").isFalse();
    }

    @Test
    void slidingCountsAreExactUnderContention() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            results.add(pool.submit(() -> {
                start.await();
                int n = 0;
                for (int i = 0; i < 5000; i++) {
                    n += store.tryAddSliding("shared", 1, 7000, TEN).allowed() ? 1 : 0;
                }
                return n;
            }));
        }
        start.countDown();
        int total = 0;
        for (Future<Integer> f : results) {
            total += f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(total).isEqualTo(7000);
    }

    @Test
    void rateLimitPolicySlidesOnTheEnvironmentsCounterStore() {
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().counterStore(store).build());
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound>
                  <rate-limit calls="2" renewal-period="60" remaining-calls-header-name="X-Remaining" />
                </inbound><backend><forward-request/></backend></policies>""");
        now.set(T0 + 59_000);
        assertThat(status(p)).isEqualTo(200);
        assertThat(status(p)).isEqualTo(200);
        now.set(T0 + 61_000);
        PolicyContext refused = call();
        Exchange x = Harness.run(p, refused, new Harness.RecordingForwarder());
        assertThat(refused.response().statusCode()).isEqualTo(429);
        // the calls fell in the sub-bucket 54-60 s, which leaves the window at 114 s
        assertThat(((PolicyRejection) x.failure()).responseHeaders()).containsEntry("Retry-After", "53");
        now.set(T0 + 113_999);
        assertThat(status(p)).isEqualTo(429);
        now.set(T0 + 114_000);
        PolicyContext ok = call();
        Harness.run(p, ok, new Harness.RecordingForwarder());
        assertThat(ok.response().statusCode()).isEqualTo(200);
        assertThat(ok.response().headers().getValueOrDefault("X-Remaining", null)).isEqualTo("1");
    }

    @Test
    void rateLimitByKeySlidesPerKey() {
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().counterStore(store).build());
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound>
                  <rate-limit-by-key calls="1" renewal-period="10" counter-key="@(context.Request.IpAddress)" />
                </inbound><backend><forward-request/></backend></policies>""");
        now.set(T0 + 9_000);
        assertThat(status(p)).isEqualTo(200);
        now.set(T0 + 12_000);
        assertThat(status(p)).as("the call of 9 s is still in the window").isEqualTo(429);
        now.set(T0 + 19_000);
        assertThat(status(p)).as("the refused call was not counted").isEqualTo(200);
    }

    private static PolicyContext call() {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://gw.local/x"));
        c.request().ipAddress("10.0.0.9");
        c.api(new ApiInfo("sliding", "s", "s", Url.parse("https://backend.local"), ""));
        return c;
    }

    private static int status(EffectivePolicy p) {
        PolicyContext c = call();
        Harness.run(p, c, new Harness.RecordingForwarder());
        return c.response().statusCode();
    }
}
