package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One downstream HTTP conversation: an HTTP/1.1 connection, or one HTTP/2 stream. Routes each
 * request, takes an upstream connection from the pool (on the same event loop), and streams the
 * request and the response through with backpressure: neither side reads faster than the other
 * side can write, so a large body is never held in memory.
 *
 * <p>All state is confined to the event loop; one exchange is active at a time (pipelined
 * HTTP/1.1 requests wait in {@link #backlog}).
 */
final class DownstreamHandler extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.proxy");
    private static final Logger traceLog = LoggerFactory.getLogger("gatehouse.trace");

    private final GatewayRuntime runtime;
    private final boolean tls;
    private final boolean http2;
    private final ArrayDeque<Object> backlog = new ArrayDeque<>(2);
    private ChannelHandlerContext ctx;
    private DownstreamExchange ex;
    private final RelaySink relay = new RelaySink(); // the backend's response to this client
    private boolean readingPaused;   // autoRead is off: only changed when needed (each change is a syscall)
    private boolean inRead;          // inside channelRead..channelReadComplete, which flushes upstream
    private static final int MAX_BACKLOG = 8;
    private static final int MAX_PENDING_BYTES = 256 * 1024;
    /** How much of a request body the gateway reads and drops after answering early, before closing. */
    private static final long MAX_DRAIN_BYTES = 16L * 1024 * 1024;
    private long drainLeft = -1;     // >= 0 while dropping the rest of a request that was already answered
    private String clientIp;
    private GatewaySnapshot trustedIn;      // the configuration trusted was computed in
    private PolicyPath.Client client;       // who asks, for the policies (client())
    private GatewaySnapshot clientIn;       // the configuration client was made in
    private boolean trusted;                // the peer is in gateway.trustedProxies
    private ScheduledFuture<?> bodyTimer;    // HTTP/2: the body idle check of the stream's request, or null
    private long lastBodyNanos;               // HTTP/2: when the request's last DATA arrived

    DownstreamHandler(GatewayRuntime runtime, boolean tls, boolean http2) {
        this.runtime = runtime;
        this.tls = tls;
        this.http2 = http2;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        inRead = true;
        if (ex != null && ex.requestComplete) {
            backlog.add(msg); // a pipelined request: served when this one is done
            if (backlog.size() > MAX_BACKLOG) {
                pauseReading();
            }
            return;
        }
        dispatch(msg);
    }

    private void pauseReading() {
        if (!readingPaused) {
            readingPaused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    private void resumeReading() {
        if (readingPaused) {
            readingPaused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Flushes upstream now, unless the downstream read in progress will (channelReadComplete). */
    private void flushUpstream(Channel up) {
        if (!inRead) {
            up.flush();
        }
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest req) {
            if (ex != null) { // a new request before the last one's body ended: the codec prevents this
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            startExchange(req);
            if (msg instanceof FullHttpRequest full) {
                onContent(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
            }
        } else if (msg instanceof HttpContent c) {
            onContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void startExchange(HttpRequest req) {
        DownstreamExchange e = new DownstreamExchange();
        ex = e;
        runtime.inFlight.increment();
        e.method = req.method().name();
        e.uri = req.uri();
        GatewaySnapshot snap = runtime.current();
        if (snap.tracing != null) { // OpenTelemetry: the SERVER span, its parent the client's traceparent
            e.span = Spans.start(snap.tracing, e, req, connection(), tls, http2);
        }
        e.keepAlive = http2 || HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            e.keepAlive = false;
            fail(e, FailureKind.BAD_REQUEST, "malformed request: " + req.decoderResult().cause().getMessage(), null);
            return;
        }
        RequestChecks.Refusal refused = RequestChecks.check(req, http2);
        if (refused != null) {
            e.keepAlive = false;
            fail(e, refused.kind(), refused.why(), null);
            return;
        }
        if (!http2) {
            e.framing = RequestChecks.framing(req);
            if (e.framing == null) {
                e.keepAlive = false;
                fail(e, FailureKind.UNSUPPORTED_TRANSFER_CODING, "Transfer-Encoding '" + RequestChecks.shown(String.join(", ",
                        req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING))) + "' (only chunked alone is decoded)", null);
                return;
            }
        } else {
            e.framing = HttpUtil.isContentLengthSet(req) ? RequestChecks.Framing.LENGTH
                    : req instanceof FullHttpRequest ? RequestChecks.Framing.NONE : RequestChecks.Framing.CHUNKED;
            if (!(req instanceof FullHttpRequest)) {
                armBodyIdle(); // HTTP/1.1 bodies are timed by the connection's guard; a stream's here
            }
        }
        HttpHeaders headers = req.headers();
        // [trace] Apim-Debug-Authorization is stripped from every request; a valid key starts a trace
        e.trace = RequestTrace.begin(runtime, snap, req, e.requestId, e.startNanos);
        if (e.trace != null) {
            e.trace.received(req, clientIp(), DownstreamInitializer.handshake(connection()));
        }
        String host = headers.get(HttpHeaderNames.HOST);
        HostnameAccess.Scope scope = snap.scope(tls, connection(), host); // the hostname: its APIs and client CAs
        if (scope.misdirected() != null) {
            fail(e, FailureKind.MISDIRECTED, scope.misdirected(), null);
            return;
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        if (hasDotSegments(path)) {
            fail(e, FailureKind.BAD_REQUEST, "request path '" + RequestChecks.shown(path)
                    + "' is not a normalised absolute path", null);
            return;
        }
        Router.Match match = scope.router().route(req.method().name(), path);
        if (match == null) {
            fail(e, FailureKind.OPERATION_NOT_FOUND, "no API or operation matches " + req.method() + " "
                    + RequestChecks.shown(path), null);
            return;
        }
        e.match = match;
        if (e.trace != null) { // [trace]
            e.trace.route(host, match);
        }
        if (e.span != null) {
            Spans.routed(e.span, match);
        }
        UpstreamTarget target = match.api().target();
        e.target = target;
        HostnameAccess.Refusal refusal = snap.admit(scope, match, connection(), runtime.metrics);
        if (refusal != null) { // clientCertificate: required, before any policy runs
            fail(e, refusal.kind(), refusal.message(), null);
            return;
        }
        HostnameAccess.Refusal keyRefused = null; // answered by the route's on-error, once the policies can see the head
        if (snap.subscriptions.enabled()) { // the subscription key, after the client certificate
            Subscriptions.Verdict v = snap.subscriptions.check(match.api().config(), headers, req.uri(),
                    tls ? "https" : "http", host);
            if (v.refusal() != null) {
                runtime.metrics.subscriptionRefusal(match.api().config().id(), v.refusal().check());
                e.challenge = v.challenge();
                if (match.policy() == null || !match.policy().handlesErrors()) {
                    fail(e, v.refusal().kind(), v.refusal().message(), null);
                    return;
                }
                keyRefused = v.refusal();
            }
            e.caller = keyRefused != null ? Subscriptions.Caller.ANONYMOUS : v.caller();
            if (keyRefused == null && v.caller().productId() != null) { // a product's context: its policy runs between global and API
                match = match.inProduct(v.caller().productId());
                e.match = match;
            }
        }

        boolean trustedPeer = trustedPeer(snap);
        snap.identityHeaders.strip(headers, trustedPeer);
        ForwardedHeaders.stripHopByHop(headers);
        headers.remove(HttpHeaderNames.EXPECT);
        ForwardedHeaders.addForwarded(headers, clientIp(), tls, host, trustedPeer);
        forwardClientCertificate(snap, match, headers);
        if (match.policy() != null) {
            e.head = new PolicyPath.Head(req.method().name(), tls ? "https" : "http",
                    host == null ? target.authority() : host, uri, headers);
            if (keyRefused != null) { // APIM runs on-error for a refused key: it may answer otherwise
                e.refusedBeforePolicies = refusal(keyRefused, e.challenge);
                e.challenge = null; // in the response on-error starts from, not on a later failure of the gateway's
            }
            if (match.policy().readsRequestBody()) {
                e.to(DownstreamExchange.Phase.READING_BODY);
                e.policyBody = ctx.alloc().compositeBuffer(1024);
                return; // reading goes on: onContent collects the body, then the policies run
            }
            // the policies see the head now; the body waits for forward-request (held back if it piles up)
            e.pending = new ArrayDeque<>(4);
            e.request = new StreamedRequest(e, requestLength(e, req), headers.get(HttpHeaderNames.CONTENT_TYPE));
            runPolicies(e, null);
            return;
        }
        headers.set(HttpHeaderNames.HOST, target.authority());
        // HTTP/1.1 frames the body by its headers, which pass through; an HTTP/2 request whose
        // headers did not end the stream has a body of unknown length: chunk it upstream
        if (http2 && !HttpUtil.isContentLengthSet(req)) {
            boolean bodyFollows = !(req instanceof FullHttpRequest);
            if (bodyFollows) {
                HttpUtil.setTransferEncodingChunked(req, true);
            } else if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
                headers.set(HttpHeaderNames.CONTENT_LENGTH, HttpHeaderValues.ZERO);
            }
        }
        e.upstreamHead = new DefaultHttpRequest(HttpVersion.HTTP_1_1, req.method(),
                target.requestTarget(match.remainder(), q >= 0 ? uri.substring(q) : ""), headers);
        e.pending = new ArrayDeque<>(4);
        e.to(DownstreamExchange.Phase.FORWARDING);
        connectUpstream(e);
    }

    /**
     * The request body's length as the gateway reads it: 0 for none, -1 when not known in advance
     * (chunked). From {@link DownstreamExchange#framing}, decided before any header was removed.
     */
    private static long requestLength(DownstreamExchange e, HttpRequest req) {
        if (req instanceof FullHttpRequest full) {
            return full.content().readableBytes();
        }
        return switch (e.framing) {
            case NONE -> 0;
            case CHUNKED -> -1;
            case LENGTH -> HttpUtil.getContentLength(req, -1L);
        };
    }

    /** Whether the peer is in {@code gateway.trustedProxies} (asked once per connection and config). */
    private boolean trustedPeer(GatewaySnapshot snap) {
        if (snap.trustedProxies.isEmpty()) {
            return false;
        }
        if (trustedIn != snap) {
            SocketAddress a = connection().remoteAddress();
            trusted = a instanceof InetSocketAddress i && snap.trustedProxies.contains(i.getAddress());
            trustedIn = snap;
        }
        return trusted;
    }

    /**
     * {@code apis[].forwardClientCertificate}: the backend is told the client's certificate by the
     * gateway, when the connection's chain verifies against the CA store (never what a client sent:
     * those names were removed with the identity headers).
     */
    private void forwardClientCertificate(GatewaySnapshot snap, Router.Match match, HttpHeaders headers) {
        io.gatehouse.config.model.ApiConfig.ForwardClientCertificate format = match.api().config().forwardClientCertificate();
        if (format == io.gatehouse.config.model.ApiConfig.ForwardClientCertificate.NONE) {
            return;
        }
        Channel connection = connection();
        io.gatehouse.tls.HandshakeInfo hs = DownstreamInitializer.handshake(connection);
        io.gatehouse.expr.context.X509Certificate2 cert = PolicyPath.certificate(snap, connection, hs);
        if (cert == null || !cert.verify()) {
            return;
        }
        io.netty.util.Attribute<ClientCertificateHeaders.Values[]> a = connection.attr(CLIENT_CERT_HEADERS);
        ClientCertificateHeaders.Values[] byFormat = a.get();
        if (byFormat == null) {
            byFormat = new ClientCertificateHeaders.Values[3];
            a.set(byFormat);
        }
        ClientCertificateHeaders.Values v = byFormat[format.ordinal()];
        if (v == null) {
            v = ClientCertificateHeaders.values(format, hs.clientChain());
            byFormat[format.ordinal()] = v;
        }
        ClientCertificateHeaders.set(headers, format, v);
    }

    private static final io.netty.util.AttributeKey<ClientCertificateHeaders.Values[]> CLIENT_CERT_HEADERS =
            io.netty.util.AttributeKey.valueOf("gatehouse.clientCertHeaders");

    private static boolean hasDotSegments(String path) {
        String p = path;
        if (p.indexOf('%') >= 0) {
            try {
                p = URLDecoder.decode(p.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException bad) {
                return true;
            }
        }
        return p.contains("/../") || p.endsWith("/..") || p.contains("/./") || p.endsWith("/.") || p.indexOf('\\') >= 0;
    }

    /** The TCP connection: this channel for HTTP/1.1, the parent of an HTTP/2 stream. */
    private Channel connection() {
        return http2 ? ctx.channel().parent() : ctx.channel();
    }

    /** Who asks, as the policies see it: made once per connection (or HTTP/2 stream) and configuration. */
    private PolicyPath.Client client(GatewaySnapshot snap) {
        PolicyPath.Client c = client;
        if (c == null || clientIn != snap) {
            Channel connection = connection();
            io.gatehouse.tls.HandshakeInfo hs = DownstreamInitializer.handshake(connection);
            c = new PolicyPath.Client(clientIp(), hs, PolicyPath.certificate(snap, connection, hs));
            client = c;
            clientIn = snap;
        }
        return c;
    }

    /** The client's address as text, formatted once per connection (or HTTP/2 stream). */
    private String clientIp() {
        String ip = clientIp;
        if (ip == null) {
            SocketAddress a = connection().remoteAddress();
            ip = a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
            clientIp = ip;
        }
        return ip;
    }

    private void onContent(HttpContent c) {
        DownstreamExchange e = ex;
        if (c.decoderResult().isFailure()) {
            // a chunk size that is not hex, a chunk longer than its size, a missing CRLF, a bad
            // trailer: the body's end is unknown, so nothing more of this connection is trusted.
            // The backend never gets the request whole: its connection is closed mid-body.
            c.release();
            if (e == null || e.done()) {
                ctx.close();
                return;
            }
            e.keepAlive = false;
            e.upstreamReusable = false;
            fail(e, FailureKind.BAD_REQUEST, "malformed request body: " + c.decoderResult().cause().getMessage(), null);
            return;
        }
        if (e == null) {
            drain(c);
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (!e.done()) {
            e.bytesIn += c.content().readableBytes();
        }
        if (bodyTimer != null) {
            lastBodyNanos = System.nanoTime();
            if (last) {
                bodyTimer.cancel(false);
                bodyTimer = null;
            }
        }
        if (e.framing == RequestChecks.Framing.NONE && c.content().isReadable() && !e.done()) {
            c.release(); // bytes the request's head did not announce: never sent on unframed
            e.keepAlive = false;
            e.upstreamReusable = false;
            fail(e, FailureKind.BAD_REQUEST, "body bytes on a request whose head announced no body", null);
            return;
        }
        if (last && !e.done()) {
            HttpHeaders trailers = ((LastHttpContent) c).trailingHeaders();
            if (!trailers.isEmpty()) {
                runtime.current().identityHeaders.stripTrailers(trailers);
                trailers.remove(RequestTrace.DEBUG_HEADER); // [trace] a secret: never to the backend, not even as a trailer
            }
        }
        if (e.policyBody != null && !e.done()) {
            collectForPolicy(e, c, last);
            return;
        }
        if (e.done() || (e.request != null && e.request.dropped)) {
            c.release();
        } else if (e.upstream == null) {
            e.pending.add(c);
            e.pendingBytes += c.content().readableBytes();
            if (e.pendingBytes > MAX_PENDING_BYTES) {
                pauseReading(); // still connecting: hold the client back
            }
        } else {
            e.upstream.write(c, e.upstream.voidPromise());
            if (!e.upstream.isWritable()) {
                pauseReading();
            }
        }
        if (last) {
            e.requestComplete = true; // a pipelined next request waits in the backlog
            if (!e.done() && e.upstream != null) {
                flushUpstream(e.upstream);
                if (e.request == null) {
                    armTimeout(e);
                } else {
                    e.request.sentInFull();
                }
            }
        }
    }

    /**
     * The rest of a request that was answered before its body ended (a backend's early 200, a
     * 404): read and dropped so the client can finish sending and keep its connection, up to
     * {@link #MAX_DRAIN_BYTES}.
     */
    private void drain(HttpContent c) {
        int n = c.content().readableBytes();
        boolean last = c instanceof LastHttpContent;
        c.release();
        if (drainLeft < 0) {
            return;
        }
        drainLeft -= n;
        if (last) {
            drainLeft = -1;
        } else if (drainLeft < 0) {
            ctx.close(); // not worth reading any further
        }
    }

    private void collectForPolicy(DownstreamExchange e, HttpContent c, boolean last) {
        if (e.policyBody.readableBytes() + c.content().readableBytes() > PolicyPath.MAX_BODY) {
            c.release();
            e.releasePolicyBody();
            e.keepAlive = false;
            if (e.request != null) { // forward-request buffer-request-body: its policies answer
                e.request.tooLarge();
                return;
            }
            fail(e, FailureKind.PAYLOAD_TOO_LARGE, "request body over " + PolicyPath.MAX_BODY
                    + " bytes on a route with policies that read it (they read the request whole)", null);
            return;
        }
        e.policyBody.addComponent(true, c.content().retain());
        c.release();
        if (!last) {
            return;
        }
        e.requestComplete = true;
        byte[] body = io.netty.buffer.ByteBufUtil.getBytes(e.policyBody);
        e.releasePolicyBody();
        if (e.request != null) {
            e.request.whole(body);
            return;
        }
        runPolicies(e, body);
    }

    /** Runs the route's policies on the request ({@code body} read whole, or null when it streams). */
    private void runPolicies(DownstreamExchange e, byte[] body) {
        io.gatehouse.policy.GatewayException refused = e.refusedBeforePolicies; // then on-error alone runs
        e.to(DownstreamExchange.Phase.POLICIES);
        GatewaySnapshot snap = runtime.current();
        PolicyPath.Inbound in = new PolicyPath.Inbound(e.requestId, e.startNanos, e.match, e.head, client(snap), body,
                e.request, e, e.trace, e.span, e.caller);
        PolicyPath.Decision d = refused == null ? PolicyPath.run(runtime, snap, ctx.channel().eventLoop(), in)
                : PolicyPath.onError(runtime, snap, ctx.channel().eventLoop(), in, refused);
        if (d instanceof PolicyPath.Later later) {
            later.stage().whenComplete((next, t) -> decided(e, next, t)); // completed on the event loop
        } else {
            decided(e, d, null);
        }
    }

    /**
     * A refused subscription key as on-error sees it: LastError with APIM's source and reason, the
     * response APIM's 401 with its challenge. LastError.Message is the public text, as the
     * response's (on-error may put it in a body): why the key was refused (a suspended
     * subscription, its scope) stays in the log, the access log and the trace.
     */
    private static io.gatehouse.policy.GatewayException refusal(HostnameAccess.Refusal refused, String challenge) {
        FailureKind kind = refused.kind();
        return new io.gatehouse.policy.elements.PolicyRejection(kind.status.code(), kind.source, kind.reason,
                refused.message(), kind.publicMessage,
                challenge == null ? java.util.Map.of() : java.util.Map.of(HttpHeaderNames.WWW_AUTHENTICATE.toString(), challenge)) {
            @Override
            public String lastErrorMessage() {
                return publicMessage();
            }
        };
    }

    /** Carries out what the policies decided ({@code t}: they could not decide). */
    private void decided(DownstreamExchange e, PolicyPath.Decision d, Throwable t) {
        if (e.done()) {
            if (d instanceof PolicyPath.Respond out) {
                out.response().release();
                if (out.streamed() != null) {
                    out.streamed().rest().abandon();
                }
            }
            return;
        }
        if (t != null) {
            fail(e, FailureKind.INTERNAL, "policy execution failed: " + t, t);
            return;
        }
        if (d instanceof PolicyPath.Forward f) {
            logTraces(e.requestId, null, f.traces(), f.contextTraces());
            forward(e, f);
        } else {
            respond(e, (PolicyPath.Respond) d);
        }
    }

    /** Forwards as the policies decided, on the plain path: from here on exactly a plain route's exchange. */
    private void forward(DownstreamExchange e, PolicyPath.Forward f) {
        e.request = null;
        e.responseHeaders = f.responseHeaders();
        e.target = f.target();
        e.responseTimeout = f.timeout();
        e.upstreamHead = f.head();
        e.to(DownstreamExchange.Phase.FORWARDING);
        connectUpstream(e);
    }

    /** Sends the policies' response, or the backend's head as they left it and then its body. */
    private void respond(DownstreamExchange e, PolicyPath.Respond out) {
        logTraces(e.requestId, out.failure(), out.traces(), out.contextTraces());
        if (out.failure() != null) {
            io.gatehouse.policy.GatewayException g = out.failure();
            e.failed(g);
            runtime.metrics.requestFailure(g.source(), g.reason());
            String api = e.match.api().config().id();
            if (out.status() >= 500) {
                log.warn("[{}] {} {} / {} (api '{}'): {}", e.requestId, out.status(), g.source(), g.reason(), api, g.getMessage());
            } else {
                log.info("[{}] {} {} / {} (api '{}'): {}", e.requestId, out.status(), g.source(), g.reason(), api, g.getMessage());
            }
        }
        e.status = out.status();
        e.to(DownstreamExchange.Phase.RESPONDING);
        if (!e.keepAlive && !http2) {
            out.response().headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (e.trace != null) { // [trace]
            out.response().headers().set(RequestTrace.TRACE_ID_HEADER, e.trace.id());
        }
        UpstreamCollector.Collected streamed = out.streamed();
        if (streamed == null) {
            if (e.request != null && !e.request.dropped && !e.request.sent()) {
                e.request.drop(); // answered before the upload ended (inbound, or a failure): drain the rest
            }
            e.bytesOut += out.response().content().readableBytes();
            ctx.writeAndFlush(out.response());
            complete(e);
            return;
        }
        // the policies kept the backend's body: send their status and headers, then stream it
        FullHttpResponse full = out.response();
        HttpHeaders h = full.headers();
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        if (streamed.contentLength() >= 0) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, streamed.contentLength());
        } else if (!http2) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, full.status(), h);
        full.release();
        // from here on the body is relayed as on the plain path, on the connection the policies used
        e.upstream = streamed.rest().channel();
        e.upstreamReusable = streamed.keepAlive();
        e.bodyTaps = streamed.rest().taps().isEmpty() ? null : streamed.rest().taps();
        ctx.write(head);
        relay.begin();
        streamed.rest().handOver(relay, ctx.channel().isWritable());
    }

    private static final byte[] NO_BYTES = new byte[0];

    /**
     * The body of a request whose policies run on its head: held in {@link DownstreamExchange#pending} until
     * {@code forward-request} streams it to the backend (the plain path's backpressure from there
     * on), reads it whole, or drops it.
     */
    final class StreamedRequest implements PolicyPath.RequestStream {
        private final DownstreamExchange e;
        private final long length;
        private final io.gatehouse.expr.context.MessageBody placeholder;
        private boolean untouched = true;
        boolean dropped;
        private Runnable onSent;
        private java.util.concurrent.CompletableFuture<byte[]> whole;

        StreamedRequest(DownstreamExchange e, long length, String contentType) {
            this.e = e;
            this.length = length;
            this.placeholder = new io.gatehouse.expr.context.MessageBody(NO_BYTES, contentType);
        }

        @Override
        public io.gatehouse.expr.context.MessageBody placeholder() {
            return placeholder;
        }

        @Override
        public boolean untouched() {
            return untouched;
        }

        @Override
        public boolean hasBody() {
            return length != 0;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public void streamTo(Channel up, Runnable onSent) {
            untouched = false;
            if (e.done()) {
                runtime.pool.giveBack(up, null, false); // the client went away meanwhile: the forward fails with the connection
                return;
            }
            this.onSent = onSent;
            e.upstream = up;
            HttpContent c;
            while ((c = e.pending.poll()) != null) {
                up.write(c);
            }
            e.pendingBytes = 0;
            flushUpstream(up);
            if (e.requestComplete) {
                onSent.run();
            } else if (up.isWritable()) {
                resumeReading();
            } else {
                pauseReading();
            }
        }

        void sentInFull() {
            if (onSent != null) {
                onSent.run();
            }
        }

        @Override
        public void drop() {
            untouched = false;
            dropped = true;
            e.upstream = null;
            e.releasePolicyBody();
            e.releasePending();
            if (ex == e) {
                resumeReading(); // the rest is read and dropped, so the client can finish sending
            }
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> readWhole() {
            untouched = false;
            whole = new java.util.concurrent.CompletableFuture<>();
            e.policyBody = ctx.alloc().compositeBuffer(1024);
            for (HttpContent c; (c = e.pending.poll()) != null; ) {
                if (e.policyBody != null) {
                    collectForPolicy(e, c, c instanceof LastHttpContent);
                } else {
                    c.release();
                }
            }
            e.pendingBytes = 0;
            if (ex == e && !whole.isDone()) {
                resumeReading();
            }
            return whole;
        }

        void whole(byte[] body) {
            whole.complete(body);
        }

        void tooLarge() {
            dropped = true;
            whole.completeExceptionally(FailureKind.FORWARD_PAYLOAD_TOO_LARGE.exception("request body over "
                    + PolicyPath.MAX_BODY + " bytes with forward-request buffer-request-body=\"true\""));
        }

        @Override
        public boolean sent() {
            return !untouched && !dropped && e.requestComplete;
        }

        @Override
        public void upstreamWritable() {
            if (ex == e && !e.requestComplete && !dropped && e.upstream != null) {
                resumeReading();
            }
        }
    }

    /**
     * The request trace, for now in the log ({@code gatehouse.trace}): what {@code <trace>} and
     * {@code context.Trace()} recorded, at the level the policy's severity names.
     */
    private static void logTraces(String requestId, io.gatehouse.policy.GatewayException failure,
                                  java.util.List<io.gatehouse.policy.TraceEntry> traces,
                                  java.util.List<io.gatehouse.expr.context.PolicyContext.TraceEntry> contextTraces) {
        for (io.gatehouse.policy.TraceEntry t : traces) {
            if (failure != null && t.source().equals(failure.source()) && t.message().contains(failure.getMessage())) {
                continue; // the failure itself: logged once, with the API, below
            }
            String line = "[" + requestId + "] " + t.source() + ": " + t.message() + (t.metadata().isEmpty() ? "" : " " + t.metadata());
            switch (t.severity()) {
                case "error" -> traceLog.warn(line);
                case "information" -> traceLog.info(line);
                default -> traceLog.debug(line);
            }
        }
        for (var t : contextTraces) {
            traceLog.info("[{}] {}: {}", requestId, t.source(), t.message());
        }
    }

    /** Takes an idle backend connection at once, or waits for a new one. */
    private void connectUpstream(DownstreamExchange e) {
        e.calling(e.target, e.upstreamHead); // the access log, the trace, the call's CLIENT span (in the traceparent)
        Channel idle = runtime.pool.idle(e.target, ctx.channel().eventLoop());
        if (idle != null) {
            e.upstreamReused = true;
            onUpstream(e, idle);
        } else {
            runtime.pool.connect(e.target, ctx.channel().eventLoop()).addListener(f -> onUpstream(e, f));
        }
    }

    private void onUpstream(DownstreamExchange e, Future<? super Channel> f) {
        if (e.done() || e != ex) {
            if (f.isSuccess()) {
                runtime.pool.giveBack((Channel) f.getNow(), null, false);
            }
            return;
        }
        if (f.isSuccess()) {
            onUpstream(e, (Channel) f.getNow());
            return;
        }
        Throwable cause = f.cause();
        e.failed(cause); // the backend's TLS, for the access log
        if (cause instanceof UpstreamException ue) {
            fail(e, ue.kind, ue.getMessage(), null);
        } else {
            fail(e, FailureKind.BACKEND_CONNECTION_FAILURE, "backend '" + e.target.id() + "': " + cause, cause);
        }
    }

    private void onUpstream(DownstreamExchange e, Channel up) {
        if (e.done() || e != ex) {
            runtime.pool.giveBack(up, null, false);
            return;
        }
        e.upstream = up;
        e.connected(e.target, e.upstreamHead.method().name(), e.upstreamHead.uri(), up, e.backendStartNanos);
        relay.begin();
        UpstreamReader.attach(up, relay);
        e.sentNanos = System.nanoTime();
        up.write(e.upstreamHead, up.voidPromise()); // a failed write closes the connection, which fails the exchange
        HttpContent c;
        while ((c = e.pending.poll()) != null) {
            up.write(c, up.voidPromise());
        }
        e.pendingBytes = 0;
        flushUpstream(up);
        if (e.requestComplete && e.phase() == DownstreamExchange.Phase.AWAITING_RESPONSE) {
            armTimeout(e, up); // sent again after a stale kept-alive connection (sendAgain)
        } else if (e.requestComplete) {
            armTimeout(e);
        } else if (up.isWritable()) {
            resumeReading();
        } else {
            pauseReading();
        }
    }

    /**
     * The request is out whole: the wait for the backend's answer starts, with the deadline kept
     * by the connection's {@link UpstreamReader} (a timeout fails the exchange through the relay).
     */
    private void armTimeout(DownstreamExchange e) {
        if (e.phase() == DownstreamExchange.Phase.FORWARDING) {
            e.to(DownstreamExchange.Phase.AWAITING_RESPONSE);
            armTimeout(e, e.upstream);
        }
    }

    private void armTimeout(DownstreamExchange e, Channel up) {
        UpstreamReader.arm(up, relay, responseTimeout(e), e.responseTimeout != null ? "forward-request timeout" : "backends[].timeout");
    }

    /**
     * Whether {@code e}'s request may go once more, on a new connection, after {@code up} failed
     * as {@code kind}/{@code cause}: RFC 9112 section 9.3.1 lets a client retry an idempotent request
     * when a connection closes before any response. A backend closes a kept-alive connection it
     * has held idle long enough (Node's and Apache's after 5 s), and a request taken onto it just
     * then finds it closed (or reset) before any answer, within a round trip. So: a reused
     * connection that closed as {@link UpstreamReader#staleClose} says, before any of the response
     * (no interim 1xx either), for an idempotent method (RFC 9110 section 9.2.2) whose request had
     * no body and went out whole, on the relay (a route without policies, or whose policies
     * forwarded it as it is); once. The second try's time is at most that second more than the
     * backend's timeout.
     */
    private boolean sendAgain(DownstreamExchange e, Channel up, FailureKind kind, Throwable cause) {
        if (!e.upstreamReused || e.sentAgain || e.request != null || !e.requestComplete || e.bytesIn != 0 || e.informational
                || e.phase() != DownstreamExchange.Phase.AWAITING_RESPONSE || !UpstreamReader.staleClose(kind, cause, e.sentNanos)
                || e.upstreamHead instanceof io.netty.buffer.ByteBufHolder || !UpstreamCollector.idempotent(e.upstreamHead.method())) {
            return false;
        }
        e.sentAgain = true;
        e.upstreamReused = false;
        e.upstream = null;
        runtime.pool.giveBack(up, relay, false);
        runtime.metrics.upstreamSentAgain(e.target.id());
        log.debug("[{}] backend '{}' closed a kept-alive connection before answering; the request goes again on a new one",
                e.requestId, e.target.id());
        if (e.pending == null) {
            e.pending = new ArrayDeque<>(1);
        }
        e.pending.add(LastHttpContent.EMPTY_LAST_CONTENT); // the head alone: no body went the first time
        runtime.pool.connect(e.target, ctx.channel().eventLoop()).addListener(f -> onUpstream(e, f));
        return true;
    }

    /**
     * HTTP/2: a stream whose request body sends no DATA for {@code gateway.timeouts.bodyIdle} is
     * answered 408 and reset (the connection's guard cannot time one stream among many). Not
     * while the gateway itself holds the client back (backpressure from the backend).
     */
    private void armBodyIdle() {
        ConnectionGuard guard = ConnectionGuard.of(connection());
        if (guard == null) {
            return;
        }
        long idle = guard.limits().bodyIdle().toNanos();
        lastBodyNanos = System.nanoTime();
        bodyTimer = ctx.channel().eventLoop().schedule(() -> checkBodyIdle(idle), idle, TimeUnit.NANOSECONDS);
    }

    private void checkBodyIdle(long idle) {
        bodyTimer = null;
        DownstreamExchange e = ex;
        if (e == null || e.done() || e.requestComplete || !ctx.channel().isActive()) {
            return;
        }
        long quiet = System.nanoTime() - lastBodyNanos;
        if (readingPaused || quiet < idle) {
            long wait = readingPaused ? idle : idle - quiet;
            bodyTimer = ctx.channel().eventLoop().schedule(() -> checkBodyIdle(idle), wait, TimeUnit.NANOSECONDS);
            return;
        }
        runtime.metrics.downstreamConnectionClosed("body_timeout");
        e.keepAlive = false;
        e.upstreamReusable = false;
        fail(e, FailureKind.REQUEST_TIMEOUT, "no request body data for " + TimeUnit.NANOSECONDS.toMillis(idle)
                + " ms on an HTTP/2 stream (gateway.timeouts.bodyIdle)", null);
        ctx.close(); // resets the stream: the client stops sending
    }

    /** How long the backend may take to answer: forward-request's timeout, else the backend's. */
    private static java.time.Duration responseTimeout(DownstreamExchange e) {
        return e.responseTimeout != null ? e.responseTimeout : e.target.timeout();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inRead = false;
        if (ex != null && ex.upstream != null) {
            ex.upstream.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && ex != null && ex.upstream != null) {
            ex.upstream.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (bodyTimer != null) {
            bodyTimer.cancel(false);
            bodyTimer = null;
        }
        DownstreamExchange e = ex;
        if (e != null) {
            e.releasePolicyBody();
            // mid-body or still waiting for the head: nobody reads what the connection still
            // carries, and it must not be left to the backend to end (nor pooled). A request cut
            // short while its forward-request streamed it: that forward fails with the connection.
            releaseUpstream(e, false);
        }
        if (e != null && !e.done()) {
            log.debug("[{}] client closed the connection before the response completed", e.requestId);
            e.upstreamReusable = false;
            e.status = 499;
            complete(e);
        }
        for (Object o; (o = backlog.poll()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("downstream connection error: {}", cause.toString());
        ctx.close();
    }

    /** Fails the exchange: an error response when none has started, else an aborted connection. */
    private void fail(DownstreamExchange e, FailureKind kind, String message, Throwable cause) {
        if (e.done()) {
            return;
        }
        if (cause != null && log.isDebugEnabled()) {
            log.debug("[{}] {}", e.requestId, message, cause);
        }
        logFailure(e, kind, message);
        e.failed(kind.source, kind.reason, message, null);
        if (cause != null) {
            e.failed(cause); // a backend's TLS refusal, for the access log
        }
        if (e.trace != null) { // [trace]
            e.trace.gatewayFailure(kind, message);
        }
        releaseUpstream(e, false);
        e.releasePending();
        if (e.phase() == DownstreamExchange.Phase.RESPONDING) {
            e.status = e.status == 0 ? kind.status.code() : e.status;
            complete(e);
            ctx.close();
            return;
        }
        e.status = kind.status.code();
        e.to(DownstreamExchange.Phase.RESPONDING);
        if (!e.requestComplete && (kind == FailureKind.PAYLOAD_TOO_LARGE || kind == FailureKind.BAD_REQUEST)) {
            e.keepAlive = false; // the rest of the body is not worth reading
        }
        ByteBuf body = Unpooled.copiedBuffer("{\"statusCode\": " + kind.status.code() + ", \"message\": \""
                + kind.publicMessage + "\"}", StandardCharsets.UTF_8);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, kind.status, body);
        resp.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                .set(ForwardedHeaders.REQUEST_ID, e.requestId);
        if (e.challenge != null) { // a refused subscription key: APIM's challenge
            resp.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, e.challenge);
        }
        if (!e.keepAlive && !http2) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        e.bytesOut += body.readableBytes();
        if (e.trace != null) { // [trace]
            resp.headers().set(RequestTrace.TRACE_ID_HEADER, e.trace.id());
        }
        ctx.writeAndFlush(resp);
        complete(e);
    }

    private void logFailure(DownstreamExchange e, FailureKind kind, String message) {
        runtime.metrics.requestFailure(kind.source, kind.reason);
        String api = e.match == null ? "-" : e.match.api().config().id();
        if (kind == FailureKind.OPERATION_NOT_FOUND) {
            log.info("[{}] {} {}: {}", e.requestId, kind.status.code(), kind.reason, message);
        } else if (e.match == null && kind.status.code() < 500) {
            // refused at the edge (a malformed request): the client's problem, not the operator's
            log.info("[{}] {} {}: {}", e.requestId, kind.status.code(), kind.reason, message);
        } else {
            log.warn("[{}] {} {} (api '{}'): {}", e.requestId, kind.status.code(), kind.reason, api, message);
        }
    }

    /** The exchange is over for the client: count it and move on to the next request. */
    private void complete(DownstreamExchange e) {
        if (e.done()) {
            return;
        }
        e.to(DownstreamExchange.Phase.DONE);
        e.releasePending(); // body parts held for a backend connection or forward-request that is not coming
        runtime.inFlight.decrement();
        String api = e.match == null ? "" : e.match.api().config().id();
        String op = e.match == null || e.match.operation() == null ? "" : e.match.operation().config().id();
        long total = System.nanoTime() - e.startNanos;
        runtime.metrics.request(api, op, e.status, total);
        AccessLog accessLog = runtime.accessLog;
        if (accessLog.enabled()) {
            accessLog.add(accessEntry(e, api, op, total, accessLog.queryString()));
        }
        if (e.trace != null) { // [trace]
            e.trace.finish(e.status);
        }
        if (e.span != null) {
            e.span.end(e.status);
        }
        finish(e);
    }

    /** What the access log says of {@code e}: facts held already, text made by the log's writer. */
    private AccessLog.Entry accessEntry(DownstreamExchange e, String api, String op, long totalNanos, boolean query) {
        AccessLog.Entry a = new AccessLog.Entry();
        a.startMillis = System.currentTimeMillis() - totalNanos / 1_000_000;
        a.requestId = e.requestId;
        Channel connection = connection();
        a.clientAddress = clientIp();
        if (connection.remoteAddress() instanceof InetSocketAddress r) {
            a.clientPort = r.getPort();
        }
        if (connection.localAddress() instanceof InetSocketAddress l) {
            a.listenerPort = l.getPort();
        }
        if (tls) {
            a.sni = connection.attr(DownstreamInitializer.SNI).get();
            GatewaySnapshot.HostnameBinding b = connection.attr(DownstreamInitializer.BINDING).get();
            a.hostname = b == null ? null : b.name();
            Long handshake = connection.attr(DownstreamInitializer.HANDSHAKE_TIME).get();
            a.handshakeNanos = handshake == null ? -1 : handshake;
            io.gatehouse.tls.HandshakeInfo hs = DownstreamInitializer.handshake(connection);
            if (hs != null && hs.clientCertificate() != null) {
                a.clientCertificate = hs.clientCertificate();
                a.clientCertificateStatus = hs.clientVerification().valid() ? "verified" : "not verified";
            }
        }
        a.api = api.isEmpty() ? null : api;
        a.operation = op.isEmpty() ? null : op;
        a.method = e.method;
        String uri = e.uri;
        if (uri != null && !query) {
            int q = uri.indexOf('?');
            uri = q >= 0 ? uri.substring(0, q) : uri;
        } else if (uri != null) { // the key never reaches the log (whichever config served the request, keys or not)
            uri = Subscriptions.maskQueryKey(uri, e.match == null
                    ? io.gatehouse.config.model.ApiConfig.SubscriptionKeys.DEFAULT.query()
                    : e.match.api().config().subscription().query());
        }
        a.path = uri;
        a.protocol = http2 ? "HTTP/2" : "HTTP/1.1";
        a.status = e.status;
        a.bytesIn = e.bytesIn;
        a.bytesOut = e.bytesOut;
        a.totalNanos = totalNanos;
        a.backendNanos = e.backendNanos;
        a.errorSource = e.errorSource;
        a.errorReason = e.errorReason;
        a.errorMessage = e.errorMessage;
        a.errorPolicy = e.errorPolicy;
        a.policy = e.respondedBy;
        a.backend = e.backend;
        a.backendStatus = e.backendStatus;
        a.backendCertificate = e.backendCertificate;
        a.backendTls = e.backendTls;
        return a;
    }

    /** Both the request and the response are over: release the connection state. */
    private void finish(DownstreamExchange e) {
        if (ex != e) {
            return;
        }
        ex = null;
        if (!e.keepAlive) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!e.requestComplete) {
            drainLeft = MAX_DRAIN_BYTES; // answered early: drop the rest of this body, then serve the next request
        }
        Object next;
        while (ex == null && (next = backlog.poll()) != null) {
            dispatch(next);
        }
        if (ex != null && ex.upstream != null) {
            flushUpstream(ex.upstream);
        }
        if (backlog.size() <= MAX_BACKLOG && (ex == null || ex.upstream == null || ex.upstream.isWritable())) {
            resumeReading();
        }
    }

    private void releaseUpstream(DownstreamExchange e, boolean reusable) {
        Channel up = e.upstream;
        if (up == null) {
            return;
        }
        e.upstream = null;
        runtime.pool.giveBack(up, relay, reusable && e.upstreamReusable && e.requestComplete);
    }

    /**
     * The plain path's sink: the backend's response relayed to the client as it comes, with
     * backpressure both ways. One per connection (or HTTP/2 stream), serving its current exchange
     * ({@link #ex}) on the upstream connection that exchange holds.
     */
    private final class RelaySink implements UpstreamReader.Sink {
        private boolean flushed;   // nothing written since the last flush

        /** A new response begins on the exchange's upstream connection. */
        void begin() {
            flushed = false;
        }

        @Override
        public void informational(Channel up, HttpResponse r) {
            DownstreamExchange e = ex;
            if (e != null && e.upstream == up) {
                flushed = false; // 100 Continue and friends stay between us and the backend
                e.informational = true;
            }
        }

        @Override
        public void head(Channel up, HttpResponse r) {
            DownstreamExchange e = ex;
            if (e == null || e.upstream != up) {
                return;
            }
            flushed = false;
            e.to(DownstreamExchange.Phase.RESPONDING);
            e.status = r.status().code();
            if (e.backendStartNanos != 0) { // relayed (a policy's streamed response was counted by its call)
                e.answered(e.target, up, e.status, e.backendStartNanos); // the access log, the trace, the span
                runtime.metrics.backend(e.match.api().config().id(),
                        e.match.operation() == null ? "" : e.match.operation().config().id(), e.status, e.backendNanos);
            }
            if (!http2 && r instanceof UpstreamResponse ur && ur.untouched() && e.trace == null
                    && (e.responseHeaders == null || e.responseHeaders.count() == 0)) {
                // nothing to add or change but the request id: the head goes out as its bytes came
                e.upstreamReusable = ur.keepAlive;
                ctx.write(new DownstreamCodec.Relayed(ur, e.requestId, !e.keepAlive), ctx.voidPromise());
                return;
            }
            e.upstreamReusable = HttpUtil.isKeepAlive(r);
            HttpHeaders h = r.headers();
            ForwardedHeaders.stripHopByHop(h);
            if (e.responseHeaders != null && e.responseHeaders.count() > 0) {
                for (java.util.Map.Entry<String, java.util.List<String>> preset : e.responseHeaders.entries()) {
                    for (String v : preset.getValue()) {
                        h.add(preset.getKey(), v);
                    }
                }
            }
            h.set(ForwardedHeaders.REQUEST_ID, e.requestId);
            if (e.trace != null) { // [trace]
                h.set(RequestTrace.TRACE_ID_HEADER, e.trace.id());
            }
            // answered before the body ended: the rest is drained once the response is out (finish)
            if (!e.keepAlive && !http2) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            if (!http2 && !HttpUtil.isContentLengthSet(r) && !HttpUtil.isTransferEncodingChunked(r)
                    && e.upstreamHead.method() != HttpMethod.HEAD && r.status().code() != 204
                    && r.status().code() != 304) {
                HttpUtil.setTransferEncodingChunked(r, true); // a close-delimited body, re-framed
                e.upstreamReusable = false;
            }
            ctx.write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status(), h), ctx.voidPromise());
        }

        @Override
        public void content(Channel up, HttpContent c, boolean last) {
            DownstreamExchange e = ex;
            if (e == null || e.upstream != up) {
                c.release();
                return;
            }
            e.bytesOut += c.content().readableBytes();
            if (e.bodyTaps != null) {
                tap(e, c, last);
            }
            ctx.write(c instanceof FullHttpResponse full
                    ? new DefaultLastHttpContent(full.content(), full.trailingHeaders()) : c, ctx.voidPromise());
            if (!ctx.channel().isWritable()) {
                up.config().setAutoRead(false);
            }
            if (last) {
                ctx.flush();
                flushed = true;
                if (!e.requestComplete) { // the rest of the body is dropped once the exchange is done
                    e.upstreamReusable = false;
                }
                releaseUpstream(e, true);
                complete(e);
                return;
            }
            flushed = false;
        }

        @Override
        public void readComplete(Channel up) {
            if (!flushed) {
                ctx.flush(); // an empty flush still goes through TLS: skip it after the last part
            }
        }

        @Override
        public void writabilityChanged(Channel up) {
            DownstreamExchange e = ex;
            if (up.isWritable() && e != null && e.upstream == up && !e.requestComplete && !e.done()) {
                resumeReading();
            }
        }

        @Override
        public void failed(Channel up, FailureKind kind, String message, Throwable cause) {
            DownstreamExchange e = ex;
            if (e == null || e.upstream != up) {
                return;
            }
            if (sendAgain(e, up, kind, cause)) {
                return;
            }
            e.upstreamReusable = false;
            if (e.bodyTaps != null) {
                java.util.List<io.gatehouse.policy.ResponseBodyTap> taps = e.bodyTaps;
                e.bodyTaps = null;
                taps.forEach(t -> endTap(t, false));
            }
            fail(e, kind, message, cause);
        }

        /** Shows the policies' taps this part of the relayed body (a copy: the buffer goes on to the client). */
        private void tap(DownstreamExchange e, HttpContent c, boolean last) {
            int n = c.content().readableBytes();
            byte[] bytes = n == 0 ? NO_BYTES : io.netty.buffer.ByteBufUtil.getBytes(c.content(), c.content().readerIndex(), n, true);
            java.util.List<io.gatehouse.policy.ResponseBodyTap> taps = e.bodyTaps;
            for (io.gatehouse.policy.ResponseBodyTap t : taps) {
                try {
                    t.bytes(bytes, 0, bytes.length);
                } catch (RuntimeException x) {
                    log.debug("a response body tap failed", x);
                }
            }
            if (last) {
                e.bodyTaps = null;
                taps.forEach(t -> endTap(t, true));
            }
        }

        private void endTap(io.gatehouse.policy.ResponseBodyTap t, boolean complete) {
            try {
                t.end(complete);
            } catch (RuntimeException x) {
                log.debug("a response body tap failed", x);
            }
        }
    }
}
