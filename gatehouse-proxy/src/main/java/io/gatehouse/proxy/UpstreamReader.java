package io.gatehouse.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of every upstream connection, for its whole life, and the only one that reads
 * backends' responses: it hands the response of the exchange using the connection now to that
 * exchange's {@link Sink} ({@link #attach}). There are two sinks: the client's connection
 * ({@code DownstreamHandler}'s relay, the plain path) and {@link UpstreamCollector} (the whole
 * response, for policies). Taking a connection from the pool and giving it back never changes
 * the pipeline; without a sink, bytes from the backend or a failure simply end the connection.
 *
 * <p>Failures of the connection are told to the sink as a {@link FailureKind} and a message, made
 * here for both sinks. So is the response deadline, the only one the gateway keeps for a backend's
 * answer: {@link #arm}ed when the request has gone out, ended by the response's final head (or,
 * for a call whose timeout covers the whole response, by its end), or by a new {@link #attach} or
 * a {@link #detach}. It is checked by one timer per connection, set for
 * the earliest deadline armed and moved on when it fires early, so that a keep-alive connection
 * does not schedule and cancel a task on every request.
 */
final class UpstreamReader extends ChannelInboundHandlerAdapter {
    /** How soon after the request a kept-alive connection's close says it was stale ({@link #staleClose}). */
    static final long STALE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    /**
     * Whether a failure of a request on a reused kept-alive connection, sent at {@code sentNanos}
     * and answered with nothing yet (no byte, no 1xx: the caller knows), says the connection was
     * stale when the request went out: closed or reset (an I/O failure, or a close with no
     * cause; not a timeout, TLS or a proxy's refusal) within {@link #STALE_NANOS}. Only then may an
     * idempotent request go once more (RFC 9112 section 9.3.1): a backend that closes later may
     * have acted on it, and a request that makes it crash is not sent twice.
     */
    static boolean staleClose(FailureKind kind, Throwable cause, long sentNanos) {
        return kind == FailureKind.BACKEND_CONNECTION_FAILURE && (cause == null || cause instanceof java.io.IOException)
                && System.nanoTime() - sentNanos <= STALE_NANOS;
    }


    /** Where a backend's response goes. Every method is called on the connection's event loop. */
    interface Sink {
        /** A 1xx head: it stays between the gateway and the backend. */
        default void informational(Channel up, HttpResponse head) {
        }

        /** The final head of the response. */
        void head(Channel up, HttpResponse head);

        /** A part of the body; {@code last} ends the response. The sink owns {@code c}. */
        void content(Channel up, HttpContent c, boolean last);

        /** The end of one read from the backend: a sink that writes to the client flushes here. */
        default void readComplete(Channel up) {
        }

        /** The connection's writability changed (a request body streaming to it may go on). */
        default void writabilityChanged(Channel up) {
        }

        /**
         * The connection failed, or closed before the response ended. It is closed after this returns.
         * {@code cause} is what the connection threw (for a TLS alert, the explained
         * {@link UpstreamException}), or null when it closed or the deadline passed.
         */
        void failed(Channel up, FailureKind kind, String message, Throwable cause);
    }

    private final UpstreamTarget target;
    private final GatewayMetrics metrics;
    private ChannelHandlerContext ctx;
    private Sink sink;
    private long deadline;            // System.nanoTime() by which the final head is due; 0 when not armed
    private java.time.Duration timeout;
    private String timeoutSetting;    // the setting the timeout came from, for the message, or null
    private boolean wholeResponse;    // the deadline lasts until the response has been read, not its head
    private ScheduledFuture<?> timer; // checks the deadline, or null
    private long timerAt;
    private boolean proxySaidKeepAlive; // the last response of a proxy (absolute form) said keep-alive itself

    UpstreamReader(UpstreamTarget target, GatewayMetrics metrics) {
        this.target = target;
        this.metrics = metrics;
    }

    /** The connection's reader: its last handler, found without a search of the pipeline. */
    private static UpstreamReader of(Channel ch) {
        return ch.pipeline().last() instanceof UpstreamReader r ? r : ch.pipeline().get(UpstreamReader.class);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** From now on the connection's responses go to {@code sink}; no deadline is armed. */
    static void attach(Channel ch, Sink sink) {
        UpstreamReader r = of(ch);
        r.sink = sink;
        r.deadline = 0;
    }

    /**
     * True when the last response on this connection to a proxy (absolute form) asked for the
     * connection to be kept ({@code Connection: keep-alive} or {@code Proxy-Connection: keep-alive}).
     * Proxies such as tinyproxy relay an HTTP/1.1 backend's status line and close the connection
     * after every response without saying so; reusing such a connection loses the next request.
     */
    static boolean proxyKeepsAlive(Channel ch) {
        UpstreamReader r = of(ch);
        return r != null && r.proxySaidKeepAlive;
    }

    /** Detaches whatever sink the connection has, and its deadline. */
    static void detach(Channel ch) {
        UpstreamReader r = of(ch);
        if (r != null) {
            r.sink = null;
            r.deadline = 0;
        }
    }

    /** Detaches {@code sink} (and its deadline) only if it is still the one attached. */
    static void detach(Channel ch, Sink sink) {
        UpstreamReader r = of(ch);
        if (r != null && r.sink == sink) {
            r.sink = null;
            r.deadline = 0;
        }
    }

    /**
     * The request of {@code sink} has gone out: its response's final head is due within
     * {@code timeout}, else the sink fails with {@link FailureKind#TIMEOUT} and the connection is
     * closed. {@code setting} names where the timeout came from, for the message (or null). Does
     * nothing if {@code sink} is no longer the connection's.
     */
    static void arm(Channel ch, Sink sink, java.time.Duration timeout, String setting) {
        arm(ch, sink, timeout, setting, false);
    }

    /**
     * {@link #arm(Channel, Sink, java.time.Duration, String)}; with {@code wholeResponse} the
     * deadline is not ended by the final head but lasts until the sink is detached (the response
     * read whole and the connection given back), for a caller whose timeout covers the whole call.
     */
    static void arm(Channel ch, Sink sink, java.time.Duration timeout, String setting, boolean wholeResponse) {
        UpstreamReader r = of(ch);
        if (r == null || r.sink != sink) {
            return;
        }
        r.timeout = timeout;
        r.timeoutSetting = setting;
        r.wholeResponse = wholeResponse;
        r.deadline = System.nanoTime() + timeout.toNanos() | 1; // never 0
        if (r.timer == null || r.deadline - r.timerAt < 0) {
            if (r.timer != null) {
                r.timer.cancel(false);
            }
            r.schedule(r.deadline);
        }
    }

    private void schedule(long at) {
        timerAt = at;
        timer = ctx.executor().schedule(this::onTimer, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        Sink s = sink;
        if (s == null || deadline == 0) {
            return;
        }
        if (deadline - System.nanoTime() > 0) {
            schedule(deadline); // armed by a later request than the one it was set for
            return;
        }
        sink = null;
        deadline = 0;
        s.failed(ctx.channel(), FailureKind.TIMEOUT, "backend '" + target.id() + "' did not answer within "
                + timeout.toSeconds() + " s" + (timeoutSetting == null ? "" : " (" + timeoutSetting + ")"), null);
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Sink s = sink;
        if (s == null) {
            ReferenceCountUtil.release(msg); // bytes while idle: drop the connection
            ctx.close();
            return;
        }
        Channel up = ctx.channel();
        if (msg instanceof HttpResponse r) {
            if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                s.informational(up, r);
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!wholeResponse) {
                deadline = 0; // answered in time
            }
            if (target.absoluteForm()) {
                proxySaidKeepAlive = r.headers().containsValue(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION,
                        io.netty.handler.codec.http.HttpHeaderValues.KEEP_ALIVE, true)
                        || r.headers().containsValue("Proxy-Connection", io.netty.handler.codec.http.HttpHeaderValues.KEEP_ALIVE, true);
            }
            if (r.status().code() == 407 && target.absoluteForm()) {
                // only a proxy answers 407: the proxy policy's proxy refused the request, not the backend
                sink = null;
                deadline = 0;
                ReferenceCountUtil.release(msg);
                io.gatehouse.policy.OutboundProxy proxy = target.proxy();
                String why = "backend '" + target.id() + "': through " + proxy
                        + ": the proxy refused the request with " + r.status()
                        + (proxy.username() == null ? " (it asks for credentials: give the proxy policy a username and password)"
                        : " (it did not accept the username and password)");
                // with its cause, so that it is never taken for a kept-alive connection gone stale (and sent again)
                s.failed(up, FailureKind.BACKEND_CONNECTION_FAILURE, why,
                        new UpstreamException(FailureKind.BACKEND_CONNECTION_FAILURE, why, null, null));
                ctx.close();
                return;
            }
            s.head(up, r);
        }
        if (msg instanceof HttpContent c) {
            s.content(up, c, c instanceof LastHttpContent);
        } else if (!(msg instanceof HttpObject)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Sink s = sink;
        if (s != null) {
            s.readComplete(ctx.channel());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Sink s = sink;
        if (s != null) {
            s.writabilityChanged(ctx.channel());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        Sink s = sink;
        if (s != null) {
            sink = null;
            s.failed(ctx.channel(), FailureKind.BACKEND_CONNECTION_FAILURE, "backend '" + target.id()
                    + "' closed the connection before the response was complete", null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Sink s = sink;
        if (s != null) {
            sink = null;
            if (isTls(cause)) {
                UpstreamException ue = UpstreamPool.tlsFailure(target, cause, metrics);
                s.failed(ctx.channel(), ue.kind, ue.getMessage(), ue);
            } else {
                s.failed(ctx.channel(), FailureKind.BACKEND_CONNECTION_FAILURE, "backend '" + target.id() + "': " + cause,
                        cause);
            }
        }
        ctx.close();
    }

    private static boolean isTls(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }
}
