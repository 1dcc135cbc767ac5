package io.gatehouse.proxy;

import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.tls.TlsConfigException;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's {@link OutboundHttp}: the policies' outbound calls on Netty, through the same
 * {@link UpstreamPool} and TLS settings as backends ({@link OutboundTargets}), one instance per
 * config (bound to its policies when the gateway takes the config).
 *
 * <p>A call made on one of the gateway's event loops (a policy running for a request) opens or
 * reuses its connection on that loop and completes there: no other thread is involved and
 * nothing blocks. A call from any other thread is handed to one of the loops.
 *
 * <p>The timeout covers the whole call: connecting, the TLS handshake, sending and reading the
 * whole response. Responses are read whole, up to {@link PolicyPath#MAX_BODY} bytes. An
 * idempotent request on a kept-alive connection that the server closes before answering
 * (it timed the connection out as the request went) is sent once more on a new connection.
 */
final class OutboundClient implements OutboundHttp {
    /** Request headers the client decides itself: hop-by-hop ones, the Host and the body's framing. */
    private static final Set<String> NOT_SENT = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "proxy-authenticate");
    /** Methods sent again on a new connection when a kept-alive one closes before any answer (RFC 9110 9.2.2). */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    private final UpstreamPool pool;
    private final EventLoopGroup loops;
    private final GatewayMetrics metrics;
    private final OutboundTargets targets;

    OutboundClient(UpstreamPool pool, EventLoopGroup loops, GatewayMetrics metrics, OutboundTargets targets) {
        this.pool = pool;
        this.loops = loops;
        this.metrics = metrics;
        this.targets = targets;
    }

    OutboundTargets targets() {
        return targets;
    }

    @Override
    public CompletionStage<Response> send(Request request) {
        URI uri = request.uri();
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
            return CompletableFuture.failedFuture(new Failure(Failure.Kind.UNAVAILABLE,
                    request.caller() + ": '" + uri + "' is not an absolute http(s) URL"));
        }
        OutboundTargets.Route route;
        try {
            route = targets.forCall(uri, request.clientCertificate());
        } catch (TlsConfigException | IllegalArgumentException e) {
            // the message names the certificate, never the key
            return CompletableFuture.failedFuture(new Failure(Failure.Kind.TLS, request.caller() + ": the client certificate "
                    + request.clientCertificate().leaf().getSubjectX500Principal() + " cannot be used: " + e.getMessage()));
        }
        CompletableFuture<Response> result = new CompletableFuture<>();
        EventLoop loop = callersLoop();
        if (loop.inEventLoop()) {
            start(request, route, loop, result);
        } else {
            loop.execute(() -> start(request, route, loop, result));
        }
        return result;
    }

    /** The event loop running this thread, or (called from elsewhere) the next of the gateway's loops. */
    private EventLoop callersLoop() {
        for (EventExecutor e : loops) {
            if (e.inEventLoop()) {
                return (EventLoop) e;
            }
        }
        return loops.next();
    }

    private void start(Request request, OutboundTargets.Route route, EventLoop loop, CompletableFuture<Response> result) {
        UpstreamTarget target = route.target();
        OutboundCollector collector = new OutboundCollector(pool, loop, metrics, route, request, result);
        collector.armTimeout(request.timeout().toMillis(), TimeUnit.MILLISECONDS);
        Channel idle;
        try {
            idle = pool.idle(target, loop);
        } catch (RuntimeException e) {
            collector.fail(new Failure(Failure.Kind.CONNECTION, request.caller() + ": " + e.getMessage(), e), null);
            return;
        }
        if (idle == null) {
            connect(request, target, loop, result, collector);
            return;
        }
        if (IDEMPOTENT.contains(request.method())) {
            // a kept-alive connection the server closes as the request goes out: once more on a new one
            collector.retryOnStaleConnection(() -> connect(request, target, loop, result, collector));
        }
        send(request, idle, collector);
    }

    private void connect(Request request, UpstreamTarget target, EventLoop loop, CompletableFuture<Response> result,
                         OutboundCollector collector) {
        Future<Channel> connected;
        try {
            connected = pool.connect(target, loop);
        } catch (RuntimeException e) {
            collector.fail(new Failure(Failure.Kind.CONNECTION, request.caller() + ": " + e.getMessage(), e), null);
            return;
        }
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                collector.connectFailed(f.cause());
                return;
            }
            Channel up = (Channel) f.getNow();
            if (result.isDone()) { // timed out while connecting: the connection is good for the next call
                pool.release(up, loop);
                return;
            }
            send(request, up, collector);
        });
    }

    private static void send(Request request, Channel up, OutboundCollector collector) {
        collector.attach(up);
        up.writeAndFlush(encode(request)).addListener(w -> {
            if (!w.isSuccess()) {
                collector.sendFailed(up, w.cause());
            }
        });
    }

    private static FullHttpRequest encode(Request request) {
        URI uri = request.uri();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target0 = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        byte[] body = request.body();
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
                target0, Unpooled.wrappedBuffer(body));
        for (Map.Entry<String, List<String>> en : request.headers().entries()) {
            if (!NOT_SENT.contains(en.getKey().toLowerCase(Locale.ROOT))) {
                for (String v : en.getValue()) {
                    req.headers().add(en.getKey(), v);
                }
            }
        }
        req.headers().set(HttpHeaderNames.HOST, authority(uri));
        boolean get = request.method().equals("GET") || request.method().equals("HEAD");
        if (body.length > 0 || !get) {
            req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        return req;
    }

    /** The Host header for {@code uri}: its host, and its port unless the scheme's default. */
    static String authority(URI uri) {
        int port = UpstreamTarget.port(uri);
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        boolean defaultPort = (https && port == 443) || (!https && port == 80);
        return uri.getHost() + (defaultPort ? "" : ":" + port);
    }

    @Override
    public String toString() {
        return "OutboundClient[" + targets + "]";
    }
}
