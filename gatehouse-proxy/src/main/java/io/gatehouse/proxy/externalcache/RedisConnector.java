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
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.net.SocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one multiplexed connection to the external cache's Redis, for the process: made when a
 * config that names it loads, kept across reloads while the connection string stays the same,
 * closed on shutdown (or when a reload names another Redis).
 *
 * <p>Lettuce runs on its own {@link ClientResources}: two I/O threads and two computation threads
 * (Lettuce's minimum; the one connection uses one I/O thread). One connection lives on one event loop whichever group it comes from, so sharing the gateway's
 * loops would put every Redis reply of the process on one of them; on its own thread it costs
 * the gateway's loops nothing but the hop back ({@link RedisExternalCache} completes each answer
 * on the calling request's event loop). Lettuce reconnects by itself (100 ms doubling to 2 s
 * between tries); while it is disconnected, commands are refused at once instead of queued, so
 * a request never waits for a Redis that is down. When the first connection fails (at load: wrong
 * password, nothing listening), this class tries again every 2 s.
 *
 * <p>State changes (connected, lost) are logged once each on {@code gatehouse.externalcache},
 * naming host:port and never the password.
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
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final Duration connectTimeout;
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    private volatile RedisAsyncCommands<byte[], byte[]> commands;
    private volatile State state = State.CONNECTING;
    private volatile String reason = "connecting";
    private volatile Instant since = Instant.now();
    private volatile boolean closed;
    private final Runnable onChange;

    /**
     * @param settings where Redis is
     * @param trustAnchors the config's Root CA certificates, trusted for TLS to Redis besides the JDK's
     * @param timeout how long a command may take before Lettuce cancels it (a request stops waiting at this timeout too)
     * @param onChange run after every change of state (metrics)
     */
    RedisConnector(RedisConnection settings, List<X509Certificate> trustAnchors, Duration timeout, Runnable onChange) {
        this.settings = settings;
        this.trustAnchors = List.copyOf(trustAnchors);
        this.onChange = onChange;
        this.connectTimeout = settings.connectTimeout() != null ? settings.connectTimeout() : DEFAULT_CONNECT_TIMEOUT;
        this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        this.uri = uri(settings);
        this.client = RedisClient.create(resources, uri);
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build())
                // commands Redis never answers are cancelled, so none piles up behind a hung server
                .timeoutOptions(TimeoutOptions.enabled(timeout.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : timeout));
        if (settings.ssl()) {
            options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(trust(trustAnchors)).build());
        }
        client.setOptions(options.build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> c, SocketAddress address) {
                if (connection != null) { // a reconnection (the first connection is up once its handshake, AUTH included, is done)
                    up();
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (!closed) {
                    down(LOST);
                }
            }
        });
    }

    private static RedisURI uri(RedisConnection c) {
        RedisURI.Builder b;
        RedisConnection.Endpoint first = c.endpoints().get(0);
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
     * Connects, waiting at most the connect timeout (this runs at load, off the event loops). A
     * failure is logged as an error naming host:port and why; the gateway starts anyway (limits
     * follow failureMode, lookups miss) and this keeps trying every 2 s.
     */
    void connectAtLoad() {
        try {
            StatefulRedisConnection<byte[], byte[]> c = client.connectAsync(ByteArrayCodec.INSTANCE, uri).toCompletableFuture()
                    .get(connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
            connected(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            down("interrupted while connecting");
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            down(explain(e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e));
            retryLater();
        }
    }

    private void retryLater() {
        if (closed) {
            return;
        }
        resources.eventExecutorGroup().schedule(() -> {
            if (closed || connection != null) {
                return;
            }
            client.connectAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((c, t) -> {
                if (t != null) {
                    down(explain(t));
                    retryLater();
                } else if (closed) {
                    c.closeAsync();
                } else {
                    connected(c);
                }
            });
        }, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void connected(StatefulRedisConnection<byte[], byte[]> c) {
        connection = c;
        commands = c.async();
        up();
    }

    /** The commands of the connection, or null while there has never been one. */
    RedisAsyncCommands<byte[], byte[]> commands() {
        return commands;
    }

    /** A command was answered: Redis is up. */
    void up() {
        if (state != State.UP && !closed) {
            synchronized (this) {
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
    }

    /** A command failed, or the connection did: Redis is down (logged on the change only). */
    void down(String why) {
        if (closed) {
            return;
        }
        synchronized (this) {
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
        closed = true;
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.closeAsync();
        }
        client.shutdownAsync(0, 2, TimeUnit.SECONDS).whenComplete((v, t) -> resources.shutdown(0, 2, TimeUnit.SECONDS));
    }
}
