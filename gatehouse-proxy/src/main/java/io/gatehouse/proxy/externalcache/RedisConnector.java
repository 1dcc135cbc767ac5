package io.gatehouse.proxy.externalcache;

import io.gatehouse.config.model.RedisConnection;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.HashedWheelTimer;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.net.SocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The connections to the external cache's Redis, for the process: made when a config that names
 * it loads, kept across reloads while the connection string stays the same, closed on shutdown
 * (or when a reload names another Redis).
 *
 * <p>When the gateway's event loops run the transport Lettuce uses (epoll on Linux, else NIO),
 * there is one multiplexed connection per event loop, registered on that loop: a request's
 * command is written, and its answer read and handed back, on the loop that runs the request,
 * with no thread in between (the "Lettuce runs on Netty, so it can share the gateway's
 * event loops"). Otherwise (tests with other loops, tools) there is one connection on two I/O
 * threads of Lettuce's own and {@link RedisExternalCache} hops back to the caller's loop. Either
 * way Lettuce's other work (reconnect timers, command expiry) runs on a small group of its own.
 *
 * <p>Lettuce reconnects by itself (100 ms doubling to 2 s between tries); while a connection is
 * down, its commands are refused at once instead of queued, so a request never waits for a Redis
 * that is down. When a first connection fails (at load: wrong password, nothing listening), this
 * class tries it again every 2 s.
 *
 * <p>A Redis Cluster is found by the first connection ({@code INFO cluster}); the connections are
 * then made again with Lettuce's cluster client (the connection string's endpoints as seeds),
 * still one per loop and each node's connection of it on that loop, with a connection to every
 * master opened before use and the topology read again every 30 s and on redirections.
 *
 * <p>The state {@code /health} shows is the connections' together: up when every one is, down
 * (with the reason) when any is. Changes (connected, lost) are logged once each on
 * {@code gatehouse.externalcache}, naming host:port and never the password.
 */
final class RedisConnector implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.externalcache");
    /** How long a load waits for the first connection, unless the connection string says otherwise. */
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final String LOST = "connection lost";

    /** What {@code /health} shows. */
    enum State {
        CONNECTING, UP, DOWN
    }

    final RedisConnection settings;
    final List<X509Certificate> trustAnchors;
    /** Lettuce's timers and reconnect scheduling, shared by every slot's client. */
    private final EventExecutorGroup computation;
    private final HashedWheelTimer timer;
    private final RedisURI uri;
    /** Every endpoint of the connection string, the seeds of a cluster. */
    private final List<RedisURI> seeds;
    private final Duration connectTimeout;
    private final ClientOptions options;
    /** The gateway loops the connections are registered on (empty: Lettuce's own I/O threads). */
    private final List<EventLoop> loops;
    /**
     * One per gateway event loop (index = the loop's), or one alone on Lettuce's own I/O threads;
     * replaced once, by cluster connections, when the first connection finds a cluster.
     */
    private volatile Slot[] slots;
    /** Whether Redis is a cluster (found with INFO cluster on the first connection). */
    private volatile boolean cluster;
    /** The slots not known to be up (guarded by this). */
    private final boolean[] slotDown;
    private volatile State state = State.CONNECTING;
    private volatile String reason = "connecting";
    private volatile Instant since = Instant.now();
    private volatile boolean closed;
    private final Runnable onChange;

    /**
     * One connection (to a cluster: one cluster connection, itself one connection per node, all on
     * the same loop): its client, and, on a gateway loop, the resources that pin it there.
     */
    private final class Slot {
        final int index;
        final boolean cluster;
        final ClientResources resources;
        final AbstractRedisClient client;
        volatile StatefulConnection<byte[], byte[]> connection;
        volatile RedisClusterAsyncCommands<byte[], byte[]> commands;

        Slot(int index, EventLoop loop, boolean cluster) {
            this.index = index;
            this.cluster = cluster;
            DefaultClientResources.Builder b = DefaultClientResources.builder()
                    .eventExecutorGroup(computation).timer(timer)
                    .commandLatencyRecorder(CommandLatencyRecorder.disabled())
                    .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS));
            if (loop != null) {
                b.eventLoopGroupProvider(new OneLoop(loop));
            } else {
                b.ioThreadPoolSize(2);
            }
            this.resources = b.build();
            if (cluster) {
                RedisClusterClient c = RedisClusterClient.create(resources, seeds);
                c.setOptions(ClusterClientOptions.builder(options)
                        // follow failovers and resharding: on redirects and lost connections, and every 30 s
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                                .enablePeriodicRefresh(Duration.ofSeconds(30)).enableAllAdaptiveRefreshTriggers().build())
                        .build());
                this.client = c;
            } else {
                RedisClient c = RedisClient.create(resources, uri);
                c.setOptions(options);
                this.client = c;
            }
            client.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
                    if (connection != null) { // a reconnection (the first connection is up once its handshake, AUTH included, is done)
                        up(index);
                    }
                }

                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> c) {
                    // a connection closed on purpose (the cluster client's topology queries, a failed handshake,
                    // a replaced connection) is not a lost one: only one still open is reconnecting
                    if (!closed && c.isOpen()) {
                        down(index, LOST);
                    }
                }
            });
        }

        CompletableFuture<? extends StatefulConnection<byte[], byte[]>> connect() {
            if (cluster) { // the cluster client connects once it knows the topology (asked of the seeds, CLUSTER NODES)
                RedisClusterClient c = (RedisClusterClient) client;
                return c.refreshPartitionsAsync().toCompletableFuture().thenCompose(v -> c.connectAsync(ByteArrayCodec.INSTANCE))
                        .thenCompose(conn -> toEveryNode(c, conn).thenApply(v -> conn));
            }
            return ((RedisClient) client).connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture();
        }

        /**
         * Opens the cluster connection's connection to every master now: a command for a node whose
         * connection is still being made is refused at once (commands are never queued while
         * disconnected), so they are made before the first request, and again when the topology
         * changes (a failover, a resharding).
         */
        private CompletableFuture<Void> toEveryNode(RedisClusterClient c, StatefulRedisClusterConnection<byte[], byte[]> conn) {
            List<CompletableFuture<?>> all = new java.util.ArrayList<>();
            for (RedisClusterNode node : c.getPartitions()) {
                if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    all.add(conn.getConnectionAsync(node.getUri().getHost(), node.getUri().getPort()).toCompletableFuture()
                            .exceptionally(t -> null)); // a node that cannot be reached now is tried again by the client
                }
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        }

        void connected(StatefulConnection<byte[], byte[]> c) {
            connection = c;
            if (c instanceof StatefulRedisClusterConnection<byte[], byte[]> cc) {
                commands = cc.async();
                RedisClusterClient client = (RedisClusterClient) this.client;
                resources.eventBus().get().subscribe(e -> {
                    if (e instanceof ClusterTopologyChangedEvent && !closed) {
                        toEveryNode(client, cc);
                    }
                });
            } else {
                commands = ((StatefulRedisConnection<byte[], byte[]>) c).async();
            }
            up(index);
        }

        void close() {
            // closes its connections too
            client.shutdownAsync(0, 2, TimeUnit.SECONDS).whenComplete((v, t) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
        }
    }

    /**
     * Gives Lettuce one gateway event loop as its "group": a channel registers on
     * {@code group.next()}, which for an event loop is itself. Releasing it does nothing: the
     * gateway shuts its loops down.
     */
    private record OneLoop(EventLoop loop) implements EventLoopGroupProvider {
        @Override
        @SuppressWarnings("unchecked")
        public <T extends EventLoopGroup> T allocate(Class<T> type) {
            return (T) loop; // Lettuce asks for its transport's group class; it only registers channels on it
        }

        @Override
        public int threadPoolSize() {
            return 1;
        }

        @Override
        public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }

        @Override
        public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
    }

    /**
     * @param settings where Redis is
     * @param trustAnchors the config's Root CA certificates, trusted for TLS to Redis besides the JDK's
     * @param timeout how long a command may take before Lettuce cancels it (a request stops waiting at this timeout too)
     * @param loops the gateway's event loops, one connection on each; empty for one connection on Lettuce's own threads
     * @param onChange run after every change of state (metrics)
     */
    RedisConnector(RedisConnection settings, List<X509Certificate> trustAnchors, Duration timeout, List<EventLoop> loops, Runnable onChange) {
        this.settings = settings;
        this.trustAnchors = List.copyOf(trustAnchors);
        this.onChange = onChange;
        this.connectTimeout = settings.connectTimeout() != null ? settings.connectTimeout() : DEFAULT_CONNECT_TIMEOUT;
        this.uri = uri(settings, settings.endpoints().get(0));
        this.seeds = settings.sentinelMaster() != null ? List.of()
                : settings.endpoints().stream().map(e -> {
                    RedisURI u = uri(settings, e);
                    u.setDatabase(0); // a cluster has only database 0
                    return u;
                }).toList();
        this.loops = List.copyOf(loops);
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build())
                // commands Redis never answers are cancelled, so none piles up behind a hung server
                .timeoutOptions(TimeoutOptions.enabled(timeout.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : timeout));
        if (settings.ssl()) {
            options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(trust(trustAnchors)).build());
        }
        this.options = options.build();
        this.computation = new DefaultEventExecutorGroup(2, new DefaultThreadFactory("gatehouse-redis", true));
        this.timer = new HashedWheelTimer(new DefaultThreadFactory("gatehouse-redis-timer", true));
        this.slotDown = new boolean[Math.max(1, loops.size())];
        java.util.Arrays.fill(slotDown, true);
        this.slots = new Slot[slotDown.length];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(i, loops.isEmpty() ? null : loops.get(i), false);
        }
    }

    private static RedisURI uri(RedisConnection c, RedisConnection.Endpoint first) {
        RedisURI.Builder b;
        if (c.sentinelMaster() != null) {
            b = RedisURI.Builder.sentinel(first.host(), first.port(), c.sentinelMaster());
            for (RedisConnection.Endpoint e : c.endpoints().subList(1, c.endpoints().size())) {
                b.withSentinel(e.host(), e.port());
            }
        } else {
            b = RedisURI.Builder.redis(first.host(), first.port());
        }
        b.withSsl(c.ssl()).withVerifyPeer(SslVerifyMode.FULL).withDatabase(c.database());
        if (c.password() != null) {
            if (c.user() != null) {
                b.withAuthentication(c.user(), c.password().reveal());
            } else {
                b.withPassword(c.password().reveal());
            }
        }
        if (c.clientName() != null) {
            b.withClientName(c.clientName());
        }
        return b.build();
    }

    /** The JDK's CA certificates plus the config's Root CA certificates. */
    private static TrustManagerFactory trust(List<X509Certificate> anchors) {
        try {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (javax.net.ssl.TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof javax.net.ssl.X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        ks.setCertificateEntry("jdk-" + i++, c);
                    }
                }
            }
            for (X509Certificate c : anchors) {
                ks.setCertificateEntry("config-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (java.security.GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build the trust store for the external cache: " + e.getMessage(), e);
        }
    }

    /**
     * Connects every slot, waiting at most the connect timeout (this runs at load, off the event
     * loops). A failure is logged as an error naming host:port and why; the gateway starts anyway
     * (limits follow failureMode, lookups miss) and the slot keeps trying every 2 s. When the first
     * connection finds a cluster, the slots are made again as cluster connections, waited for too.
     */
    void connectAtLoad() {
        long deadline = System.nanoTime() + connectTimeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(500);
        connectAll(slots, deadline);
        if (slots[0].connection != null) {
            becomeClusterIfOne(slots[0]);
        }
    }

    /**
     * When the server {@code first} (a single-node connection, connected) is a cluster node, makes
     * the slots again as cluster connections and puts them in service. Waits (at most two connect
     * timeouts): never on an event loop, nor on Lettuce's computation threads.
     */
    private void becomeClusterIfOne(Slot first) {
        if (!first.cluster && !cluster && isCluster(first, System.nanoTime() + connectTimeout.toNanos())) {
            Slot[] fresh = clusterSlots();
            connectAll(fresh, System.nanoTime() + connectTimeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(500));
            replace(fresh);
        }
    }

    /** Connects {@code set}, waiting until {@code deadline}; a slot not connected by then is retried every 2 s. */
    private void connectAll(Slot[] set, long deadline) {
        List<CompletableFuture<? extends StatefulConnection<byte[], byte[]>>> pending = new java.util.ArrayList<>();
        for (Slot s : set) {
            pending.add(s.connect());
        }
        for (int i = 0; i < set.length; i++) {
            Slot s = set[i];
            try {
                s.connected(pending.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                down(i, "interrupted while connecting");
                return;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                // a connection that comes after all is closed, not leaked; the retry makes another
                pending.get(i).thenAccept(StatefulConnection::closeAsync);
                down(i, explain(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e));
                retryLater(s);
            }
        }
    }

    /** Whether the server {@code s} is connected to is a cluster node ({@code INFO cluster}: {@code cluster_enabled:1}). */
    private boolean isCluster(Slot s, long deadline) {
        if (settings.sentinelMaster() != null) {
            return false; // Sentinel serves a replicated master, never a cluster
        }
        try {
            String info = s.commands.info("cluster").get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return info != null && info.contains("cluster_enabled:1");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.warn("external cache {}: could not ask whether it is a cluster ({}); spoken to as a single Redis",
                    settings.display(), explain(e));
            return false;
        }
    }

    /** A cluster connection per loop (each node's connection of it on that loop), not connected yet. */
    private Slot[] clusterSlots() {
        Slot[] fresh = new Slot[slots.length];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = new Slot(i, loops.isEmpty() ? null : loops.get(i), true);
        }
        return fresh;
    }

    /** Puts the cluster connections in service; the single-node ones close a few seconds later (their answers come first). */
    private void replace(Slot[] fresh) {
        Slot[] old;
        synchronized (this) {
            if (closed || cluster) {
                for (Slot s : fresh) {
                    s.close();
                }
                return;
            }
            cluster = true;
            old = slots;
            slots = fresh;
        }
        log.info("external cache {}: a Redis Cluster ({} seed{}); its nodes are found and followed by the cluster client",
                settings.display(), seeds.size(), seeds.size() == 1 ? "" : "s");
        if (settings.database() != 0) {
            log.warn("external cache {}: a cluster has only database 0; the connection string's database {} is not used",
                    settings.display(), settings.database());
        }
        computation.schedule(() -> {
            for (Slot s : old) {
                s.close();
            }
        }, 5, TimeUnit.SECONDS);
    }

    private void retryLater(Slot s) {
        if (closed) {
            return;
        }
        computation.schedule(() -> {
            if (closed || s.connection != null) {
                return;
            }
            s.connect().whenComplete((c, t) -> {
                if (t != null) {
                    down(s.index, explain(t));
                    retryLater(s);
                } else if (closed) {
                    c.closeAsync();
                } else {
                    s.connected(c);
                    if (!s.cluster && !cluster && s.index == 0) {
                        // Redis was down at load: ask now whether it is a cluster, on a thread of its own (this waits)
                        Thread.ofPlatform().daemon().name("gatehouse-redis-cluster-check").start(() -> becomeClusterIfOne(s));
                    }
                }
            });
        }, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the connections are to a Redis Cluster. */
    boolean cluster() {
        return cluster;
    }

    /**
     * The commands of the connection on the gateway event loop {@code loopIndex} (or of the one
     * connection, or of the first, for a caller off the loops: {@code -1}), or null while that
     * connection has never been made.
     */
    RedisClusterAsyncCommands<byte[], byte[]> commands(int loopIndex) {
        Slot[] all = slots;
        return all[loopIndex >= 0 && loopIndex < all.length ? loopIndex : 0].commands;
    }

    /** A command on the connection of {@code slot} was answered (or it reconnected): it is up. */
    void up(int slot) {
        slot = slot >= 0 && slot < slots.length ? slot : 0;
        if (state == State.UP && !slotDown[slot] || closed) {
            return; // the path every answer takes: no lock
        }
        synchronized (this) {
            slotDown[slot] = false;
            for (boolean d : slotDown) {
                if (d) {
                    return; // another connection is still down (or connecting): the state stays
                }
            }
            if (state == State.UP) {
                return;
            }
            state = State.UP;
            reason = null;
            since = Instant.now();
        }
        log.info("external cache {}: connected", settings.display());
        onChange.run();
    }

    /** A command on the connection of {@code slot} failed, or the connection did: Redis is down (logged on the change only). */
    /**
     * A command on {@code slot} failed (no answer in time, an error): {@link #down} unless the
     * slot is down already, so that while Redis is away the requests that keep failing work out
     * no message and take no lock. A read a moment old only costs one {@code down} more.
     */
    void commandFailed(int slot, java.util.function.Supplier<String> why) {
        if (state == State.DOWN && slot >= 0 && slot < slotDown.length && slotDown[slot]) {
            return;
        }
        down(slot, why.get());
    }

    void down(int slot, String why) {
        if (closed) {
            return;
        }
        slot = slot >= 0 && slot < slots.length ? slot : 0;
        synchronized (this) {
            slotDown[slot] = true;
            if (state == State.DOWN) {
                // keep the more telling reason (authentication failed, refused) over "connection lost", and say it
                // once when it arrives after the generic one (a refused AUTH closes the channel before the connect
                // attempt reports why)
                boolean refines = LOST.equals(reason) && !why.equals(LOST);
                if (!why.equals(LOST)) {
                    reason = why;
                }
                if (!refines) {
                    return;
                }
            } else {
                state = State.DOWN;
                reason = why;
                since = Instant.now();
            }
        }
        log.error("external cache {}: {}; limits {} and lookups miss until it answers (Gatehouse keeps reconnecting)",
                settings.display(), why, "follow gateway.externalCache.failureMode");
        onChange.run();
    }

    State state() {
        return state;
    }

    String reason() {
        return reason;
    }

    Instant since() {
        return since;
    }

    /** Why a connection or a command failed, in words: the exception chain's messages, without the password. */
    String explain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        java.util.Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable c = t; c != null && seen.add(c); c = c.getCause()) {
            String m = c.getMessage();
            if (m == null || m.isBlank() || sb.indexOf(m) >= 0) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : ": ").append(m.strip());
        }
        String s = sb.length() == 0 ? t.getClass().getSimpleName() : sb.toString();
        if (s.contains("WRONGPASS") || s.contains("NOAUTH") || s.contains("invalid password") || s.contains("invalid username-password")) {
            s = "authentication failed (wrong user or password): " + s;
        }
        if (settings.password() != null && !settings.password().isEmpty()) {
            s = s.replace(settings.password().revealString(), "****"); // a server would never echo it; be sure
        }
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        Slot[] all;
        synchronized (this) {
            closed = true;
            all = slots;
        }
        for (Slot s : all) {
            s.close();
        }
        computation.schedule(() -> {
            timer.stop();
            computation.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }, 3, TimeUnit.SECONDS); // after the clients' own shutdown, which uses them
    }
}
