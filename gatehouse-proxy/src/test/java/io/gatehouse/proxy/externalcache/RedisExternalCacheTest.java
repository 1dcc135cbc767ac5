package io.gatehouse.proxy.externalcache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.gatehouse.config.model.RedisConnection;
import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.policy.elements.InMemoryCounterStore;
import io.gatehouse.policy.elements.PolicyRejection;
import io.gatehouse.policy.elements.cache.ResponseCache;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis counters' Lua scripts and the value and response store against a real
 * {@code redis-server}: the same answers as the in-memory store, keys that expire, and failures
 * that never wait longer than the timeout.
 */
class RedisExternalCacheTest {
    private static final String PASSWORD = "test-pass-5d1e";

    @TempDir
    Path tmp;

    private final List<String> failures = new ArrayList<>();
    private ExternalCaches caches;

    @AfterEach
    void close() {
        if (caches != null) {
            caches.close();
        }
    }

    private RedisExternalCache connect(String connectionString, ExternalCacheSettings.FailureMode mode, Duration timeout) {
        caches = new ExternalCaches(null, null, (op, kind) -> failures.add(op + "/" + kind), () -> { });
        RedisConnection c = RedisConnection.parse(connectionString, w -> { });
        return caches.forConfig(new ExternalCacheSettings(c, timeout, mode, "t:", null), List.of());
    }

    private static <T> T get(CompletionStage<T> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void slidingWindowsCountLikeTheInMemoryStore() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect("redis://:" + PASSWORD + "@127.0.0.1:" + redis.port, ExternalCacheSettings.FailureMode.OPEN,
                    Duration.ofSeconds(1));
            InMemoryCounterStore local = new InMemoryCounterStore(System::currentTimeMillis);
            Duration period = Duration.ofSeconds(2);
            for (int i = 1; i <= 3; i++) {
                CounterStore.Count r = get(cache.tryAddSlidingAsync("k", 1, 3, period));
                CounterStore.Count m = local.tryAddSliding("k", 1, 3, period);
                assertThat(r.allowed()).isEqualTo(m.allowed()).isTrue();
                assertThat(r.count()).isEqualTo(m.count()).isEqualTo(i);
            }
            CounterStore.Count refused = get(cache.tryAddSlidingAsync("k", 1, 3, period));
            CounterStore.Count localRefused = local.tryAddSliding("k", 1, 3, period);
            assertThat(refused.allowed()).isFalse();
            assertThat(localRefused.allowed()).isFalse();
            assertThat(refused.count()).isEqualTo(3);
            // until the sub-bucket of the first call leaves: between 90% and 100% of the period
            assertThat(refused.millisToReset()).isBetween(1L, 2000L);
            assertThat(refused.secondsToReset()).isEqualTo(2);
            // a check (amount 0, limit - 1), as rate-limit-by-key makes when increment-condition is false
            assertThat(get(cache.tryAddSlidingAsync("k", 0, 2, period)).allowed()).isFalse();
            // more than the limit in one call never fits: a whole period
            assertThat(get(cache.tryAddSlidingAsync("k", 5, 3, period)).millisToReset()).isEqualTo(2000);
            // the key lives no longer than the window
            long ttl = Long.parseLong(redis.command("PTTL", "t:s:k").replaceAll("[^0-9-]", ""));
            assertThat(ttl).isBetween(1L, 2000L);
            // taking back one (rate-limit's API/operation limits do when another refuses)
            assertThat(get(cache.tryAddSlidingAsync("k", -1, Long.MAX_VALUE, period)).count()).isEqualTo(2);
            assertThat(get(cache.tryAddSlidingAsync("k", 1, 3, period)).allowed()).isTrue();

            Thread.sleep(refused.millisToReset() + 250);
            CounterStore.Count again = get(cache.tryAddSlidingAsync("k", 1, 3, period));
            assertThat(again.allowed()).isTrue();
            Thread.sleep(2200);
            assertThat(redis.command("EXISTS", "t:s:k")).isEqualTo(":0\r\n"); // expired: nothing lives forever
        }
    }

    @Test
    void fixedWindowsStartAtTheFirstCallAndExpire() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect("127.0.0.1:" + redis.port + ",password=" + PASSWORD + ",abortConnect=False",
                    ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(1));
            Duration period = Duration.ofMillis(1500);
            assertThat(get(cache.tryAddAsync("q", 2, 3, period))).satisfies(c -> {
                assertThat(c.allowed()).isTrue();
                assertThat(c.count()).isEqualTo(2);
                assertThat(c.millisToReset()).isBetween(1L, 1500L);
            });
            CounterStore.Count over = get(cache.tryAddAsync("q", 2, 3, period));
            assertThat(over.allowed()).isFalse();
            assertThat(over.count()).isEqualTo(2); // nothing added
            assertThat(get(cache.tryAddAsync("q", 1, 3, period)).count()).isEqualTo(3);
            long ttl = Long.parseLong(redis.command("PTTL", "t:c:q").replaceAll("[^0-9-]", ""));
            assertThat(ttl).isBetween(1L, 1500L);
            Thread.sleep(1700);
            CounterStore.Count fresh = get(cache.tryAddAsync("q", 1, 3, period));
            assertThat(fresh.allowed()).isTrue();
            assertThat(fresh.count()).isEqualTo(1); // a new window
            // quota renewal-period="0" (a thousand years): PX takes it
            CounterStore.Count forever = get(cache.tryAddAsync("f", 1, 1, Duration.ofDays(365L * 1000)));
            assertThat(forever.allowed()).isTrue();
            assertThat(get(cache.tryAddAsync("f", 1, 1, Duration.ofDays(365L * 1000))).allowed()).isFalse();
            assertThat(failures).isEmpty();
        }
    }

    @Test
    void valuesAndResponsesGoThroughRedisWithTheirDurations() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            RedisExternalCache cache = connect("redis://:" + PASSWORD + "@127.0.0.1:" + redis.port, ExternalCacheSettings.FailureMode.OPEN,
                    Duration.ofSeconds(1));
            get(cache.putAsync("text", "héllo", Duration.ofSeconds(30)));
            get(cache.putAsync("n", 42, Duration.ofSeconds(30)));
            get(cache.putAsync("b", true, Duration.ofSeconds(3)));
            assertThat(get(cache.getAsync("text"))).isEqualTo("héllo");
            assertThat(get(cache.getAsync("n"))).isEqualTo(42);
            assertThat(get(cache.getAsync("b"))).isEqualTo(true);
            assertThat(get(cache.getAsync("absent"))).isNull();
            assertThat(Long.parseLong(redis.command("PTTL", "t:v:n").replaceAll("[^0-9-]", ""))).isBetween(1L, 30_000L);
            long bTtl = Long.parseLong(redis.command("PTTL", "t:v:b").replaceAll("[^0-9-]", ""));
            assertThat(bTtl).isBetween(1L, 3000L);
            Thread.sleep(bTtl + 200);
            assertThat(get(cache.getAsync("b"))).isNull(); // expired
            get(cache.removeAsync("text"));
            assertThat(get(cache.getAsync("text"))).isNull();

            ResponseCache.Entry e = new ResponseCache.Entry(200, "OK", List.of(Map.entry("X-A", List.of("1", "2"))),
                    "body".getBytes(StandardCharsets.UTF_8), "text/plain", 0, Duration.ofSeconds(10).toNanos());
            get(cache.putResponse("d1", e.toBytes(System.currentTimeMillis()), Duration.ofSeconds(10)));
            ResponseCache.Entry back = ResponseCache.Entry.fromBytes(get(cache.getResponse("d1")), System.nanoTime(),
                    System.currentTimeMillis());
            assertThat(back.status()).isEqualTo(200);
            assertThat(back.headers()).containsExactly(Map.entry("X-A", List.of("1", "2")));
            assertThat(new String(back.body(), StandardCharsets.UTF_8)).isEqualTo("body");
            assertThat(back.contentType()).isEqualTo("text/plain");
        }
    }

    @Test
    void aStoppedRedisNeverHoldsACallLongerThanTheTimeoutAndLimitsResume() throws Exception {
        int port = Ports.free();
        RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD, port);
        try {
            RedisExternalCache open = connect("redis://:" + PASSWORD + "@127.0.0.1:" + port, ExternalCacheSettings.FailureMode.OPEN,
                    Duration.ofMillis(50));
            assertThat(get(open.tryAddSlidingAsync("r", 1, 1, Duration.ofSeconds(60))).allowed()).isTrue();
            assertThat(get(open.tryAddSlidingAsync("r", 1, 1, Duration.ofSeconds(60))).allowed()).isFalse();

            // hung (SIGSTOP): the command is sent and never answered; the timeout ends the wait
            new ProcessBuilder("kill", "-STOP", Long.toString(pid(port))).start().waitFor();
            long t0 = System.nanoTime();
            CounterStore.Count passed = get(open.tryAddSlidingAsync("r", 1, 1, Duration.ofSeconds(60)));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(passed.allowed()).isTrue(); // fails open
            assertThat(waited).isLessThan(50 + 150);
            assertThat(get(open.getAsync("x"))).isNull(); // a lookup misses
            assertThat(failures).contains("counter/timeout", "lookup/timeout");
            assertThat(caches.health()).containsEntry("state", "down");
            new ProcessBuilder("kill", "-CONT", Long.toString(pid(port))).start().waitFor();

            // killed: the connection drops; calls fail at once while Lettuce reconnects
            redis.stop();
            t0 = System.nanoTime();
            assertThat(get(open.tryAddSlidingAsync("r", 1, 1, Duration.ofSeconds(60))).allowed()).isTrue();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(50 + 150);

            RedisExternalCache closed = caches.forConfig(new ExternalCacheSettings(RedisConnection.parse(
                    "redis://:" + PASSWORD + "@127.0.0.1:" + port, w -> { }), Duration.ofMillis(50),
                    ExternalCacheSettings.FailureMode.CLOSED, "t:", null), List.of());
            assertThatThrownBy(() -> get(closed.tryAddSlidingAsync("r", 1, 1, Duration.ofSeconds(60))))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(PolicyRejection.class)
                    .satisfies(t -> assertThat(((PolicyRejection) t).status()).isEqualTo(503));

            // back on the same port (empty: the restarted server lost its counters); Lettuce reconnects by itself
            redis.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!"up".equals(caches.health().get("state")) && System.nanoTime() < deadline) {
                get(open.getAsync("poke"));
                Thread.sleep(100);
            }
            assertThat(caches.health()).containsEntry("state", "up");
            // the same connection (a reload with another timeout keeps it), with room for a loaded test machine
            Object connection = caches.connection();
            RedisExternalCache patient = caches.forConfig(new ExternalCacheSettings(RedisConnection.parse(
                    "redis://:" + PASSWORD + "@127.0.0.1:" + port, w -> { }), Duration.ofSeconds(2),
                    ExternalCacheSettings.FailureMode.CLOSED, "t:", null), List.of());
            assertThat(caches.connection()).isSameAs(connection);
            assertThat(get(patient.tryAddSlidingAsync("r2", 1, 1, Duration.ofSeconds(60))).allowed()).isTrue();
            assertThat(get(patient.tryAddSlidingAsync("r2", 1, 1, Duration.ofSeconds(60))).allowed()).isFalse(); // the limit holds again
        } finally {
            redis.close();
        }
    }

    @Test
    void aWrongPasswordOrNothingListeningIsSaidWithHostAndPortButNoPassword() throws Exception {
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            connect("redis://:Wrong-Pass-77@127.0.0.1:" + redis.port, ExternalCacheSettings.FailureMode.OPEN, Duration.ofMillis(50));
            Map<String, Object> h = caches.health();
            assertThat(h).containsEntry("state", "down").containsEntry("endpoint", "redis://127.0.0.1:" + redis.port);
            assertThat(String.valueOf(h.get("reason"))).contains("authentication failed").doesNotContain("Wrong-Pass-77");
            caches.close();
        }
        int nothing = Ports.free();
        RedisExternalCache cache = connect("127.0.0.1:" + nothing + ",password=Wrong-Pass-77", ExternalCacheSettings.FailureMode.OPEN,
                Duration.ofMillis(50));
        Map<String, Object> h = caches.health();
        assertThat(h).containsEntry("state", "down").containsEntry("endpoint", "redis://127.0.0.1:" + nothing);
        assertThat(String.valueOf(h.get("reason"))).containsIgnoringCase("refused").doesNotContain("Wrong-Pass-77");
        long t0 = System.nanoTime();
        assertThat(get(cache.tryAddAsync("q", 1, 1, Duration.ofSeconds(5))).allowed()).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(100);
        assertThat(failures).contains("counter/unavailable");
    }

    /**
     * On loops of Lettuce's transport (the gateway's: epoll on Linux) each loop has a connection of
     * its own, registered on it, so Redis sees one client per loop; on other loops there is one
     * connection on Lettuce's threads and the answer is handed back. Either way the stage completes
     * on the loop that asked.
     */
    @ParameterizedTest(name = "connections on the gateway loops: {0}")
    @ValueSource(booleans = {true, false})
    void answersResumeTheRequestOnTheEventLoopThatAsked(boolean gatewayTransport) throws Exception {
        boolean epoll = gatewayTransport && io.netty.channel.epoll.Epoll.isAvailable();
        io.netty.channel.EventLoopGroup loops = new io.netty.channel.MultiThreadIoEventLoopGroup(2,
                epoll ? io.netty.channel.epoll.EpollIoHandler.newFactory() : io.netty.channel.nio.NioIoHandler.newFactory());
        Class<? extends io.netty.channel.Channel> socketClass = !gatewayTransport ? null
                : epoll ? io.netty.channel.epoll.EpollSocketChannel.class : io.netty.channel.socket.nio.NioSocketChannel.class;
        try (RedisServer redis = new RedisServer(tmp.resolve("redis"), PASSWORD)) {
            caches = new ExternalCaches(loops, socketClass, (op, kind) -> failures.add(op + "/" + kind), () -> { });
            RedisExternalCache cache = caches.forConfig(new ExternalCacheSettings(RedisConnection.parse(
                    "redis://:" + PASSWORD + "@127.0.0.1:" + redis.port, w -> { }), Duration.ofSeconds(1),
                    ExternalCacheSettings.FailureMode.OPEN, "t:", null), List.of());
            for (io.netty.util.concurrent.EventExecutor loop : loops) {
                java.util.concurrent.CompletableFuture<String> where = new java.util.concurrent.CompletableFuture<>();
                java.util.concurrent.atomic.AtomicReference<Thread> asker = new java.util.concurrent.atomic.AtomicReference<>();
                loop.execute(() -> {
                    asker.set(Thread.currentThread());
                    CompletionStage<CounterStore.Count> s = cache.tryAddSlidingAsync("loop", 1, 100, Duration.ofSeconds(10));
                    s.whenComplete((c, t) -> where.complete(Thread.currentThread().getName() + (loop.inEventLoop() ? " (the asking loop)" : "")));
                });
                assertThat(where.get(5, TimeUnit.SECONDS)).isEqualTo(asker.get().getName() + " (the asking loop)");
            }
            // CLIENT LIST: one line per client, this command's own connection among them
            long clients = redis.command("CLIENT", "LIST").lines().filter(l -> l.contains("addr=")).count() - 1;
            assertThat(clients).as("Redis clients besides this test's").isEqualTo(gatewayTransport ? 2 : 1);
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void tlsToRedisTrustsTheConfigsCaCertificates() throws Exception {
        io.gatehouse.proxy.TestWorld w = new io.gatehouse.proxy.TestWorld(tmp.resolve("pki"));
        try (RedisServer redis = RedisServer.tls(tmp.resolve("redis"), PASSWORD, w.file("backend.pem"), w.file("backend.key"),
                w.file("backend-ca.pem"))) {
            caches = new ExternalCaches(null, null, (op, kind) -> failures.add(op + "/" + kind), () -> { });
            ExternalCacheSettings settings = new ExternalCacheSettings(RedisConnection.parse(
                    "localhost:" + redis.port + ",password=" + PASSWORD + ",ssl=True", w2 -> { }), Duration.ofSeconds(1),
                    ExternalCacheSettings.FailureMode.OPEN, "t:", null);
            // without the CA: the server's certificate is not trusted, and /health says why
            caches.forConfig(settings, List.of());
            assertThat(caches.health()).containsEntry("state", "down");
            assertThat(String.valueOf(caches.health().get("reason"))).containsIgnoringCase("certificat");
            // with the config's Root CA certificate: connected, and counting
            RedisExternalCache cache = caches.forConfig(settings, List.of(w.backendCa.certificate()));
            assertThat(caches.health()).containsEntry("state", "up");
            assertThat(get(cache.tryAddAsync("tls", 1, 1, Duration.ofSeconds(5))).allowed()).isTrue();
            assertThat(get(cache.tryAddAsync("tls", 1, 1, Duration.ofSeconds(5))).allowed()).isFalse();
        }
    }

    @Test
    void aSentinelUriFindsTheMasterThroughTheSentinel() throws Exception {
        try (RedisServer master = new RedisServer(tmp.resolve("master"), PASSWORD)) {
            int sentinelPort = Ports.free();
            Path conf = tmp.resolve("sentinel.conf");
            java.nio.file.Files.writeString(conf, "port " + sentinelPort + "\nbind 127.0.0.1\ndir " + tmp + "\n"
                    + "sentinel monitor mymaster 127.0.0.1 " + master.port + " 1\nsentinel auth-pass mymaster " + PASSWORD + "\n");
            Process sentinel = new ProcessBuilder(io.gatehouse.proxy.ExternalTools.require("redis-server"), conf.toString(), "--sentinel")
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("sentinel.log").toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < deadline) {
                    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", sentinelPort)) {
                        break;
                    } catch (java.io.IOException notYet) {
                        Thread.sleep(50);
                    }
                }
                RedisExternalCache cache = connect("redis-sentinel://:" + PASSWORD + "@127.0.0.1:" + sentinelPort + "#mymaster",
                        ExternalCacheSettings.FailureMode.OPEN, Duration.ofSeconds(1));
                assertThat(caches.health()).containsEntry("state", "up")
                        .containsEntry("endpoint", "redis://127.0.0.1:" + sentinelPort + " (sentinel, master mymaster)");
                assertThat(get(cache.tryAddAsync("via-sentinel", 1, 5, Duration.ofSeconds(30))).count()).isEqualTo(1);
                assertThat(master.command("EXISTS", "t:c:via-sentinel")).isEqualTo(":1\r\n"); // counted on the master
            } finally {
                sentinel.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
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
