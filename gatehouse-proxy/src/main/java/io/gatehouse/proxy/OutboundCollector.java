package io.gatehouse.proxy;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.policy.spi.OutboundHttp.Failure;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Reads one whole response for an {@link OutboundClient} call from a pooled upstream connection
 * (attached with {@link UpstreamPool.Relay#attach}), up to {@link PolicyPath#MAX_BODY} bytes, and
 * completes the call's future on the connection's event loop. A connection whose response ended
 * cleanly with keep-alive goes back to the pool; any other is closed.
 *
 * <p>A stopgap of this file's own: the reusable "collect the whole response" upstream handler
 * being made out of {@code PolicyPath}'s buffering handler (expected as {@code UpstreamCollector})
 * should replace it; {@link OutboundClient#start} is the only place that makes one.
 */
final class OutboundCollector extends ChannelInboundHandlerAdapter {
    private final UpstreamPool pool;
    private final EventLoop loop;
    private final GatewayMetrics metrics;
    private final UpstreamTarget target;
    /** Holds the target's TLS context alive until the call ends (see {@link OutboundTargets.Route}). */
    private final OutboundTargets.Route route;
    private final OutboundHttp.Request request;
    private final CompletableFuture<OutboundHttp.Response> result;
    private Channel channel;
    private ScheduledFuture<?> timeout;
    private int status;
    private String reason;
    private Headers headers;
    private CompositeByteBuf body;
    private boolean keepAlive;
    private Runnable retry; // set while the request goes out on a kept-alive connection and may go again

    OutboundCollector(UpstreamPool pool, EventLoop loop, GatewayMetrics metrics, OutboundTargets.Route route,
                      OutboundHttp.Request request, CompletableFuture<OutboundHttp.Response> result) {
        this.pool = pool;
        this.loop = loop;
        this.metrics = metrics;
        this.route = route;
        this.target = route.target();
        this.request = request;
        this.result = result;
    }

    /** Fails the call when it has not completed within {@code amount}. */
    void armTimeout(long amount, TimeUnit unit) {
        timeout = loop.schedule(() -> fail(new Failure(Failure.Kind.TIMEOUT, where() + ": no response within "
                + request.timeout().toMillis() + " ms"), channel), Math.max(1, amount), unit);
    }

    /** The connection is open (and its handshake done): the response comes to this handler. */
    void attach(Channel ch) {
        this.channel = ch;
        UpstreamPool.Relay.attach(ch, this);
    }

    /** If the connection now attached closes before any answer, {@code again} sends the request on a new one (once). */
    void retryOnStaleConnection(Runnable again) {
        this.retry = again;
    }

    /** Sends the request again on a new connection if this was the kept-alive one it may be retried from. */
    private boolean retried(Channel ch) {
        Runnable again = retry;
        if (again == null || ch != channel || status != 0 || result.isDone()) {
            return false;
        }
        retry = null;
        channel = null;
        UpstreamPool.Relay.detach(ch, this);
        ch.close();
        again.run();
        return true;
    }

    /** Writing the request failed. */
    void sendFailed(Channel ch, Throwable cause) {
        if (ch != channel || retried(ch)) {
            return; // an earlier connection's news: the call has moved on
        }
        fail(new Failure(Failure.Kind.CONNECTION, where() + ": the request could not be sent: " + cause, cause), ch);
    }

    /** The pool could not give a connection: connecting or the TLS handshake failed. */
    void connectFailed(Throwable cause) {
        if (cause instanceof UpstreamException ue) {
            Failure.Kind kind = ue.kind == FailureKind.TIMEOUT ? Failure.Kind.TIMEOUT
                    : ue.tlsReason != null || isTls(ue.getCause()) ? Failure.Kind.TLS : Failure.Kind.CONNECTION;
            fail(new Failure(kind, where() + ": " + unprefixed(ue.getMessage()), ue.getCause()), null);
        } else {
            fail(new Failure(Failure.Kind.CONNECTION, where() + ": " + cause, cause), null);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (result.isDone()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse r) {
            if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ReferenceCountUtil.release(msg);
                return;
            }
            status = r.status().code();
            reason = r.status().reasonPhrase();
            HttpHeaders h = r.headers();
            keepAlive = HttpUtil.isKeepAlive(r);
            ForwardedHeaders.stripHopByHop(h);
            headers = new Headers();
            for (Map.Entry<String, String> e : h) {
                if (!e.getKey().equalsIgnoreCase("transfer-encoding")) {
                    headers.add(e.getKey(), e.getValue());
                }
            }
            body = ctx.alloc().compositeBuffer(1024);
        }
        if (msg instanceof HttpContent c) {
            if (body == null) {
                c.release();
                return;
            }
            if ((long) body.readableBytes() + c.content().readableBytes() > PolicyPath.MAX_BODY) {
                c.release();
                fail(new Failure(Failure.Kind.TOO_LARGE, where() + ": the response is over " + PolicyPath.MAX_BODY
                        + " bytes, the most the gateway reads for a policy"), ctx.channel());
                return;
            }
            body.addComponent(true, c.content().retain());
            c.release();
            if (c instanceof LastHttpContent) {
                byte[] bytes = ByteBufUtil.getBytes(body);
                body.release();
                body = null;
                cancelTimeout();
                UpstreamPool.Relay.detach(ctx.channel(), this);
                if (keepAlive) {
                    pool.release(ctx.channel(), loop);
                } else {
                    ctx.channel().close();
                }
                result.complete(new OutboundHttp.Response(status, reason, headers, bytes));
            }
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Failure f;
        if (isTls(cause)) {
            // TLS 1.3: a server refusing our certificate says so with the first response bytes
            f = new Failure(Failure.Kind.TLS, where() + ": " + unprefixed(UpstreamPool.tlsFailure(target, cause, metrics).getMessage()),
                    cause);
        } else if (cause instanceof DecoderException) {
            f = new Failure(Failure.Kind.PROTOCOL, where() + ": " + cause.getMessage(), cause);
        } else if (retried(ctx.channel())) {
            return;
        } else {
            f = new Failure(Failure.Kind.CONNECTION, where() + ": " + cause, cause);
        }
        fail(f, ctx.channel());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (retried(ctx.channel())) {
            ctx.fireChannelInactive();
            return;
        }
        fail(new Failure(Failure.Kind.PROTOCOL, where() + ": the server closed the connection before the response was complete"),
                ctx.channel());
        ctx.fireChannelInactive();
    }

    /** Ends the call with {@code f} (once); the connection, if any, is closed: it is in an unknown state. */
    void fail(Failure f, Channel ch) {
        if (result.isDone()) {
            return;
        }
        cancelTimeout();
        if (body != null) {
            body.release();
            body = null;
        }
        if (ch != null) {
            UpstreamPool.Relay.detach(ch, this);
            ch.close();
        }
        result.completeExceptionally(f);
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    /** The pool's message without its "backend 'outbound': " for calls that match no backend (they name the URL). */
    private String unprefixed(String message) {
        String prefix = "backend '" + OutboundTargets.DEFAULT_ID + "': ";
        return target.id().equals(OutboundTargets.DEFAULT_ID) && message != null && message.startsWith(prefix)
                ? message.substring(prefix.length()) : message;
    }

    private String where() {
        return request.caller() + " " + request.method() + " " + OutboundTargets.origin(request.uri());
    }

    private static boolean isTls(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }
}
