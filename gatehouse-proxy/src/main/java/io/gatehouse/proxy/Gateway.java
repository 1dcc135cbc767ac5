package io.gatehouse.proxy;

import io.gatehouse.config.CertificateInventory;
import io.gatehouse.config.LoadedConfig;
import io.gatehouse.config.model.AdminConfig;
import io.gatehouse.config.model.ListenerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running gateway: listeners bound to the config's ports, one snapshot of the config
 * serving, and {@link #reload} to swap in another without dropping a request.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gatehouse");

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> serverChannelClass;
    private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Map<Integer, Channel> listeners = new LinkedHashMap<>();
    /** Each listener's open connections and limit, by port. */
    private final Map<Integer, ConnectionTracker> trackers = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final GatewayMetrics metrics = new GatewayMetrics();
    /** OpenTelemetry across reloads: one SDK per distinct gateway.telemetry setting, none when off. */
    private final io.gatehouse.proxy.telemetry.Telemetry telemetry = new io.gatehouse.proxy.telemetry.Telemetry();
    private final GatewayRuntime runtime;
    /** Access logs a reload replaced, still writing what reached them late (AccessLog#retire); closed at shutdown. */
    private final List<AccessLog> retiredLogs = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final CertificateWatch certificateWatch;
    private AdminServer admin;
    /** The connection to gateway.externalCache (Redis), across reloads. */
    private final io.gatehouse.proxy.externalcache.ExternalCaches externalCaches;
    /** When the config serving now went into service. */
    private volatile Instant loadedAt;
    /** The last reload's outcome, for /health: null before the first reload. */
    private volatile ReloadOutcome lastReload;
    /** Reloads put in service and refused since the start, for /health. */
    private final AtomicLong reloadsOk = new AtomicLong();
    private final AtomicLong reloadsRefused = new AtomicLong();

    /** How the last reload went: {@code reason} is null when it went into service. */
    public record ReloadOutcome(boolean ok, Instant at, String reason) {
    }
    private volatile boolean closed;
    private volatile io.gatehouse.config.keyvault.KeyVaultRefresher keyVault;

    public Gateway(LoadedConfig config) {
        this(config, 0);
    }

    /** @param threads event loop threads; 0 means one per core */
    public Gateway(LoadedConfig config, int threads) {
        IoHandlerFactory io;
        Class<? extends SocketChannel> socketClass;
        if (Epoll.isAvailable()) {
            io = EpollIoHandler.newFactory();
            serverChannelClass = EpollServerSocketChannel.class;
            socketClass = EpollSocketChannel.class;
        } else {
            io = NioIoHandler.newFactory();
            serverChannelClass = NioServerSocketChannel.class;
            socketClass = NioSocketChannel.class;
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        boss = new MultiThreadIoEventLoopGroup(1, io);
        workers = new MultiThreadIoEventLoopGroup(n, io);
        GatewaySnapshot first = new GatewaySnapshot(config, generation.incrementAndGet());
        first.tracing = telemetry.apply(config.model().gateway().telemetry());
        metrics.telemetry(telemetry);
        runtime = new GatewayRuntime(first, new UpstreamPool(socketClass, metrics), metrics);
        runtime.accessLog = AccessLog.open(config.model().gateway().accessLog(), metrics);
        externalCaches = new io.gatehouse.proxy.externalcache.ExternalCaches(workers, socketClass,
                new io.gatehouse.proxy.externalcache.RedisExternalCache.Failures() {
                    @Override
                    public void failed(String operation, String kind) {
                        metrics.externalCacheFailure(operation, kind);
                    }

                    @Override
                    public void admittedOverLimit(long calls) {
                        metrics.externalCacheEarlyOverLimit(calls);
                    }
                }, () -> { });
        metrics.externalCache(externalCaches);
        bindExternalCache(config);
        bindOutbound(first);
        publishCertificateMetrics(config);
        certificateWatch = new CertificateWatch(CertificateInventory.of(config, Instant.now()), metrics);
        metrics.configLoaded(false);
        loadedAt = Instant.now();
    }

    /**
     * Gives the snapshot's policies the gateway's outbound client for that config: its calls
     * ({@code send-request}, managed identity, OpenID keys) use the backends' TLS settings and
     * connection pool on the calling request's event loop ({@link OutboundClient}).
     */
    private void bindOutbound(GatewaySnapshot snap) {
        snap.config.policies().bindOutbound(new OutboundClient(runtime, workers, new OutboundTargets(snap)));
    }

    /**
     * Connects (or keeps the connection to) the config's external cache and gives it to the
     * config's policies; runs at load, off the event loops.
     */
    private void bindExternalCache(LoadedConfig config) {
        var cache = externalCaches.forConfig(config.model().gateway().externalCache(), config.caStore().roots());
        if (cache != null) {
            config.policies().bindExternalCache(cache);
        }
    }

    /** The external cache's state for {@code /health}, or null when the config has none. */
    public Map<String, Object> externalCacheHealth() {
        return externalCaches.health();
    }

    /** The request traces ({@code GET /traces/ID} on the admin port). */
    TraceStore traceStore() {
        return runtime.traces;
    }

    /** Binds every listener (and the admin port); throws with the port named when one is taken. */
    public Gateway start() {
        LoadedConfig config = runtime.current().config;
        for (ListenerConfig l : config.model().gateway().listeners()) {
            bind(l);
        }
        AdminConfig a = config.model().gateway().admin();
        if (a != null) {
            admin = new AdminServer(boss, workers, serverChannelClass, metrics, this);
            admin.bind(a.bind(), a.port());
        }
        certificateWatch.start(workers);
        log.info("Gatehouse serving {} hostname(s), {} API(s) on {}{}", config.model().hostnames().size(),
                config.model().apis().size(), describeListeners(),
                admin == null ? "" : "; admin on " + url("http", (InetSocketAddress) admin.address()));
        logConnectionLimits(config);
        return this;
    }

    private void logConnectionLimits(LoadedConfig config) {
        io.gatehouse.config.model.ConnectionLimits c = config.model().gateway().connectionLimits();
        Map<Integer, Integer> limits = new java.util.TreeMap<>();
        trackers.forEach((port, t) -> limits.put(port, t.limit()));
        log.info("client connections: limit by port {} (gateway default {}); timeouts (s): handshake {}, request head {}, "
                        + "keep-alive idle {}, body idle {}, write idle {}; {} requests per connection", limits,
                c.maxConnectionsDerived() ? "derived from the open-file limit" : "gateway.limits.maxConnections",
                c.handshake().toMillis() / 1000.0, c.requestHeader().toMillis() / 1000.0,
                c.keepAliveIdle().toMillis() / 1000.0, c.bodyIdle().toMillis() / 1000.0,
                c.writeIdle().toMillis() / 1000.0, c.maxRequestsPerConnection());
    }

    private String describeListeners() {
        List<String> out = new ArrayList<>();
        listeners.forEach((port, ch) -> out.add(url(isTls(port) ? "https" : "http", (InetSocketAddress) ch.localAddress())));
        return String.join(", ", out);
    }

    /**
     * A listening address as a URL a user can read: {@code https://0.0.0.0:8443} for every
     * address (IPv4 and IPv6 alike, as a dual-stack socket listens), IPv6 literals in brackets.
     */
    static String url(String scheme, InetSocketAddress a) {
        java.net.InetAddress ip = a.getAddress();
        String host;
        if (ip == null) {
            host = a.getHostString();
        } else if (ip.isAnyLocalAddress()) {
            host = "0.0.0.0";
        } else if (ip instanceof java.net.Inet6Address) {
            host = "[" + ip.getHostAddress().replaceAll("%.*$", "") + "]";
        } else {
            host = ip.getHostAddress();
        }
        return scheme + "://" + host + ":" + a.getPort();
    }

    private boolean isTls(int port) {
        return runtime.current().config.model().gateway().listeners().stream()
                .filter(l -> l.port() == port).findFirst().map(ListenerConfig::tls).orElse(true);
    }

    private void bind(ListenerConfig l) {
        ConnectionTracker tracker = new ConnectionTracker(l.port(),
                runtime.current().config.model().gateway().maxConnections(l));
        trackers.put(l.port(), tracker);
        metrics.openConnections(l.port(), tracker);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannelClass)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOCATOR, Buffers.ALLOCATOR)
                .childHandler(new io.netty.channel.ChannelInitializer<SocketChannel>() {
                    private final DownstreamInitializer init = new DownstreamInitializer(runtime, l.tls());

                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ConnectionGuard guard = new ConnectionGuard(runtime, tracker, ch, l.tls());
                        if (!tracker.admit(guard)) {
                            tracker.refused(ch, metrics);
                            ch.close(); // before any TLS work
                            return;
                        }
                        connections.add(ch);
                        ch.pipeline().addLast("guard", guard); // first: it sees the bytes and the socket's buffer
                        ch.pipeline().addLast(init);
                    }
                });
        String host = l.bind() == null ? "0.0.0.0" : l.bind();
        try {
            Channel ch = b.bind(host, l.port()).sync().channel();
            listeners.put(l.port(), ch);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot listen on " + host + ":" + l.port() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Serves {@code next} from now on. Every SslContext and route was built before the swap, so
     * a request never sees half a config; requests in flight finish on the old one. Listener
     * changes (ports added or removed) need a restart and are reported as such.
     */
    public void reload(LoadedConfig next) {
        Objects.requireNonNull(next, "next");
        GatewaySnapshot snap = new GatewaySnapshot(next, generation.incrementAndGet());
        bindExternalCache(next);
        bindOutbound(snap);
        List<Integer> oldPorts = runtime.current().config.model().gateway().listeners().stream().map(ListenerConfig::port).toList();
        List<Integer> newPorts = next.model().gateway().listeners().stream().map(ListenerConfig::port).toList();
        snap.tracing = telemetry.apply(next.model().gateway().telemetry()); // the same SDK unless the setting changed
        runtime.swap(snap);
        for (ListenerConfig l : next.model().gateway().listeners()) {
            ConnectionTracker t = trackers.get(l.port());
            if (t != null) {
                t.limit(next.model().gateway().maxConnections(l));
            }
        }
        AccessLog oldLog = runtime.accessLog;
        if (!oldLog.settings().equals(next.model().gateway().accessLog())) {
            runtime.accessLog = AccessLog.open(next.model().gateway().accessLog(), metrics);
            oldLog.retire(); // writes what it holds, and what a request ending just now still hands it
            retiredLogs.removeIf(AccessLog::finished);
            retiredLogs.add(oldLog);
        }
        publishCertificateMetrics(next);
        metrics.configLoaded(true);
        loadedAt = Instant.now();
        lastReload = new ReloadOutcome(true, loadedAt, null);
        reloadsOk.incrementAndGet();
        certificateWatch.update(CertificateInventory.of(next, Instant.now()));
        io.gatehouse.config.keyvault.KeyVaultRefresher kv = keyVault;
        if (kv != null) {
            kv.inService(next);
        }
        if (!oldPorts.equals(newPorts)) {
            log.warn("listener ports changed from {} to {}: the new ports take effect on restart", oldPorts, newPorts);
        }
        log.info("configuration reloaded (generation {}): {} hostname(s), {} API(s)", snap.generation,
                next.model().hostnames().size(), next.model().apis().size());
    }

    /**
     * A reload was refused (a config with errors, or one the data plane could not take): the
     * config serving now stays, and {@code /health} and {@code gatehouse_config_reloads_total} say so.
     *
     * @param reason why, in words without secrets (the first diagnostic, with its file:line:col)
     */
    public void reloadRefused(String reason) {
        metrics.configRefused();
        lastReload = new ReloadOutcome(false, Instant.now(), reason);
        reloadsRefused.incrementAndGet();
    }

    /** Reloads put in service since the start. */
    public long reloadsOk() {
        return reloadsOk.get();
    }

    /** Reloads refused since the start (the previous config kept serving). */
    public long reloadsRefused() {
        return reloadsRefused.get();
    }

    /**
     * The content hash of the config serving now ({@link LoadedConfig#contentHash()}): gateways
     * showing the same hash serve the same files.
     */
    public String configHash() {
        return runtime.current().config.contentHash();
    }

    /** When the config serving now went into service. */
    public Instant loadedAt() {
        return loadedAt;
    }

    /** The last reload's outcome, or null when there has been none. */
    public ReloadOutcome lastReload() {
        return lastReload;
    }

    /** Every certificate of the config now serving: {@code GET /certificates} on the admin port. */
    public CertificateInventory certificates() {
        io.gatehouse.config.keyvault.KeyVaultRefresher kv = keyVault;
        CertificateInventory inventory = certificateWatch.inventory();
        return kv == null ? inventory : inventory.withKeyVault(kv.status());
    }

    /**
     * Keeps the config's Key Vault references current with {@code refresher}: it learns each config
     * this gateway serves, and the admin port's {@code POST /keyvault/refresh} runs it.
     */
    public Gateway keyVault(io.gatehouse.config.keyvault.KeyVaultRefresher refresher) {
        this.keyVault = refresher;
        if (refresher != null) {
            refresher.inService(runtime.current().config);
        }
        return this;
    }

    /** The Key Vault refresher, or null when none was given. */
    public io.gatehouse.config.keyvault.KeyVaultRefresher keyVault() {
        return keyVault;
    }

    public long generation() {
        return runtime.current().generation;
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    private void publishCertificateMetrics(LoadedConfig config) {
        Map<String, X509Certificate> certs = new HashMap<>();
        config.certificates().forEach((id, chain) -> {
            if (!chain.isEmpty()) {
                certs.put(id, chain.get(0));
            }
        });
        metrics.certificates(certs, "certificate");
        metrics.certificates(config.caCertificates(), "ca");
    }

    /**
     * Stops accepting, waits up to {@code drain} for requests in flight, then closes every
     * connection.
     */
    public void stop(Duration drain) {
        if (closed) {
            return;
        }
        listeners.values().forEach(Channel::close);
        if (admin != null) {
            admin.close();
        }
        long deadline = System.nanoTime() + drain.toNanos();
        while (runtime.inFlight.sum() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long left = runtime.inFlight.sum();
        if (left > 0) {
            log.warn("{} request(s) still in flight after {} s: closing their connections", left, drain.toSeconds());
        }
        close();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        certificateWatch.stop();
        listeners.values().forEach(Channel::close);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        runtime.pool.closeIdle();
        externalCaches.close();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        runtime.accessLog.close(); // the last requests' lines
        retiredLogs.forEach(AccessLog::close); // and those of logs a reload replaced moments ago
        telemetry.close(TELEMETRY_FLUSH); // the spans of the requests just ended, with a bound on the wait
    }

    /** How long closing waits for the last spans to reach the collector. */
    private static final Duration TELEMETRY_FLUSH = Duration.ofSeconds(5);
}
