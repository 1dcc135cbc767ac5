package io.gatehouse.proxy;

import io.gatehouse.config.model.ConnectionLimits;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timeouts and the request limit of one client connection, like nginx's and Envoy's: the
 * first handler of its pipeline, so it sees the bytes as they arrive (the first byte of a
 * request, body bytes) and the socket's own outbound buffer (a client that does not read). Two
 * small observers report the HTTP messages: {@link #http1Observer()} between the HTTP/1.1 codec
 * and the exchange handler, {@link #http2StreamObserver()} on every HTTP/2 stream.
 *
 * <p>One timer per connection, never rescheduled on the request path: it fires at the earliest
 * deadline it knows of, but never later than the shortest timeout from when it was set, so a
 * deadline set since (always at least that far away) is never missed. When it fires early it
 * looks at the connection's state and sets itself again.
 *
 * <p>All state but {@link #idleSince} (read by {@link ConnectionTracker} from other threads) is
 * confined to the event loop.
 */
final class ConnectionGuard extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.connections");

    /** Why a connection was cut; {@link #label} is the metric's {@code reason}. */
    enum Reason {
        HANDSHAKE_TIMEOUT("handshake_timeout", "no TLS handshake within %s (gateway.timeouts.handshake)"),
        HEADER_TIMEOUT("header_timeout", "request head not complete within %s of its first byte (gateway.timeouts.requestHeader)"),
        IDLE_TIMEOUT("idle_timeout", "no request for %s (gateway.timeouts.keepAliveIdle)"),
        BODY_TIMEOUT("body_timeout", "no request body bytes for %s (gateway.timeouts.bodyIdle)"),
        WRITE_TIMEOUT("write_timeout", "the client read none of the response for %s (gateway.timeouts.writeIdle)"),
        MAX_REQUESTS("max_requests", "its %s requests were served (gateway.limits.maxRequestsPerConnection)"),
        CONNECTION_LIMIT("connection_limit", "the listener is at its limit of %s connections and none is idle"),
        EVICTED("evicted", "idle the longest while the listener is at its limit of %s connections: closed to let a new one in");

        final String label;
        private final String why;
        /** At most one log line a second per reason, so that an attack does not flood the log. */
        private final AtomicLong nextLine = new AtomicLong(System.nanoTime());
        private final AtomicLong suppressed = new AtomicLong();

        Reason(String label, String why) {
            this.label = label;
            this.why = why;
        }

        /** Logs a cut: idle connections and spent ones at DEBUG (everyday), the rest at WARN, one a second. */
        void log(String peer, Object limit) {
            if (this == IDLE_TIMEOUT || this == MAX_REQUESTS) {
                if (log.isDebugEnabled()) {
                    log.debug("closed the connection from {}: {}", peer, why.formatted(limit));
                }
                return;
            }
            long now = System.nanoTime();
            long next = nextLine.get();
            if (now - next < 0 || !nextLine.compareAndSet(next, now + TimeUnit.SECONDS.toNanos(1))) {
                suppressed.incrementAndGet();
                return;
            }
            long more = suppressed.getAndSet(0);
            String verb = this == CONNECTION_LIMIT ? "refused the connection from " : "closed the connection from ";
            log.warn("{}{} ({}): {}{}", verb, peer, label, why.formatted(limit),
                    more == 0 ? "" : " (and " + more + " more for this reason not logged in the last second or more)");
        }
    }

    // what the connection is reading
    private static final int HANDSHAKE = 0; // TLS not finished yet
    private static final int WAIT_HEAD = 1; // no byte of the next request yet
    private static final int IN_HEAD = 2;   // some bytes of a request head
    private static final int IN_BODY = 3;   // a request body
    private static final int HTTP2 = 4;     // frames; requests are streams

    private final GatewayRuntime runtime;
    private final ConnectionTracker tracker;
    private final Channel channel;
    private final ConnectionLimits limits;
    private final long handshakeNanos;
    private final long headerNanos;
    private final long idleNanos;
    private final long bodyNanos;
    private final long writeNanos;
    /** The longest the timer is ever set for: the shortest timeout after the handshake. */
    private final long tickNanos;
    private ChannelHandlerContext ctx;
    private int reading;
    private long since;          // when the reading state began, or its last progress (a body's last byte)
    private int outstanding;     // HTTP/1.1 requests whose response is not written yet; HTTP/2 open streams
    private int requests;
    private ScheduledFuture<?> timer;
    // the outbound buffer when last looked at, to tell a client that reads slowly from one that does not read
    private Object writeCurrent;
    private long writeProgress;
    private long writeStalledSince; // 0 while nothing waits in the outbound buffer
    private Reason cut;
    /**
     * When the connection became idle (no request in progress), never 0; 0 while busy. Written
     * with release semantics only (no fence on the request path); the tracker's reads are
     * volatile, and a value a moment old only makes an eviction try a connection that has just
     * turned busy, which {@link #evict} checks again on the event loop.
     */
    private volatile long idleSince;
    private static final java.lang.invoke.VarHandle IDLE_SINCE;

    static {
        try {
            IDLE_SINCE = java.lang.invoke.MethodHandles.lookup().findVarHandle(ConnectionGuard.class, "idleSince", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private void setIdleSince(long v) {
        IDLE_SINCE.setRelease(this, v);
    }

    ConnectionGuard(GatewayRuntime runtime, ConnectionTracker tracker, Channel channel, boolean tls) {
        this.runtime = runtime;
        this.tracker = tracker;
        this.channel = channel;
        this.limits = runtime.current().config.model().gateway().connectionLimits();
        this.handshakeNanos = limits.handshake().toNanos();
        this.headerNanos = limits.requestHeader().toNanos();
        this.idleNanos = limits.keepAliveIdle().toNanos();
        this.bodyNanos = limits.bodyIdle().toNanos();
        this.writeNanos = limits.writeIdle().toNanos();
        this.tickNanos = Math.min(Math.min(headerNanos, idleNanos), Math.min(bodyNanos, writeNanos));
        this.reading = tls ? HANDSHAKE : WAIT_HEAD;
        long now = System.nanoTime();
        this.since = now;
        this.idleSince = now | 1;
    }

    /** The connection's guard, or null (a pipeline built without one). */
    static ConnectionGuard of(Channel connection) {
        return connection.pipeline().get(ConnectionGuard.class);
    }

    ConnectionLimits limits() {
        return limits;
    }

    /** Why this guard closed the connection, or null when it did not. */
    Reason cutReason() {
        return cut;
    }

    /** Since when the connection has been idle (for {@link ConnectionTracker}); 0 while busy. */
    long idleSince() {
        return idleSince;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        long first = reading == HANDSHAKE ? Math.min(handshakeNanos, tickNanos) : tickNanos;
        schedule(System.nanoTime() + first);
    }

    // ---------------------------------------------------------------- what happens on the connection

    /** The handshake is done and HTTP/1.1 was chosen (or the listener is plain): waiting for the first request. */
    private void http1Ready() {
        if (reading == HANDSHAKE) {
            reading = WAIT_HEAD;
            since = System.nanoTime();
            setIdleSince(since | 1);
        }
    }

    private void http2Ready() {
        reading = HTTP2;
        since = System.nanoTime();
        setIdleSince(since | 1);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        int r = reading;
        if (r == WAIT_HEAD) {
            reading = IN_HEAD;
            since = System.nanoTime(); // the first byte of a request: its head must be complete by since + requestHeader
        } else if (r == IN_BODY) {
            since = System.nanoTime();
        }
        ctx.fireChannelRead(msg);
    }

    private void onRequestHead(HttpRequest req) {
        reading = IN_BODY;
        since = System.nanoTime();
        if (outstanding++ == 0) {
            setIdleSince(0);
        }
        if (++requests == limits.maxRequestsPerConnection()) {
            HttpUtil.setKeepAlive(req, false); // the exchange answers with Connection: close, then closes
            count(Reason.MAX_REQUESTS, limits.maxRequestsPerConnection());
        }
    }

    private void onRequestEnd() {
        reading = WAIT_HEAD; // until its response is written, no deadline: the backend's timeout applies
        if (outstanding == 0) {
            since = System.nanoTime();
            setIdleSince(since | 1); // answered before its body ended: idle now
        }
    }

    private void onResponseEnd() {
        if (outstanding > 0 && --outstanding == 0 && reading == WAIT_HEAD) {
            since = System.nanoTime();
            setIdleSince(since | 1);
        }
    }

    private void onStreamOpen(Channel stream) {
        if (outstanding++ == 0) {
            setIdleSince(0);
        }
        if (++requests == limits.maxRequestsPerConnection()) {
            count(Reason.MAX_REQUESTS, limits.maxRequestsPerConnection());
            drainHttp2(stream.parent());
        }
    }

    /**
     * How long a connection told to go away still takes the streams a client opened before it
     * read that: at least a round trip (RFC 9113 section 6.8).
     */
    static final long GOAWAY_GRACE_MILLIS = 1000;

    /**
     * Ends an HTTP/2 connection gracefully, in RFC 9113 section 6.8's two steps: a GOAWAY naming
     * the largest stream id tells the client to open no more streams here, while streams it opened
     * meanwhile are still served; a second later the close sends the GOAWAY naming the last stream
     * really opened, lets those finish, then closes. Closing at once refused the streams a busy
     * client had already sent, and the JDK's client failed them instead of retrying.
     */
    private static void drainHttp2(Channel connection) {
        connection.eventLoop().execute(() -> {
            connection.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame(
                    io.netty.handler.codec.http2.Http2Error.NO_ERROR).setExtraStreamIds(Integer.MAX_VALUE));
            connection.eventLoop().schedule((Runnable) connection::close, GOAWAY_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        });
    }

    private void onStreamClose() {
        if (outstanding > 0 && --outstanding == 0) {
            since = System.nanoTime();
            setIdleSince(since | 1);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable() && writeStalledSince == 0) {
            observeOutput(System.nanoTime()); // the client reads slower than we write: the write clock starts
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (tracker != null) {
            tracker.remove(this);
        }
        ctx.fireChannelInactive();
    }

    // ---------------------------------------------------------------- the timer

    private void schedule(long at) {
        timer = ctx.executor().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        Channel ch = ctx.channel();
        if (!ch.isActive() || cut != null) {
            return;
        }
        long now = System.nanoTime();
        long next = now + tickNanos;

        Reason r = null;
        long deadline = 0;
        switch (reading) {
            case HANDSHAKE -> {
                r = Reason.HANDSHAKE_TIMEOUT;
                deadline = since + handshakeNanos;
            }
            case IN_HEAD -> {
                r = Reason.HEADER_TIMEOUT;
                deadline = since + headerNanos;
            }
            case IN_BODY -> {
                r = Reason.BODY_TIMEOUT;
                deadline = since + bodyNanos;
            }
            default -> {
                if (outstanding == 0) {
                    r = Reason.IDLE_TIMEOUT;
                    deadline = since + idleNanos;
                }
            }
        }
        if ((r == Reason.HEADER_TIMEOUT || r == Reason.BODY_TIMEOUT) && !ch.config().isAutoRead()) {
            since = now; // the gateway holds the client back (backpressure): the client is not the slow one
            deadline = since + (r == Reason.HEADER_TIMEOUT ? headerNanos : bodyNanos);
        }

        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        if (out != null && out.totalPendingWriteBytes() > 0 && out.current() != null) {
            if (r == Reason.IDLE_TIMEOUT) {
                since = now; // the last response is still going out: not idle yet
                deadline = since + idleNanos;
            }
            if (writeStalledSince == 0 || out.current() != writeCurrent || out.currentProgress() != writeProgress) {
                observeOutput(now);
            } else if (now - writeStalledSince >= writeNanos) {
                cut(Reason.WRITE_TIMEOUT, seconds(limits.writeIdle()), true);
                return;
            }
            next = Math.min(next, writeStalledSince + writeNanos);
        } else {
            writeStalledSince = 0;
            writeCurrent = null;
        }

        if (r != null) {
            if (now - deadline >= 0) {
                java.time.Duration limit = switch (r) {
                    case HANDSHAKE_TIMEOUT -> limits.handshake();
                    case HEADER_TIMEOUT -> limits.requestHeader();
                    case BODY_TIMEOUT -> limits.bodyIdle();
                    default -> limits.keepAliveIdle();
                };
                cut(r, seconds(limit), false);
                return;
            }
            next = Math.min(next, deadline);
        }
        schedule(next);
    }

    private static String seconds(java.time.Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }

    private void observeOutput(long now) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        writeStalledSince = now | 1;
        writeCurrent = out == null ? null : out.current();
        writeProgress = out == null ? 0 : out.currentProgress();
    }

    /**
     * Closes the connection for {@code reason}, counted and logged. {@code abrupt}: at the socket,
     * past the TLS handler, whose close_notify would only wait behind what the client does not read.
     */
    private void cut(Reason reason, Object limit, boolean abrupt) {
        cut = reason;
        count(reason, limit);
        if (abrupt && ctx != null) {
            ctx.close();
        } else {
            channel.close();
        }
    }

    private void count(Reason reason, Object limit) {
        runtime.metrics.downstreamConnectionClosed(reason.label);
        reason.log(peer(channel), limit);
    }

    /**
     * Closes this connection to make room for a new one, if it is still idle when its event loop
     * gets to it; if a request has begun since the tracker chose it, it stays and counts again.
     * Any thread; the tracker has already taken it off its list.
     */
    void evict(int limit) {
        Channel ch = channel;
        try {
            ch.eventLoop().execute(() -> {
                if (cut == null && ch.isActive() && idleSince != 0) {
                    cut(Reason.EVICTED, limit, false);
                } else if (tracker != null && ch.isActive()) {
                    tracker.reinstate(this);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // the gateway is closing every connection anyway
        }
    }

    static String peer(Channel ch) {
        return ch.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(ch.remoteAddress());
    }

    // ---------------------------------------------------------------- the observers

    /** Between the HTTP/1.1 codec and the exchange: request heads and ends in, response ends out. */
    ChannelHandler http1Observer() {
        http1Ready();
        return new Http1Observer();
    }

    /** For the connection's HTTP/2 streams (one instance for all): each stream is a request. */
    ChannelHandler http2StreamObserver() {
        http2Ready();
        return new StreamObserver();
    }

    private final class Http1Observer extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest req) {
                onRequestHead(req);
            }
            if (msg instanceof LastHttpContent) {
                onRequestEnd();
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof LastHttpContent && !(msg instanceof HttpResponse r
                    && r.status().codeClass() == HttpStatusClass.INFORMATIONAL)) {
                onResponseEnd(); // handed to the codec: what is left to send is the write timeout's business
            }
            ctx.write(msg, promise);
        }
    }

    @ChannelHandler.Sharable
    private final class StreamObserver extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            onStreamOpen(ctx.channel());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            onStreamClose();
            ctx.fireChannelInactive();
        }
    }
}
