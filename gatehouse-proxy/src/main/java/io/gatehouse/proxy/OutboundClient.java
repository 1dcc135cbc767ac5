package io.gatehouse.proxy;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.tls.TlsConfigException;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The gateway's {@link OutboundHttp}: the policies' outbound calls on Netty, through the same
 * {@link UpstreamPool} and TLS settings as backends ({@link OutboundTargets}), one instance per
 * config (bound to its policies when the gateway takes the config).
 *
 * <p>A call made on one of the gateway's event loops (a policy running for a request) opens or
 * reuses its connection on that loop and completes there: no other thread is involved and
 * nothing blocks. A call from any other thread is handed to one of the loops.
 *
 * <p>A call is one {@link UpstreamCollector#call}: the connection comes from the pool, the
 * response is read by the connection's {@link UpstreamReader} into the collector, and the
 * connection goes back through {@link UpstreamPool#giveBack}, exactly as for a
 * {@code forward-request}. The call asks the collector to let the timeout cover the whole call
 * (connecting, the TLS handshake, sending and reading the whole response) and to send an
 * idempotent request once more on a new connection when a kept-alive one turns out to be closed
 * before any answer (the server timed it out as the request went). Responses are read whole, up
 * to {@link UpstreamCollector#MAX_BODY} bytes. This class turns the collector's
 * {@link FailureKind} failures into the policies' {@link OutboundHttp.Failure} kinds, with
 * messages that name the caller, the method and the URL's origin.
 */
final class OutboundClient implements OutboundHttp {
    /** Request headers the client decides itself: hop-by-hop ones, the Host and the body's framing. */
    private static final Set<String> NOT_SENT = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection", "proxy-authenticate");
    /** What the collector's body limit is for these calls, named when a response is over it. */
    static final String MAX_BODY_IS = "the most the gateway reads for a policy's outbound call";

    private final GatewayRuntime runtime;
    private final EventLoopGroup loops;
    private final OutboundTargets targets;

    OutboundClient(GatewayRuntime runtime, EventLoopGroup loops, OutboundTargets targets) {
        this.runtime = runtime;
        this.loops = loops;
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
        String where = request.caller() + " " + request.method() + " " + OutboundTargets.origin(uri);
        FullHttpRequest req;
        try {
            req = encode(request);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new Failure(Failure.Kind.UNAVAILABLE, where + ": " + e.getMessage(), e));
        }
        UpstreamCollector.Call how = new UpstreamCollector.Call(request.timeout(), true, true, MAX_BODY_IS);
        CompletableFuture<Response> result = new CompletableFuture<>();
        UpstreamCollector.call(runtime, route.target(), callersLoop(), req, how).whenComplete((got, t) -> {
            // the route keeps the target's TLS context alive: this stage holds it until the call ends
            java.lang.ref.Reference.reachabilityFence(route);
            if (t != null) {
                result.completeExceptionally(failure(t, where, route.target()));
            } else {
                result.complete(response(got));
            }
        });
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

    private static Response response(UpstreamCollector.Collected got) {
        Headers headers = new Headers();
        for (Map.Entry<String, String> e : got.headers()) {
            if (!e.getKey().equalsIgnoreCase("transfer-encoding")) {
                headers.add(e.getKey(), e.getValue());
            }
        }
        return new Response(got.status().code(), got.status().reasonPhrase(), headers, got.body());
    }

    /**
     * The collector's failure as the policies see it: a {@link Failure} of the kind that says what
     * went wrong, its message naming the call ({@code where}) and the collector's words.
     */
    static Failure failure(Throwable t, String where, UpstreamTarget target) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (!(c instanceof GatewayException g)) {
            return new Failure(Failure.Kind.CONNECTION, where + ": " + c, c);
        }
        Throwable cause = g.getCause();
        Failure.Kind kind;
        if (FailureKind.TIMEOUT.is(g)) {
            kind = Failure.Kind.TIMEOUT; // the whole call's time, or connecting or the TLS handshake timed out
        } else if (FailureKind.RESPONSE_TOO_LARGE.is(g)) {
            kind = Failure.Kind.TOO_LARGE;
        } else if (cause instanceof UpstreamException ue && (ue.tlsReason != null || isTls(ue.getCause()))
                || isTls(cause)) {
            kind = Failure.Kind.TLS;
        } else if (cause == null || cause instanceof DecoderException) {
            // no cause: the connection closed before the response was complete (UpstreamReader)
            kind = Failure.Kind.PROTOCOL;
        } else {
            kind = Failure.Kind.CONNECTION; // could not connect, or the connection broke
        }
        Throwable reported = cause instanceof UpstreamException ue ? ue.getCause() : cause;
        return new Failure(kind, where + ": " + unprefixed(g.getMessage(), target), reported);
    }

    /**
     * The collector's message without "backend 'outbound'" for calls that match no backend: the
     * message names the URL instead. A configured backend's id is kept.
     */
    private static String unprefixed(String message, UpstreamTarget target) {
        if (!target.id().equals(OutboundTargets.DEFAULT_ID) || message == null) {
            return message;
        }
        String own = "backend '" + OutboundTargets.DEFAULT_ID + "'";
        if (message.startsWith(own + ": ")) {
            return message.substring(own.length() + 2);
        }
        return message.startsWith(own + " ") ? "the server" + message.substring(own.length()) : message;
    }

    private static boolean isTls(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
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
