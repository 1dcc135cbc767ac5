package io.gatehouse.proxy;

import io.gatehouse.tls.SslContextFactory;
import io.gatehouse.tls.TlsFailures;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to backends, one pool per event loop so that a downstream connection
 * and its upstream connection share a thread and no lock is ever taken. Connections are keyed
 * by {@link UpstreamTarget} identity (backend and TLS identity together).
 *
 * <p>Every method must be called on the event loop it is given.
 */
final class UpstreamPool {
    static final String RELAY = "relay";
    static final AttributeKey<UpstreamTarget> TARGET = AttributeKey.valueOf("gatehouse.upstreamTarget");
    /** What a new connection's setup settled ({@link Setup}), for the access log and request traces. */
    private static final AttributeKey<Setup> SETUP = AttributeKey.valueOf("gatehouse.upstreamSetup");
    /**
     * Idle connections kept per backend and event loop. HTTP/2 clients multiplex many requests,
     * each its own upstream exchange: 50 connections with 10 streams each need 500 backend
     * connections at once, and closing those beyond a small limit meant a new mTLS handshake with
     * the backend for most requests. Idle ones still close after {@link #IDLE_NANOS}.
     */
    private static final int MAX_IDLE_PER_TARGET = 512;
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long SWEEP_SECONDS = 10;
    private static final AttributeKey<Long> IDLE_SINCE = AttributeKey.valueOf("gatehouse.idleSince");
    private static final int MAX_CONNECT_MILLIS = 10_000;

    private final Class<? extends SocketChannel> channelClass;
    private final Map<EventLoop, LoopPool> pools = new java.util.concurrent.ConcurrentHashMap<>();
    private final GatewayMetrics metrics;

    UpstreamPool(Class<? extends SocketChannel> channelClass, GatewayMetrics metrics) {
        this.channelClass = channelClass;
        this.metrics = metrics;
    }

    /** The idle connections of one event loop, and the sweep that closes those idle too long. */
    private static final class LoopPool {
        final Map<UpstreamTarget, ArrayDeque<Channel>> idle = new HashMap<>();

        LoopPool(EventLoop loop) {
            loop.scheduleAtFixedRate(this::sweep, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
        }

        private void sweep() {
            long now = System.nanoTime();
            for (var it = idle.values().iterator(); it.hasNext(); ) {
                ArrayDeque<Channel> q = it.next();
                q.removeIf(ch -> {
                    boolean stale = !ch.isActive() || now - ch.attr(IDLE_SINCE).get() > IDLE_NANOS;
                    if (stale) {
                        ch.close();
                    }
                    return stale;
                });
                if (q.isEmpty()) {
                    it.remove(); // also lets targets of an old config go
                }
            }
        }
    }

    private LoopPool loopPool(EventLoop loop) {
        LoopPool p = pools.get(loop);
        return p != null ? p : pools.computeIfAbsent(loop, LoopPool::new);
    }

    /** An idle connection to the target, or a new one once its TLS handshake has succeeded. */
    Future<Channel> acquire(UpstreamTarget target, EventLoop loop) {
        Channel idle = idle(target, loop);
        return idle != null ? loop.newSucceededFuture(idle) : connect(target, loop);
    }

    /** An idle connection to the target on this loop, or null: then {@link #acquire} connects. */
    Channel idle(UpstreamTarget target, EventLoop loop) {
        ArrayDeque<Channel> q = loopPool(loop).idle.get(target);
        if (q != null) {
            long now = System.nanoTime();
            Channel ch;
            while ((ch = q.pollLast()) != null) {
                if (ch.isActive() && now - ch.attr(IDLE_SINCE).get() <= IDLE_NANOS) {
                    return ch;
                }
                ch.close();
            }
        }
        return null;
    }

    /**
     * The one way a connection taken from this pool ends its exchange, for every path: back to the
     * idle connections of its event loop when {@code reusable} (its response ended cleanly with
     * keep-alive and the whole request went out), else closed. {@code owner}, the sink that read
     * for the exchange, is detached if it still is the connection's; another sink still attached
     * (a forward-request reading it) is left to hear of the close. Call on the connection's loop.
     *
     * <p>No handler is added or removed: the connection's {@link UpstreamReader} simply has no
     * sink until the next acquire.
     */
    void giveBack(Channel ch, UpstreamReader.Sink owner, boolean reusable) {
        if (owner != null) {
            UpstreamReader.detach(ch, owner);
        }
        UpstreamTarget target = ch.attr(TARGET).get();
        if (!reusable || (target != null && target.absoluteForm() && !UpstreamReader.proxyKeepsAlive(ch))) {
            ch.close(); // a proxy's connection is kept only when the proxy said so (UpstreamReader.proxyKeepsAlive)
            return;
        }
        ch.config().setAutoRead(true);
        UpstreamReader.detach(ch);
        if (target == null || !ch.isActive()) {
            ch.close();
            return;
        }
        ArrayDeque<Channel> q = loopPool(ch.eventLoop()).idle.computeIfAbsent(target, t -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_TARGET) {
            ch.close();
            return;
        }
        ch.attr(IDLE_SINCE).set(System.nanoTime());
        q.addLast(ch);
    }

    /**
     * A new connection to the target, once its TLS handshake has succeeded. Through a proxy
     * ({@link UpstreamTarget#proxy()}): an https target gets a CONNECT tunnel first (Netty's
     * {@link HttpProxyHandler}, with Basic credentials when the proxy has a username), and the
     * backend's TLS runs inside it as it would directly; a plain http target's connection goes to
     * the proxy, which is sent absolute-form requests ({@link UpstreamTarget#requestTarget}).
     *
     * <p>The host connected to (the backend's, or the proxy's) is looked up off the loop
     * ({@link HostLookup}); the lookup and the TCP connect share the backend's connect time.
     */
    Future<Channel> connect(UpstreamTarget target, EventLoop loop) {
        Promise<Channel> promise = loop.newPromise();
        Setup setup = new Setup(System.nanoTime());
        int connectMillis = connectMillis(target);
        io.gatehouse.policy.OutboundProxy proxy = target.proxy();
        String host = proxy != null ? proxy.host() : target.host();
        int port = proxy != null ? proxy.port() : target.port();
        HostLookup.resolve(host, port, loop, Math.max(1, connectMillis)).addListener(lookup -> {
            if (!lookup.isSuccess()) {
                promise.tryFailure(connectFailure(target, lookup.cause()));
                return;
            }
            long left = connectMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - setup.startedNanos);
            dial(target, loop, (InetSocketAddress) lookup.getNow(), (int) Math.max(1, left), setup, promise);
        });
        return promise;
    }

    /** Connects to {@code address} (the backend's, or its proxy's) and completes {@code promise} as {@link #connect} says. */
    private void dial(UpstreamTarget target, EventLoop loop, InetSocketAddress address, int connectMillis, Setup setup,
            Promise<Channel> promise) {
        io.gatehouse.policy.OutboundProxy proxy = target.proxy();
        boolean tunnel = proxy != null && target.tls();
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOCATOR, Buffers.ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
                .attr(TARGET, target)
                .attr(SETUP, setup)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tunnel) {
                            p.addLast(PROXY, tunnelHandler(proxy, address, connectMillis));
                        }
                        if (target.tls()) {
                            SslHandler ssl = SslContextFactory.upstreamHandler(target.sslContext(), ch.alloc(),
                                    target.host(), target.port(), target.serverName(), target.validateName());
                            java.lang.ref.Reference.reachabilityFence(target); // its cleaner releases the context
                            ssl.setHandshakeTimeoutMillis(handshakeMillis(target));
                            p.addLast("ssl", ssl);
                        }
                        p.addLast("http", new UpstreamCodec());
                        p.addLast(RELAY, new UpstreamReader(target, metrics));
                    }
                });
        java.net.SocketAddress remote = address;
        if (tunnel) {
            // the proxy handler connects to the proxy (address) and asks it for this name: nothing resolves it here
            b.resolver(io.netty.resolver.NoopAddressResolverGroup.INSTANCE);
            remote = InetSocketAddress.createUnresolved(target.host(), target.port());
        }
        b.connect(remote).addListener((ChannelFutureListener) cf -> {
            if (!cf.isSuccess()) {
                promise.tryFailure(connectFailure(target, cf.cause()));
                return;
            }
            Channel ch = cf.channel();
            setup.connectedNanos = System.nanoTime();
            HttpProxyHandler tunnelled = tunnel ? (HttpProxyHandler) ch.pipeline().get(PROXY) : null;
            if (tunnelled == null) {
                handshake(ch, target, setup, promise);
                return;
            }
            tunnelled.connectFuture().addListener(tf -> {
                if (!tf.isSuccess()) {
                    ch.close();
                    promise.tryFailure(proxyFailure(target, tf.cause()));
                    return;
                }
                handshake(ch, target, setup, promise);
            });
        });
    }

    /** The name of a tunnelled connection's proxy handler in its pipeline. */
    static final String PROXY = "proxy";

    /**
     * The CONNECT handler for {@code proxy}, found at {@code at}: Basic credentials when it has a
     * username, the connect time as its timeout.
     */
    private static HttpProxyHandler tunnelHandler(io.gatehouse.policy.OutboundProxy proxy, InetSocketAddress at, int connectMillis) {
        HttpProxyHandler h = proxy.username() == null ? new HttpProxyHandler(at)
                : new HttpProxyHandler(at, proxy.username(), proxy.password().revealString());
        h.setConnectTimeoutMillis(Math.max(1, connectMillis));
        return h;
    }

    /** Completes {@code promise} with {@code ch} once its TLS handshake (if any) has succeeded. */
    private void handshake(Channel ch, UpstreamTarget target, Setup setup, Promise<Channel> promise) {
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
            promise.trySuccess(ch);
            return;
        }
        ssl.handshakeFuture().addListener(hf -> {
            if (hf.isSuccess()) {
                setup.handshaken(ssl.engine().getSession(), target);
                promise.trySuccess(ch);
            } else {
                ch.close();
                promise.tryFailure(tlsFailure(target, hf.cause(), metrics));
            }
        });
    }

    /**
     * A proxy that did not open the tunnel, in words: it refused the CONNECT (its status, such as
     * 407 when the credentials are missing or wrong), or did not answer in time. Never names the
     * password (Netty's message names the proxy, the destination and the status only).
     */
    static UpstreamException proxyFailure(UpstreamTarget target, Throwable cause) {
        String detail = String.valueOf(cause.getMessage());
        boolean timedOut = detail.endsWith("timeout") || cause instanceof io.netty.channel.ConnectTimeoutException;
        if (cause instanceof HttpProxyHandler.HttpProxyConnectException) {
            int at = detail.lastIndexOf("status: ");
            String status = at >= 0 ? detail.substring(at + "status: ".length()) : detail;
            detail = "the proxy refused the CONNECT tunnel to " + target.host() + ":" + target.port() + " with " + status
                    // 407 as RFC 9110 says; some proxies (tinyproxy 1.11) refuse a wrong password with 401
                    + (status.startsWith("407") || status.startsWith("401") ? (target.proxy().username() == null
                    ? " (it asks for credentials: give the proxy policy a username and password)"
                    : " (it did not accept the username and password)") : "");
        } else if (cause instanceof io.netty.handler.proxy.ProxyConnectException) {
            detail = timedOut ? "the proxy did not open the CONNECT tunnel in time"
                    : "the proxy closed the connection before it opened the CONNECT tunnel";
        } else if (cause instanceof ConnectException) {
            detail = "connection refused";
        }
        return new UpstreamException(timedOut ? FailureKind.TIMEOUT : FailureKind.BACKEND_CONNECTION_FAILURE,
                "backend '" + target.id() + "': through " + target.proxy() + ": " + detail, null, cause);
    }

    /**
     * What a backend connection's setup settled, made once per connection and kept on it: when it
     * was started, connected and (over TLS) its handshake done, as {@code System.nanoTime()} (0
     * until then), the TLS version and cipher, and the client certificate the gateway presented.
     * Written on the connection's event loop before the connection is handed out, read after.
     */
    static final class Setup {
        final long startedNanos;
        long connectedNanos;
        long handshakeNanos;
        String protocol;
        String cipherSuite;
        /** The certificate presented to the backend, or null; {@link #presentedSubject} as .NET writes it. */
        java.security.cert.X509Certificate presented;
        String presentedSubject;

        Setup(long startedNanos) {
            this.startedNanos = startedNanos;
        }

        /**
         * The handshake succeeded. A resumed session does not tell its certificates again: then
         * the one the backend's settings present when it names no CA (the only one, for most).
         */
        void handshaken(javax.net.ssl.SSLSession session, UpstreamTarget target) {
            handshakeNanos = System.nanoTime();
            protocol = session.getProtocol();
            cipherSuite = session.getCipherSuite();
            java.security.cert.Certificate[] local = session.getLocalCertificates();
            presented = local != null && local.length > 0 && local[0] instanceof java.security.cert.X509Certificate x
                    ? x : target.clientLeaf();
            presentedSubject = presented == null ? null
                    : io.gatehouse.common.x509.DotNetNames.format(presented.getSubjectX500Principal());
        }
    }

    /** What backend connection {@code up}'s setup settled, or null for one this pool did not make. */
    static Setup setup(Channel up) {
        return up.attr(SETUP).get();
    }

    private static int connectMillis(UpstreamTarget target) {
        return (int) Math.min(MAX_CONNECT_MILLIS, target.timeout().toMillis());
    }

    /** How long the TLS handshake with a backend may take: its timeout, between 1 and 10 s. */
    private static int handshakeMillis(UpstreamTarget target) {
        return Math.max(1000, connectMillis(target));
    }

    /**
     * A TLS failure with a backend in words: which side refused what. In TLS 1.3 a backend that
     * refuses our client certificate says so after our side of the handshake is done, so this is
     * also used for alerts that arrive with the first response bytes.
     */
    static UpstreamException tlsFailure(UpstreamTarget target, Throwable cause, GatewayMetrics metrics) {
        if (cause instanceof io.netty.handler.ssl.SslHandshakeTimeoutException) {
            // the backend took the connection but never finished the handshake: no timely answer, as nginx says
            metrics.upstreamTlsFailure(target.id(), "handshake_timeout");
            return new UpstreamException(FailureKind.TIMEOUT, "backend '" + target.id()
                    + "': TLS handshake with the backend timed out after " + handshakeMillis(target) + " ms",
                    null, cause);
        }
        String explained = TlsFailures.explain(cause, TlsFailures.Side.UPSTREAM, target.serverName(),
                target.clientLeaf());
        String alert = TlsFailures.alertName(cause);
        metrics.upstreamTlsFailure(target.id(), TlsFailures.reasonLabel(cause));
        return new UpstreamException(FailureKind.BACKEND_CONNECTION_FAILURE,
                "backend '" + target.id() + "': TLS handshake failed: " + explained + clientCertNote(target, cause),
                alert, cause);
    }

    /** Names the certificate id when the backend's alert says it refused ours. */
    private static String clientCertNote(UpstreamTarget target, Throwable cause) {
        String alert = TlsFailures.alertName(cause);
        if (alert == null || target.clientCertificate() == null) {
            return "";
        }
        return switch (alert) {
            case "unknown_ca", "bad_certificate", "certificate_unknown", "certificate_required", "access_denied",
                 "certificate_expired", "certificate_revoked", "unsupported_certificate", "handshake_failure" ->
                    " (" + target.clientCertificate() + ")";
            default -> "";
        };
    }

    private static UpstreamException connectFailure(UpstreamTarget target, Throwable cause) {
        if (cause instanceof io.netty.handler.proxy.ProxyConnectException) {
            return proxyFailure(target, cause);
        }
        String where = target.proxy() == null ? target.host() + ":" + target.port()
                : "the proxy " + target.proxy().url() + " (for " + target.host() + ":" + target.port() + ")";
        if (cause instanceof io.netty.channel.ConnectTimeoutException) {
            return new UpstreamException(FailureKind.TIMEOUT,
                    "backend '" + target.id() + "': connecting to " + where + " timed out", null, cause);
        }
        if (cause instanceof HostLookup.LookupTimeoutException) {
            return new UpstreamException(FailureKind.TIMEOUT,
                    "backend '" + target.id() + "': connecting to " + where + " timed out: " + cause.getMessage(), null, cause);
        }
        String detail = cause instanceof ConnectException ? "connection refused" : String.valueOf(cause.getMessage());
        if (cause instanceof java.net.UnknownHostException || cause instanceof java.nio.channels.UnresolvedAddressException) {
            detail = "host name could not be resolved";
        }
        return new UpstreamException(FailureKind.BACKEND_CONNECTION_FAILURE,
                "backend '" + target.id() + "': cannot connect to " + where + ": " + detail, null, cause);
    }

    /** Closes every idle connection (shutdown). */
    void closeIdle() {
        pools.forEach((loop, p) -> loop.execute(() -> {
            p.idle.values().forEach(q -> {
                for (Channel ch : q.toArray(Channel[]::new)) {
                    ch.close();
                }
                q.clear();
            });
        }));
    }

}
