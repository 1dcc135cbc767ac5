package io.gatehouse.proxy.externalcache;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.gatehouse.config.model.RedisConnection;
import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.policy.elements.InMemoryCounterStore;
import io.gatehouse.policy.elements.PolicyRejection;
import io.gatehouse.proxy.RedisServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis counters' coalescing against a real {@code redis-server}: the calls one event loop
 * makes for one key while a script call of that key is in flight go to Redis together in one
 * script call, decided one after the other as separate calls would be (never more admitted than
 * the limit), each with its own count and Retry-After; other keys are not held behind them; a
 * queued call still waits no longer than the timeout.
 */
class RedisCounterBatchingTest {
    private static final String PASSWORD = "test-pass-b47c";

    @TempDir
    Path tmp;

    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final java.util.concurrent.atomic.AtomicLong overLimit = new java.util.concurrent.atomic.AtomicLong();
    private final RedisExternalCache.Failures recorder = new RedisExternalCache.Failures() {
        @Override
        public void failed(String operation, String kind) {
            failures.add(operation + "/" + kind);
        }

        @Override
        public void admittedOverLimit(long calls) {
            overLimit.addAndGet(calls);
        }
    };
    private EventLoopGroup loops;
    private ExternalCaches caches;

    @BeforeEach
    void loops() {
        // the gateway's transport, so the connection is registered on the loop as in the gateway
        loops = new MultiThreadIoEventLoopGroup(1, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    @AfterEach
    void close() {
        if (caches != null) {
            caches.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private RedisExternalCache connect(RedisServer redis, ExternalCacheSettings.FailureMode mode, Duration timeout) {
        return connect(redis, mode, timeout, true);
    }

    private RedisExternalCache connect(RedisServer redis, ExternalCacheSettings.FailureMode mode, Duration timeout, boolean early) {
        caches = new ExternalCaches(loops, Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class, recorder, () -> { });
        return caches.forConfig(new ExternalCacheSettings(RedisConnection.parse("redis://:" + PASSWORD + "@127.0.0.1:" + redis.port, w -> { }),
                timeout, mode, "t:", early, null), List.of());
    }

    private EventExecutor loop() {
        return loops.next();
    }

    /** One call as the policies make it. */
    private record Call(long amount, long limit) {
    }

    /** Makes the calls one after the other in one task of the loop (so all but the first queue), and waits for the answers. */
    private static List<CounterStore.Count> together(EventExecutor loop, RedisExternalCache cache, boolean sliding, String key,
                                                     List<Call> calls, Duration period) throws Exception {
        List<CompletableFuture<CounterStore.Count>> answers = loop.submit(() -> {
            List<CompletableFuture<CounterStore.Count>> l = new ArrayList<>();
            for (Call c : calls) {
                l.add((sliding ? cache.tryAddSlidingAsync(key, c.amount, c.limit, period) : cache.tryAddAsync(key, c.amount, c.limit, period))
                        .toCompletableFuture());
            }
            return l;
        }).get(5, TimeUnit.SECONDS);
        List<CounterStore.Count> out = new ArrayList<>();
        for (CompletableFuture<CounterStore.Count> a : answers) {
            out.add(a.get(5, TimeUnit.SECONDS));
        }
        return out;
    }

    /** The same calls, each made once the previous one was answered: no batching possible. */
    private static List<CounterStore.Count> oneByOne(EventExecutor loop, RedisExternalCache cache, boolean sliding, String key,
                                                     List<Call> calls, Duration period) throws Exception {
        List<CounterStore.Count> out = new ArrayList<>();
        for (Call c : calls) {
            CompletableFuture<CounterStore.Count> a = loop.submit(() -> (sliding ? cache.tryAddSlidingAsync(key, c.amount, c.limit, period)
                    : cache.tryAddAsync(key, c.amount, c.limit, period)).toCompletableFuture()).get(5, TimeUnit.SECONDS);
            out.add(a.get(5, TimeUnit.SECONDS));
        }
        return out;
    }

    /** How many times Redis ran a counter script (EVALSHA and EVAL) since the last CONFIG RESETSTAT. */
    private static long scriptCalls(RedisServer redis) {
        String stats = redis.command("INFO", "commandstats");
        long n = 0;
        Matcher m = Pattern.compile("cmdstat_(evalsha|eval):calls=(\\d+)").matcher(stats);
        while (m.find()) {
            n += Long.parseLong(m.group(2));
        }
        return n;
    }

    private static List<Call> ones(int n, long limit) {
        List<Call> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new Call(1, limit));
        }
        return l;
    }

    @Test
    void concurrentCallsForOneKeyGoTogetherAndAdmitExactlyTheLimitEachWithItsOwnCount() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            Duration minute = Duration.ofSeconds(60);
            oneByOne(loop(), cache, true, "warm", ones(1, 1), minute); // the scripts are loaded: every later call is one EVALSHA
            oneByOne(loop(), cache, false, "warm", ones(1, 1), minute);
            assertThat(redis.command("CONFIG", "RESETSTAT")).startsWith("+OK");

            int n = 40;
            int m = 15;
            // the batched and the one-by-one calls fall in one sub-bucket (a tenth of the minute, on the server's clock,
            // which is this machine's), so their Retry-After can be compared: start just after a sub-bucket begins
            long intoSubBucket = System.currentTimeMillis() % 6_000;
            if (intoSubBucket > 2_000) {
                Thread.sleep(6_000 - intoSubBucket + 50);
            }
            for (boolean sliding : new boolean[] {true, false}) {
                String key = sliding ? "rl" : "quota";
                long before = scriptCalls(redis);
                List<CounterStore.Count> batched = together(loop(), cache, sliding, key, ones(n, m), minute);
                // made in one task of the loop: they go together, in one script call, once the task is done
                assertThat(scriptCalls(redis) - before).as("script calls for %d calls (sliding %s)", n, sliding).isEqualTo(1);
                for (int i = 0; i < n; i++) {
                    CounterStore.Count c = batched.get(i);
                    if (i < m) {
                        assertThat(c.allowed()).as("call %d", i + 1).isTrue();
                        assertThat(c.count()).as("call %d: remaining %d", i + 1, m - c.count()).isEqualTo(i + 1);
                    } else {
                        assertThat(c.allowed()).as("call %d", i + 1).isFalse();
                        assertThat(c.count()).isEqualTo(m);
                        // Retry-After: until the window (sliding: the sub-bucket of the counted calls) lets one more in
                        assertThat(c.secondsToReset()).isBetween(sliding ? 54L : 58L, 60L);
                        assertThat(c.millisToReset()).isEqualTo(batched.get(m).millisToReset()); // one instant on the server
                    }
                }
                assertThat(batched.stream().filter(CounterStore.Count::allowed).count()).isEqualTo(m);
                String stored = sliding ? redis.command("HGETALL", "t:s:rl") : redis.command("GET", "t:c:quota");
                assertThat(stored).contains("\r\n" + m + "\r\n"); // counted once each, no more

                // the same calls one by one on another key: the same answers
                List<CounterStore.Count> sequential = oneByOne(loop(), cache, sliding, key + "-seq", ones(n, m), minute);
                for (int i = 0; i < n; i++) {
                    assertThat(batched.get(i).allowed()).isEqualTo(sequential.get(i).allowed());
                    assertThat(batched.get(i).count()).isEqualTo(sequential.get(i).count());
                    assertThat(batched.get(i).secondsToReset()).isCloseTo(sequential.get(i).secondsToReset(), org.assertj.core.data.Offset.offset(1L));
                }
            }
            assertThat(failures).isEmpty();
        }
    }

    /** Makes the calls in one task of the loop and says, per call, whether its stage was complete when the call returned. */
    private static List<Boolean> doneAtOnce(EventExecutor loop, RedisExternalCache cache, boolean sliding, String key, List<Call> calls,
                                            Duration period, List<CompletableFuture<CounterStore.Count>> answers) throws Exception {
        return loop.submit(() -> {
            List<Boolean> l = new ArrayList<>();
            for (Call c : calls) {
                CompletableFuture<CounterStore.Count> f = (sliding ? cache.tryAddSlidingAsync(key, c.amount, c.limit, period)
                        : cache.tryAddAsync(key, c.amount, c.limit, period)).toCompletableFuture();
                l.add(f.isDone());
                answers.add(f);
            }
            return l;
        }).get(5, TimeUnit.SECONDS);
    }

    /** The counter Redis holds for {@code key}: the sum of a sliding window's sub-buckets, or a fixed window's value. */
    private static long stored(RedisServer redis, boolean sliding, String key) {
        String raw = sliding ? redis.command("HVALS", "t:s:" + key) : redis.command("GET", "t:c:" + key);
        long sum = 0;
        for (String line : raw.split("\r\n")) {
            if (line.matches("-?\\d+")) {
                sum += Long.parseLong(line);
            }
        }
        return sum;
    }

    @Test
    void farFromItsLimitACallIsAdmittedAtOnceAndStillCountedInRedis() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            Duration minute = Duration.ofSeconds(60);
            for (boolean sliding : new boolean[] {true, false}) {
                String key = sliding ? "early-rl" : "early-quota";
                EventExecutor loop = loop();
                // the first call of a key waits: nothing is known of its count yet
                List<CompletableFuture<CounterStore.Count>> first = new ArrayList<>();
                assertThat(doneAtOnce(loop, cache, sliding, key, ones(1, 1000), minute, first)).containsExactly(false);
                assertThat(first.get(0).get(5, TimeUnit.SECONDS).count()).isEqualTo(1);
                List<CompletableFuture<CounterStore.Count>> answers = new ArrayList<>();
                List<Boolean> done = doneAtOnce(loop, cache, sliding, key, ones(50, 1000), minute, answers);
                assertThat(done).as("sliding %s", sliding).containsOnly(true);
                for (int i = 0; i < 50; i++) {
                    CounterStore.Count c = answers.get(i).getNow(null);
                    assertThat(c.allowed()).isTrue();
                    assertThat(c.count()).as("call %d's count (remaining calls = limit - count)", i + 2).isEqualTo(i + 2);
                }
                // each is still counted in Redis, with the next script call
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (stored(redis, sliding, key) < 51 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(stored(redis, sliding, key)).isEqualTo(51);
            }
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void withinTheLastTenthOfTheLimitEveryCallWaitsForRedisAndTheLimitHolds() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            Duration minute = Duration.ofSeconds(60);
            for (boolean sliding : new boolean[] {true, false}) {
                String key = sliding ? "edge-rl" : "edge-quota";
                EventExecutor loop = loop();
                oneByOne(loop, cache, sliding, key, ones(1, 100), minute);
                List<CompletableFuture<CounterStore.Count>> answers = new ArrayList<>();
                List<Boolean> done = doneAtOnce(loop, cache, sliding, key, ones(150, 100), minute, answers);
                // counted 1, then the calls that keep the count within 90 (1 + 89) are admitted at once; the rest wait
                for (int i = 0; i < 150; i++) {
                    assertThat(done.get(i)).as("call %d admitted at once (sliding %s)", i + 2, sliding).isEqualTo(i < 89);
                }
                long allowed = 0;
                for (int i = 0; i < 150; i++) {
                    CounterStore.Count c = answers.get(i).get(5, TimeUnit.SECONDS);
                    if (c.allowed()) {
                        allowed++;
                        assertThat(c.count()).isEqualTo(i + 2);
                    } else {
                        assertThat(c.count()).isEqualTo(100);
                    }
                }
                assertThat(allowed + 1).as("admitted in all (sliding %s)", sliding).isEqualTo(100);
                assertThat(stored(redis, sliding, key)).isEqualTo(100);
            }
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void smallLimitsAndOldAnswersAreAlwaysDecidedByRedis() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            EventExecutor loop = loop();
            Duration minute = Duration.ofSeconds(60);
            oneByOne(loop, cache, true, "small", ones(1, 99), minute);
            assertThat(doneAtOnce(loop, cache, true, "small", ones(3, 99), minute, new ArrayList<>())).containsOnly(false);
            // a one-second window: an answer older than a tenth of it is not trusted
            Duration second = Duration.ofSeconds(1);
            oneByOne(loop, cache, true, "fast", ones(1, 1000), second);
            List<CompletableFuture<CounterStore.Count>> answers = new ArrayList<>();
            assertThat(doneAtOnce(loop, cache, true, "fast", ones(1, 1000), second, answers)).containsExactly(true);
            answers.get(0).get(5, TimeUnit.SECONDS);
            Thread.sleep(100); // the batch of that call has been answered (a fresh answer), then 100 ms more
            Thread.sleep(60);
            assertThat(doneAtOnce(loop, cache, true, "fast", ones(1, 1000), second, new ArrayList<>())).containsExactly(false);
            assertThat(failures).isEmpty();
        }
    }

    /**
     * Early admission's inexactness, shown and counted: gateway A last heard a count of 1 (fresh),
     * gateway B then takes the count to 96 behind A's back, and A admits 20 more early (1 + 20
     * stays within 90 as far as A knows): Redis counts them all (116), and the 16 that went past
     * the limit of 100 are reported ({@code gatehouse_external_cache_early_over_limit_total}).
     * The next call on A waits for Redis and is refused.
     */
    @Test
    void anEarlyAdmissionFromAStaleCountIsCountedWhenItPassesTheLimit() throws Exception {
        EventLoopGroup otherLoops = new MultiThreadIoEventLoopGroup(1, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ExternalCaches other = null;
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache a = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            other = new ExternalCaches(otherLoops, Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class,
                    (op, kind) -> failures.add("B " + op + "/" + kind), () -> { });
            RedisExternalCache b = other.forConfig(new ExternalCacheSettings(RedisConnection.parse("redis://:" + PASSWORD + "@127.0.0.1:"
                    + redis.port, w -> { }), Duration.ofSeconds(2), ExternalCacheSettings.FailureMode.OPEN, "t:", true, null), List.of());
            Duration minute = Duration.ofSeconds(60);
            EventExecutor loopA = loop();
            oneByOne(loopA, a, true, "shared", ones(1, 100), minute); // A knows: 1
            together(otherLoops.next(), b, true, "shared", ones(95, 100), minute); // B, in one script call: 96 in Redis
            assertThat(stored(redis, true, "shared")).isEqualTo(96);
            List<CompletableFuture<CounterStore.Count>> answers = new ArrayList<>();
            assertThat(doneAtOnce(loopA, a, true, "shared", ones(20, 100), minute, answers)).containsOnly(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (overLimit.get() < 16 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(stored(redis, true, "shared")).isEqualTo(116);
            assertThat(overLimit.get()).isEqualTo(16);
            // A now knows 116: the next call waits for Redis, which refuses it
            List<CompletableFuture<CounterStore.Count>> next = new ArrayList<>();
            assertThat(doneAtOnce(loopA, a, true, "shared", ones(1, 100), minute, next)).containsExactly(false);
            assertThat(next.get(0).get(5, TimeUnit.SECONDS).allowed()).isFalse();

            // one early call between two that wait (limits under 100 are never early): still counted when over
            oneByOne(loopA, a, true, "mixed", List.of(new Call(1, 1000)), minute); // A knows: 1
            together(otherLoops.next(), b, true, "mixed", List.of(new Call(1049, 1_000_000)), minute); // 1050 in Redis
            List<CompletableFuture<CounterStore.Count>> mixed = new ArrayList<>();
            assertThat(doneAtOnce(loopA, a, true, "mixed", List.of(new Call(1, 50), new Call(1, 1000), new Call(1, 50)), minute, mixed))
                    .containsExactly(false, true, false);
            assertThat(mixed.get(0).get(5, TimeUnit.SECONDS).allowed()).isFalse();
            assertThat(mixed.get(2).get(5, TimeUnit.SECONDS).allowed()).isFalse();
            assertThat(overLimit.get()).isEqualTo(17);
            assertThat(failures).isEmpty();
        } finally {
            if (other != null) {
                other.close();
            }
            otherLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * Early admission stops once Redis stops answering: a call made while the key's last script
     * call is younger than the timeout is admitted early, but once that call has timed out nothing
     * is known of the count, and with {@code failureMode: closed} the next call waits and is
     * refused with 503.
     */
    @Test
    void earlyAdmissionStopsWhenRedisStopsAnsweringAndFailureModeClosedRefuses() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.CLOSED, Duration.ofMillis(200));
            EventExecutor loop = loop();
            Duration minute = Duration.ofSeconds(60);
            oneByOne(loop, cache, true, "stops", ones(1, 1000), minute); // known: 1
            long pid = pid(redis.port);
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
            try {
                assertThat(doneAtOnce(loop, cache, true, "stops", ones(1, 1000), minute, new ArrayList<>())).containsExactly(true);
                Thread.sleep(400); // its script call times out (200 ms): the count is no longer known
                List<CompletableFuture<CounterStore.Count>> after = new ArrayList<>();
                assertThat(doneAtOnce(loop, cache, true, "stops", ones(1, 1000), minute, after)).containsExactly(false);
                Throwable cause = org.assertj.core.api.Assertions.catchThrowable(() -> after.get(0).get(5, TimeUnit.SECONDS));
                assertThat(cause).hasCauseInstanceOf(PolicyRejection.class);
                assertThat(((PolicyRejection) cause.getCause()).status()).isEqualTo(503);
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
            }
            assertThat(failures).contains("counter/timeout");
        }
    }

    @Test
    void withEarlyAdmissionOffEveryCallWaitsForRedis() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2), false);
            EventExecutor loop = loop();
            Duration minute = Duration.ofSeconds(60);
            oneByOne(loop, cache, true, "exact", ones(1, 1000), minute);
            List<CompletableFuture<CounterStore.Count>> answers = new ArrayList<>();
            assertThat(doneAtOnce(loop, cache, true, "exact", ones(20, 1000), minute, answers)).containsOnly(false);
            for (int i = 0; i < 20; i++) {
                assertThat(answers.get(i).get(5, TimeUnit.SECONDS).count()).isEqualTo(i + 2);
            }
        }
    }

    @Test
    void aBatchAnswersAsTheInMemoryStoreDoesCallForCall() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(2));
            Duration period = Duration.ofSeconds(30);
            // counted calls of several sizes, checks (amount 0, limit - 1), a call bigger than the limit, taking back
            List<Call> calls = new ArrayList<>();
            long[][] pattern = {{1, 10}, {2, 10}, {0, 9}, {3, 10}, {11, 10}, {2, 10}, {-1, Long.MAX_VALUE}, {1, 10}, {1, 10}, {0, 9},
                    {1, 10}, {2, 10}, {1, 10}, {0, 9}, {1, 10}};
            for (long[] p : pattern) {
                calls.add(new Call(p[0], p[1]));
            }
            for (boolean sliding : new boolean[] {true, false}) {
                InMemoryCounterStore local = new InMemoryCounterStore(System::currentTimeMillis);
                List<CounterStore.Count> redisAnswers = together(loop(), cache, sliding, "mix", calls, period);
                for (int i = 0; i < calls.size(); i++) {
                    Call c = calls.get(i);
                    CounterStore.Count mem = sliding ? local.tryAddSliding("mix", c.amount, c.limit, period) : local.tryAdd("mix", c.amount, c.limit, period);
                    CounterStore.Count r = redisAnswers.get(i);
                    assertThat(r.allowed()).as("call %d %s (sliding %s)", i + 1, c, sliding).isEqualTo(mem.allowed());
                    assertThat(r.count()).as("call %d %s (sliding %s)", i + 1, c, sliding).isEqualTo(mem.count());
                    if (sliding && !r.allowed() && c.amount > c.limit) {
                        assertThat(r.millisToReset()).isEqualTo(mem.millisToReset()).isEqualTo(30_000); // never fits: a whole period
                    }
                    assertThat(r.millisToReset()).isBetween(1L, 30_000L);
                }
                assertThat(redisAnswers.stream().filter(CounterStore.Count::allowed).count()).isLessThan(calls.size());
            }
        }
    }

    @Test
    void callsMadeWhileTheirKeyIsInFlightQueueButAnotherKeyGoesAtOnce() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(3));
            Duration period = Duration.ofSeconds(60);
            oneByOne(loop(), cache, true, "warm", ones(1, 1), period);
            assertThat(redis.command("CONFIG", "RESETSTAT")).startsWith("+OK");
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            EventExecutor loop = loop();
            List<CompletableFuture<CounterStore.Count>> all = Collections.synchronizedList(new ArrayList<>());
            java.util.function.BiConsumer<String, String> call = (key, name) -> {
                CompletableFuture<CounterStore.Count> f = cache.tryAddSlidingAsync(key, 1, 10, period).toCompletableFuture();
                f.whenComplete((c, t) -> order.add(name));
                all.add(f);
            };
            long pid = pid(redis.port);
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor(); // answers wait: a1 stays in flight
            try {
                loop.submit(() -> call.accept("a", "a1")).get(5, TimeUnit.SECONDS);
                Thread.sleep(100); // a1 has gone to Redis
                // a2 and a3 wait for a1's answer; b1 has nothing in flight and goes at once, beside a1
                loop.submit(() -> {
                    call.accept("a", "a2");
                    call.accept("b", "b1");
                    call.accept("a", "a3");
                }).get(5, TimeUnit.SECONDS);
                Thread.sleep(100);
                assertThat(order).isEmpty();
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
            }
            for (CompletableFuture<CounterStore.Count> f : all) {
                assertThat(f.get(5, TimeUnit.SECONDS).allowed()).isTrue();
            }
            // b1 was not held behind key a: answered before a2 and a3, which left only once a1 was answered
            assertThat(order).containsExactly("a1", "b1", "a2", "a3");
            assertThat(all.get(1).get().count()).isEqualTo(2); // a2
            assertThat(all.get(2).get().count()).isEqualTo(1); // b1
            assertThat(all.get(3).get().count()).isEqualTo(3); // a3
            assertThat(scriptCalls(redis)).isEqualTo(3); // a1; b1; a2 and a3 together
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void callsFromManyTasksOfOneLoopNeverAdmitMoreThanTheLimit() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(3));
            Duration period = Duration.ofSeconds(60);
            int n = 200;
            int m = 57;
            EventExecutor loop = loop();
            List<CompletableFuture<CounterStore.Count>> all = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < n; i++) { // one request after another, as connections deliver them: batches of whatever was waiting
                loop.execute(() -> all.add(cache.tryAddSlidingAsync("many", 1, m, period).toCompletableFuture()));
                if (i % 20 == 0) {
                    Thread.sleep(1);
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (all.size() < n && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(all).hasSize(n);
            List<Long> admittedCounts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CounterStore.Count c = all.get(i).get(5, TimeUnit.SECONDS);
                if (c.allowed()) {
                    admittedCounts.add(c.count());
                    assertThat(i).as("admitted in the order asked").isEqualTo(admittedCounts.size() - 1);
                } else {
                    assertThat(c.count()).isEqualTo(m);
                    assertThat(c.secondsToReset()).isBetween(54L, 60L);
                }
            }
            assertThat(admittedCounts).hasSize(m);
            for (int i = 0; i < m; i++) {
                assertThat(admittedCounts.get(i)).isEqualTo(i + 1); // each with its own remaining count
            }
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void aQueuedCallWaitsNoLongerThanTheTimeoutInAll() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            long timeout = 300;
            RedisExternalCache cache = connect(redis, ExternalCacheSettings.FailureMode.CLOSED, Duration.ofMillis(timeout));
            Duration period = Duration.ofSeconds(60);
            assertThat(oneByOne(loop(), cache, true, "h", ones(1, 5), period).get(0).allowed()).isTrue();
            long pid = pid(redis.port);
            new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
            try {
                EventExecutor loop = loop();
                long[] asked = new long[2];
                long[] answered = new long[2];
                Throwable[] outcome = new Throwable[2];
                CompletableFuture<Void> both = new CompletableFuture<>();
                loop.execute(() -> {
                    asked[0] = System.nanoTime();
                    cache.tryAddSlidingAsync("h", 1, 5, period).whenComplete((c, t) -> {
                        answered[0] = System.nanoTime();
                        outcome[0] = t;
                    });
                    // the second call comes 150 ms later, while the first is in flight: it queues behind it
                    loop.schedule(() -> {
                        asked[1] = System.nanoTime();
                        cache.tryAddSlidingAsync("h", 1, 5, period).whenComplete((c, t) -> {
                            answered[1] = System.nanoTime();
                            outcome[1] = t;
                            both.complete(null);
                        });
                    }, 150, TimeUnit.MILLISECONDS);
                });
                both.get(5, TimeUnit.SECONDS);
                for (int i = 0; i < 2; i++) {
                    long waited = TimeUnit.NANOSECONDS.toMillis(answered[i] - asked[i]);
                    assertThat(waited).as("call %d waited", i + 1).isBetween(timeout - 20, timeout + 150);
                    Throwable cause = outcome[i] instanceof CompletionException ? outcome[i].getCause() : outcome[i];
                    assertThat(cause).as("call %d", i + 1).isInstanceOf(PolicyRejection.class); // failureMode closed: 503
                    assertThat(((PolicyRejection) cause).status()).isEqualTo(503);
                }
                // the queued call was not failed with the first: it waited its own time
                assertThat(TimeUnit.NANOSECONDS.toMillis(answered[1] - answered[0])).isGreaterThanOrEqualTo(100);
                assertThat(failures).containsExactly("counter/timeout", "counter/timeout");
                assertThat(caches.health()).containsEntry("state", "down");
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
            }
            // answering again: the limit goes on from what Redis holds (the two stopped calls may have been counted after all)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            CounterStore.Count c = null;
            while (System.nanoTime() < deadline) {
                try {
                    c = oneByOne(loop(), cache, true, "h", ones(1, 5), period).get(0);
                    break;
                } catch (java.util.concurrent.ExecutionException stillDown) {
                    Thread.sleep(100);
                }
            }
            assertThat(c).isNotNull();
            assertThat(c.allowed()).isTrue();
            assertThat(c.count()).isBetween(2L, 4L);
        }
    }

    /** The pid of the redis-server listening on {@code port}. */
    private static long pid(int port) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "pgrep -f 'redis-server 127.0.0.1:" + port + "'").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
