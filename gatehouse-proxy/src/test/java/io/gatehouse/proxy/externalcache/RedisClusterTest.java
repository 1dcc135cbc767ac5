package io.gatehouse.proxy.externalcache;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.gatehouse.config.model.RedisConnection;
import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.proxy.RedisServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis Cluster of three real {@code redis-server} nodes (slots split in three, joined with
 * CLUSTER MEET): given one node's address, the gateway finds it is a cluster, speaks to it with
 * Lettuce's cluster client (one cluster connection per event loop), and its counters and values
 * land on every node by their keys' slots, each limit holding as on one Redis.
 */
class RedisClusterTest {
    private static final String PASSWORD = "cluster-pass-9d1e";

    @TempDir
    Path tmp;

    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    /** How many keys the node holds ({@code DBSIZE}). */
    private static long keys(RedisServer node) {
        Matcher m = Pattern.compile(":(\\d+)").matcher(node.command("DBSIZE"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    @Test
    void oneNodesAddressIsEnoughAndEveryNodeCountsItsKeys() throws Exception {
        List<RedisServer> nodes = new ArrayList<>();
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ExternalCaches caches = null;
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(RedisServer.clusterNode(tmp.resolve("node" + i), PASSWORD));
            }
            int[][] ranges = {{0, 5460}, {5461, 10922}, {10923, 16383}};
            for (int i = 0; i < 3; i++) {
                assertThat(nodes.get(i).command("CLUSTER", "ADDSLOTSRANGE", Integer.toString(ranges[i][0]), Integer.toString(ranges[i][1])))
                        .contains("+OK");
            }
            for (int i = 1; i < 3; i++) {
                assertThat(nodes.get(0).command("CLUSTER", "MEET", "127.0.0.1", Integer.toString(nodes.get(i).port))).contains("+OK");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!nodes.stream().allMatch(n -> n.command("CLUSTER", "INFO").contains("cluster_state:ok"))) {
                assertThat(System.nanoTime()).as("the cluster forms").isLessThan(deadline);
                Thread.sleep(100);
            }

            caches = new ExternalCaches(loops, epoll ? EpollSocketChannel.class : NioSocketChannel.class,
                    (op, kind) -> failures.add(op + "/" + kind), () -> { });
            RedisExternalCache cache = caches.forConfig(new ExternalCacheSettings(RedisConnection.parse(
                    "127.0.0.1:" + nodes.get(1).port + ",password=" + PASSWORD + ",abortConnect=False", w -> { }),
                    Duration.ofSeconds(2), ExternalCacheSettings.FailureMode.CLOSED, "t:", null), List.of());
            assertThat(((RedisConnector) caches.connection()).cluster()).as("found to be a cluster").isTrue();
            assertThat(caches.health()).containsEntry("state", "up");

            // 30 keys, each limited to 5 calls: 7 calls each, from the loops in turn
            List<EventExecutor> each = new ArrayList<>();
            loops.forEach(each::add);
            Duration minute = Duration.ofSeconds(60);
            for (int k = 0; k < 30; k++) {
                String key = "patient-" + k;
                List<CounterStore.Count> answers = new ArrayList<>();
                for (int call = 0; call < 7; call++) {
                    EventExecutor loop = each.get(call % each.size());
                    boolean sliding = k % 2 == 0;
                    CompletableFuture<CounterStore.Count> f = loop.submit(() -> (sliding ? cache.tryAddSlidingAsync(key, 1, 5, minute)
                            : cache.tryAddAsync(key, 1, 5, minute)).toCompletableFuture()).get(5, TimeUnit.SECONDS);
                    answers.add(f.get(5, TimeUnit.SECONDS));
                }
                assertThat(answers.stream().filter(CounterStore.Count::allowed).count()).as(key).isEqualTo(5);
                assertThat(answers.get(4).count()).isEqualTo(5);
                assertThat(answers.get(6).allowed()).isFalse();
            }
            // values too, through either loop
            for (int k = 0; k < 10; k++) {
                String key = "value-" + k;
                int v = k;
                each.get(0).submit(() -> cache.putAsync(key, v, Duration.ofMinutes(1)).toCompletableFuture()).get(5, TimeUnit.SECONDS)
                        .get(5, TimeUnit.SECONDS);
                Object got = each.get(1).submit(() -> cache.getAsync(key).toCompletableFuture()).get(5, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
                assertThat(got).isEqualTo(v);
            }
            // the keys are spread by slot: every node holds some (40 keys over three nodes)
            for (RedisServer n : nodes) {
                assertThat(keys(n)).as("keys on the node at port %d", n.port).isPositive();
            }
            assertThat(nodes.stream().mapToLong(RedisClusterTest::keys).sum()).isEqualTo(40);
            assertThat(failures).isEmpty();
        } finally {
            if (caches != null) {
                caches.close();
            }
            for (RedisServer n : nodes) {
                n.close();
            }
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
