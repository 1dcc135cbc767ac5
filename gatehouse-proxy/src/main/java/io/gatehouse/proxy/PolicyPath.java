package io.gatehouse.proxy;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Request;
import io.gatehouse.expr.context.Response;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.ForwardSettings;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.tls.HandshakeInfo;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A request whose route has policies. The effective policy runs against a {@link PolicyContext}
 * made from the request head and the TLS handshake; {@code forward-request} calls the backend
 * through the same pool as plain routes, and the response the policies leave in the context goes
 * back to the client. Everything runs on the connection's event loop.
 *
 * <p>When the policies do not read the request body ({@link EffectivePolicy#readsRequestBody()}),
 * they run as soon as the head has arrived and the body streams to the backend afterwards, with
 * backpressure, through a {@link RequestStream}; a policy that replaces the body ({@code set-body})
 * sends its own and the client's is drained. Otherwise the request is read whole first (bounded
 * by {@link #MAX_BODY}).
 */
final class PolicyPath {
    /** Responses of known length up to this size are read whole (cheapest); larger or unknown ones stream. */
    static final int STREAM_ABOVE_BYTES = 64 * 1024;

    /** The largest request or response body a policy route buffers. */
    static final int MAX_BODY = 16 * 1024 * 1024;

    private PolicyPath() {
    }

    /** The request's head as the policies first see it. */
    record Head(String method, String scheme, String host, String uri, HttpHeaders headers) {
    }

    /**
     * Who asks: the client's address, and its connection's TLS handshake and client certificate
     * (null without one). The same for every request of a connection and configuration.
     */
    record Client(String ip, HandshakeInfo handshake, X509Certificate2 certificate) {
    }

    /**
     * Told of each call {@code forward-request} makes to a backend, and of the policy that
     * produced the response (for the access log and the request trace); called on the request's
     * event loop.
     */
    interface Observer {
        Observer NONE = new Observer() {
            @Override
            public void calling(UpstreamTarget target, HttpRequest request) {
            }

            @Override
            public void connected(UpstreamTarget target, String method, String uri, Channel up, long startNanos) {
            }

            @Override
            public void answered(UpstreamTarget target, Channel up, int status, long startNanos) {
            }

            @Override
            public void failed(Throwable cause) {
            }

            @Override
            public void respondedBy(io.gatehouse.policy.spi.Block.Item policy) {
            }
        };

        /** A call to {@code target} begins with {@code request} (whose traceparent a span may set). */
        void calling(UpstreamTarget target, HttpRequest request);

        /** The call has connection {@code up} (new or pooled) and sends {@code method uri} on it. */
        void connected(UpstreamTarget target, String method, String uri, Channel up, long startNanos);

        /** The backend's head arrived on {@code up}; the call began at {@code startNanos}. */
        void answered(UpstreamTarget target, Channel up, int status, long startNanos);

        /** The call failed before an answer (connect, TLS, timeout). */
        void failed(Throwable cause);

        /** The policies are done; {@code policy} produced the response (null: the backend's went out). */
        void respondedBy(io.gatehouse.policy.spi.Block.Item policy);
    }

    /**
     * What the downstream side knows about the request: its id and start, the route it matched
     * (API, operation, backend and policies), its head, its client, and its body: {@code body}
     * when it was read whole, else {@code stream}, the body still on the client's connection;
     * {@code observer} hears of its backend calls and of the policy that answered; {@code trace} is
     * the request's trace, null unless it asked for one with a valid key; {@code span}, its
     * OpenTelemetry SERVER span, or null when telemetry is off.
     */
    record Inbound(String requestId, long startNanos, Router.Match match, Head head, Client client, byte[] body,
                   RequestStream stream, Observer observer, RequestTrace trace,
                   io.gatehouse.proxy.telemetry.ExchangeSpan span, Subscriptions.Caller caller)
            implements PolicyContext.Source {
        /** A request without a subscription or product. */
        Inbound(String requestId, long startNanos, Router.Match match, Head head, Client client, byte[] body,
                RequestStream stream, Observer observer, RequestTrace trace,
                io.gatehouse.proxy.telemetry.ExchangeSpan span) {
            this(requestId, startNanos, match, head, client, body, stream, observer, trace, span,
                    Subscriptions.Caller.ANONYMOUS);
        }

        /** The API's backend, before any policy chose another. */
        UpstreamTarget target() {
            return match.api().target();
        }

        EffectivePolicy policy() {
            return match.policy();
        }

        @Override
        public ApiInfo api() {
            var api = match.api().config();
            return new ApiInfo(api.id(), api.id(), api.path(), serviceUrl(target().url()), "", Subscriptions.keyNames(api));
        }

        @Override
        public OperationInfo operation() {
            Router.OperationRoute op = match.operation();
            return op == null ? null
                    : new OperationInfo(op.config().id(), op.config().id(), op.method(), op.config().urlTemplate());
        }

        @Override
        public String receivedUrl() {
            return head.scheme() + "://" + head.host() + head.uri();
        }

        @Override
        public Map<String, String> matchedParameters() {
            return match.parameters();
        }
    }

    private record CachedCertificate(GatewaySnapshot snap, X509Certificate2 certificate) {
    }

    private static final io.netty.util.AttributeKey<CachedCertificate> CERTIFICATE =
            io.netty.util.AttributeKey.valueOf("gatehouse.policyCertificate");

    /**
     * {@code context.Request.Certificate} for requests on {@code connection}: built once per
     * connection and configuration (it is immutable; building it hashes and formats the
     * certificate), null without a client certificate.
     */
    static X509Certificate2 certificate(GatewaySnapshot snap, Channel connection, HandshakeInfo hs) {
        if (hs == null || hs.clientChain().isEmpty()) {
            return null;
        }
        io.netty.util.Attribute<CachedCertificate> a = connection.attr(CERTIFICATE);
        CachedCertificate c = a.get();
        if (c == null || c.snap() != snap) {
            c = new CachedCertificate(snap, certificate(snap.chainCheckFor(DownstreamInitializer.binding(connection)), hs));
            a.set(c);
        }
        return c.certificate();
    }

    /** With the chain check of the hostname the handshake's SNI chose (its trustedCaCertificateIds). */
    private static X509Certificate2 certificate(GatewaySnapshot snap, HandshakeInfo hs) {
        return certificate(snap.chainCheckFor(snap.forSni(hs.sni())), hs);
    }

    private static X509Certificate2 certificate(io.gatehouse.policy.ChainCheck check, HandshakeInfo hs) {
        List<X509Certificate> chain = hs.clientChain();
        return new X509Certificate2(chain.get(0), chain, new ConnectionVerifier(check, chain));
    }

    /**
     * {@code Verify()} for the requests of one connection: the configuration's chain check (which
     * remembers results for 30 s per chain), with its last answers kept here for
     * {@link #REMEMBER_NANOS} so that a busy keep-alive client does not hash and compare its chain
     * on every request. A revocation therefore reaches a connection at most one second after it
     * reaches the chain check. Requests of a connection run on its event loop; a policy resumed
     * elsewhere (after send-request) may race with it, which at worst checks the chain again.
     */
    static final class ConnectionVerifier implements io.gatehouse.expr.context.CertificateVerifier,
            io.gatehouse.policy.ChainCheck.Scoped {
        static final long REMEMBER_NANOS = TimeUnit.SECONDS.toNanos(1);
        private final io.gatehouse.policy.ChainCheck check;
        private final List<X509Certificate> chain;
        private final long[] at = new long[2];
        private final byte[] answer = new byte[2]; // 0 unknown, 1 trusted, 2 not trusted

        ConnectionVerifier(io.gatehouse.policy.ChainCheck check, List<X509Certificate> chain) {
            this.check = check;
            this.chain = chain;
        }

        /** The connection's hostname's chain check: validate-client-certificate uses it too. */
        @Override
        public io.gatehouse.policy.ChainCheck chainCheck() {
            return check;
        }

        @Override
        public boolean verify(X509Certificate2 cert, boolean checkRevocation) {
            return verify(checkRevocation, System.nanoTime());
        }

        boolean verify(boolean checkRevocation, long now) {
            int i = checkRevocation ? 1 : 0;
            if (answer[i] != 0 && now - at[i] < REMEMBER_NANOS) {
                return answer[i] == 1;
            }
            boolean trusted = check.check(chain, checkRevocation, Instant.now()).trusted();
            answer[i] = (byte) (trusted ? 1 : 2);
            at[i] = now;
            return trusted;
        }
    }

    /**
     * The client's request body on a route whose policies do not read it: not read yet when the
     * policies run. {@code forward-request} streams it to the backend, reads it whole first
     * ({@code buffer-request-body}, {@code follow-redirects}), or drops it when a policy replaced
     * it. Implemented by the downstream side; called on its event loop.
     */
    interface RequestStream {
        /** The stand-in for {@code context.Request.Body}: when a policy replaces it, the client's body is not sent. */
        MessageBody placeholder();

        /** True until the body has been streamed, dropped or read whole. */
        boolean untouched();

        /** True if the client sends a body at all. */
        boolean hasBody();

        /** The client's Content-Length: 0 without a body, -1 when its length is not known (chunked). */
        long contentLength();

        /**
         * Sends the body on {@code upstream}, whose request head is already written: what has arrived,
         * then the rest as it arrives; {@code onSent} runs once the last byte is written.
         */
        void streamTo(Channel upstream, Runnable onSent);

        /** The body is not wanted (replaced, or the backend answered or failed before it ended): drop the rest. */
        void drop();

        /** Reads the rest of the body whole; completes on the event loop, or fails with a 413 over {@link #MAX_BODY}. */
        CompletionStage<byte[]> readWhole();

        /** True once the whole body has been written to the backend. */
        boolean sent();

        /** The backend connection can take more of the body. */
        void upstreamWritable();
    }

    /**
     * What the policies decided for one request. The exchange's owner carries it out: it answers
     * ({@link Respond}) or forwards on its plain path ({@link Forward}); {@link Later} while the
     * policies still run.
     */
    sealed interface Decision permits Respond, Forward, Later {
    }

    /**
     * Answer the client with {@code response}: the policies' own, or the backend's as the outbound
     * policies left it. When {@code streamed} is set the response carries status and headers only,
     * and the backend's body follows from {@code streamed.rest()}, still on its connection.
     * {@code failure} is what produced an error response (for the log); {@code traces} and
     * {@code contextTraces} are what the {@code trace} policy and {@code context.Trace()} recorded.
     */
    record Respond(FullHttpResponse response, GatewayException failure, int status,
                   List<io.gatehouse.policy.TraceEntry> traces, List<PolicyContext.TraceEntry> contextTraces,
                   UpstreamCollector.Collected streamed) implements Decision {
    }

    /**
     * Forward on the plain path, for policies after which nothing runs once the request is
     * forwarded: {@code head} to {@code target}, then the client's body as it arrives (such
     * policies never read it), and the backend's answer relayed to the client with
     * {@code responseHeaders} (what inbound policies such as cors put on the context's response)
     * added to its headers, within {@code timeout} ({@code forward-request timeout}), or null for the
     * backend's own ({@code backends[].timeout}).
     */
    record Forward(UpstreamTarget target, HttpRequest head, Duration timeout, Headers responseHeaders,
                   List<io.gatehouse.policy.TraceEntry> traces, List<PolicyContext.TraceEntry> contextTraces)
            implements Decision {
    }

    /** The policies still run (they awaited something): the decision comes with {@code stage}, on the event loop. */
    record Later(CompletionStage<Decision> stage) implements Decision {
    }

    /**
     * A backend's response whose body stays on its connection ({@link UpstreamCollector.Collected#rest()}):
     * the outbound policies see its status and headers and, in {@code context.Response.Body},
     * {@code placeholder}; when they leave it there, the body flows to the client afterwards with
     * backpressure instead of being read whole.
     */
    private record Streamed(UpstreamCollector.Collected got, MessageBody placeholder) {
    }

    /**
     * Runs the policies for one request. When they finish synchronously (the common case) the
     * decision is returned at once, with no stage allocated; else a {@link Later} whose stage
     * completes on the event loop (exceptionally only if building the decision failed).
     */
    static Decision run(GatewayRuntime runtime, GatewaySnapshot snap, EventLoop loop, Inbound in) {
        return run(runtime, snap, loop, in, null);
    }

    /**
     * Runs the route's on-error alone for {@code failure}, a step before the policies that refused
     * the request (the subscription key check), as APIM does; decided as after the policies.
     */
    static Decision onError(GatewayRuntime runtime, GatewaySnapshot snap, EventLoop loop, Inbound in,
            GatewayException failure) {
        return run(runtime, snap, loop, in, failure);
    }

    private static Decision run(GatewayRuntime runtime, GatewaySnapshot snap, EventLoop loop, Inbound in,
            GatewayException failed) {
        EffectivePolicy policy = in.policy();
        PolicyContext ctx = context(snap, in);
        Exchange x = new Exchange(ctx);
        x.backendId(in.match().api().config().backendId());
        x.metricSink(runtime.metrics); // emit-metric into this gateway's Prometheus registry
        if (in.trace() != null) {
            x.steps(in.trace()); // request tracing: every policy, condition and change is recorded
        }
        if (in.span() != null) { // OpenTelemetry: send-request calls are CLIENT spans carrying a traceparent
            io.gatehouse.policy.spi.OutboundHttp bound = snap.config.policies().boundOutbound();
            if (bound != null) {
                x.outboundHttp(in.span().outbound(bound));
            }
        }
        CompletionStage<Void> done;
        try {
            done = failed != null ? policy.executeOnError(x, failed)
                    : policy.execute(x, new Run(runtime, snap, loop, in, x, !policy.readsResponseBody()));
        } catch (RuntimeException unexpected) {
            return decideNow(x, in, unexpected);
        }
        if (done == io.gatehouse.policy.spi.Policy.DONE && loop.inEventLoop()) { // the common case
            return decideNow(x, in, null);
        }
        CompletableFuture<Void> f = done.toCompletableFuture();
        if (f.isDone() && loop.inEventLoop()) {
            return decideNow(x, in, f.isCompletedExceptionally() ? f.handle((v, t) -> t).join() : null);
        }
        CompletableFuture<Decision> later = new CompletableFuture<>();
        done.whenComplete((v, t) -> {
            if (loop.inEventLoop()) {
                decideInto(later, x, in, t);
            } else {
                loop.execute(() -> decideInto(later, x, in, t));
            }
        });
        return new Later(later);
    }

    private static Decision decideNow(Exchange x, Inbound in, Throwable t) {
        try {
            return decide(x, in, t);
        } catch (RuntimeException unexpected) {
            return new Later(CompletableFuture.failedFuture(unexpected));
        }
    }

    private static void decideInto(CompletableFuture<Decision> later, Exchange x, Inbound in, Throwable t) {
        Decision d;
        try {
            d = decide(x, in, t);
        } catch (RuntimeException unexpected) {
            later.completeExceptionally(unexpected);
            return;
        }
        later.complete(d);
    }

    /** The decision once the policies have finished; throws (having dropped any backend body) if it cannot be made. */
    private static Decision decide(Exchange x, Inbound in, Throwable t) {
        in.observer().respondedBy(x.responder());
        if (in.trace() != null) {
            in.trace().policiesDone(x);
        }
        if (x.attachment() instanceof Forward f) { // nothing ran after it: the plain path answers
            List<io.gatehouse.policy.TraceEntry> traces = x.traces();
            List<PolicyContext.TraceEntry> contextTraces = x.context().traces();
            return traces.isEmpty() && contextTraces.isEmpty() ? f
                    : new Forward(f.target(), f.head(), f.timeout(), f.responseHeaders(), traces, contextTraces);
        }
        try {
            return outcome(x, in, t);
        } catch (RuntimeException unexpected) {
            abandon(x);
            throw unexpected;
        }
    }

    /** Backends' URLs as policies see them, parsed once per URL (bounded: a config has few). */
    private static final Map<java.net.URI, Url> SERVICE_URLS = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@code context.Api.ServiceUrl}: a copy of the parsed URL, since policies may change theirs. */
    private static Url serviceUrl(java.net.URI uri) {
        Url parsed = SERVICE_URLS.get(uri);
        if (parsed == null) {
            if (SERVICE_URLS.size() > 10_000) {
                SERVICE_URLS.clear(); // many reloads with changing URLs: start again
            }
            parsed = Url.parse(uri.toString());
            SERVICE_URLS.put(uri, parsed);
        }
        return parsed.copy();
    }

    static PolicyContext context(GatewaySnapshot snap, Inbound in) {
        // the API, operation, URL, parameters and headers are made, parsed or copied only if a policy reads them
        PolicyContext ctx = new PolicyContext(in.startNanos()).source(in);
        ctx.requestId(in.requestId());
        Request r = ctx.request();
        r.method(in.head().method());
        r.headers().seed(in.head().headers());
        Client client = in.client();
        r.ipAddress(client.ip());
        r.body(in.stream() != null ? in.stream().placeholder()
                : new MessageBody(in.body(), in.head().headers().get(HttpHeaderNames.CONTENT_TYPE)));
        if (client.certificate() != null) {
            r.certificate(client.certificate());
        } else if (client.handshake() != null && !client.handshake().clientChain().isEmpty()) {
            r.certificate(certificate(snap, client.handshake()));
        }
        Subscriptions.Caller caller = in.caller();
        if (caller != null && caller != Subscriptions.Caller.ANONYMOUS) { // made once per config: nothing to build here
            ctx.subscription(caller.subscription());
            ctx.product(caller.product());
            ctx.user(caller.user());
        }
        return ctx;
    }

    private static Respond outcome(Exchange x, Inbound in, Throwable unexpected) {
        Response resp = x.context().response();
        GatewayException failure = x.failure();
        int status = resp.statusCode() == 0 ? 200 : resp.statusCode();
        if (unexpected != null && failure == null) {
            failure = FailureKind.INTERNAL.exception(String.valueOf(unexpected));
            status = 500;
            byte[] body = "{\"statusCode\": 500, \"message\": \"Internal server error\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            abandon(x);
            return new Respond(response(500, null, new Headers(), body, "application/json", in.requestId()), failure, 500,
                    x.traces(), x.context().traces(), null);
        }
        MessageBody b = resp.body();
        Streamed streamed = x.attachment() instanceof Streamed sb && b == sb.placeholder() && failure == null ? sb : null;
        if (streamed == null) {
            abandon(x); // the policies replaced the backend's body, or failed: its bytes are not wanted
            for (io.gatehouse.policy.ResponseBodyTap tap : x.responseBodyTaps()) {
                tap.end(false);
            }
        } else if (!x.responseBodyTaps().isEmpty()) {
            streamed.got().rest().taps(x.responseBodyTaps()); // fed as the body is relayed (llm-token-limit's usage)
        }
        byte[] body = b == null || streamed != null ? new byte[0] : b.bytes();
        return new Respond(response(status, resp.statusReason(), resp.headers(), body,
                b == null ? null : b.contentType(), in.requestId()), failure, status, x.traces(), x.context().traces(),
                streamed == null ? null : streamed.got());
    }

    private static void abandon(Exchange x) {
        if (x.attachment() instanceof Streamed sb) {
            sb.got().rest().abandon();
        }
    }

    private static FullHttpResponse response(int status, String reason, Headers headers, byte[] body, String contentType,
                                             String requestId) {
        HttpResponseStatus st = reason == null || reason.isEmpty() ? HttpResponseStatus.valueOf(status)
                : new HttpResponseStatus(status, reason);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, st, Unpooled.wrappedBuffer(body));
        HttpHeaders h = r.headers();
        for (Map.Entry<String, List<String>> e : headers.entries()) {
            for (String v : e.getValue()) {
                h.add(e.getKey(), v);
            }
        }
        ForwardedHeaders.stripHopByHop(h);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (contentType != null && !h.contains(HttpHeaderNames.CONTENT_TYPE)) {
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        h.set(ForwardedHeaders.REQUEST_ID, requestId);
        return r;
    }

    private static final int MAX_REDIRECTS = 5;

    /**
     * One request to the backend from {@code forward-request}: where, what, and how its body and
     * the answer's go. {@code clientBody} is the client's body streamed after the head, or null
     * when the request carries the context's body whole; {@code streamResponse} lets a large
     * answer's body stay on the connection for the client.
     */
    private record BackendRequest(ForwardSettings settings, UpstreamTarget target, String method, String uri,
                                  int redirects, boolean streamResponse, RequestStream clientBody) {
        /** How long the backend may take to answer: forward-request's timeout, else the backend's. */
        Duration timeout() {
            return settings.timeout() != null ? settings.timeout() : target.timeout();
        }
    }

    /**
     * The backend side of one policy run: as the engine's {@link io.gatehouse.policy.Forwarder},
     * {@code forward-request} sends the context's request to the chosen backend and puts the
     * answer into the context, or records a {@link Forward} for the plain path.
     */
    private static final class Run implements io.gatehouse.policy.Forwarder {
        private final GatewayRuntime runtime;
        private final GatewaySnapshot snap;
        private final EventLoop loop;
        private final Inbound in;
        private final Exchange x;
        private final boolean mayStream;   // no policy reads the response body

        Run(GatewayRuntime runtime, GatewaySnapshot snap, EventLoop loop, Inbound in, Exchange x, boolean mayStream) {
            this.runtime = runtime;
            this.snap = snap;
            this.loop = loop;
            this.in = in;
            this.x = x;
            this.mayStream = mayStream;
        }

        @Override
        public CompletionStage<Void> forward(Exchange exchange, ForwardSettings settings) {
            if (!loop.inEventLoop()) {
                // a policy that awaited something else (send-request) resumes elsewhere: the pool lives on the loop
                CompletableFuture<Void> hop = new CompletableFuture<>();
                loop.execute(() -> forward(exchange, settings).whenComplete((v, t) -> {
                    if (t != null) {
                        hop.completeExceptionally(t);
                    } else {
                        hop.complete(v);
                    }
                }));
                return hop;
            }
            UpstreamTarget target;
            try {
                target = resolveTarget(snap, in, x);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(
                        FailureKind.BACKEND_NOT_FOUND.exception(e.getMessage()));
            }
            Request r = x.context().request();
            String uri;
            if (x.backendPath() != null) { // set-backend-service backend-id="dapr": the sidecar's invoke path
                String query = r.urlUnread() ? rawQuery(in.head().uri()) : r.url().queryString();
                uri = target.requestTarget(x.backendPath(), query);
            } else if (r.urlUnread()) { // no policy looked at the URL: the target as received, like a plain route
                String received = in.head().uri();
                int q = received.indexOf('?');
                uri = target.requestTarget(in.match().remainder(), q >= 0 ? received.substring(q) : "");
            } else {
                uri = target.requestTarget(backendRelativePath(r.url().path(), in.match().api().prefix()),
                        r.url().queryString()); // "" or "?..."
            }
            abandon(x); // a second forward-request (retry): the first answer's body is not wanted
            x.attachment(null);
            boolean streamResponse = mayStream && !settings.followRedirects();
            RequestStream s = in.stream();
            if (s != null && r.body() == s.placeholder()) {
                if (s.untouched() && (settings.bufferRequestBody() || settings.followRedirects())) {
                    String contentType = s.placeholder().contentType();
                    BackendRequest whole = new BackendRequest(settings, target, r.method(), uri, 0, streamResponse, null);
                    return s.readWhole().thenCompose(bytes -> {
                        r.body(new MessageBody(bytes, contentType));
                        return send(whole);
                    });
                }
                if (s.untouched() && in.policy().forwardsOnly()) {
                    HttpRequest head = x.hasResponseHooks() ? head(r, target, uri, r.method(), s.contentLength())
                            : handOn(r, target, uri, r.method(), s.contentLength());
                    // the headers are read when the backend's head arrives, after the policies' response hooks (cors) ran
                    Headers preset = x.context().response().headers();
                    // no forward-request timeout: null, so the backend's own applies and the 504 names it
                    x.attachment(new Forward(target, head, settings.timeout(), preset, List.of(), List.of()));
                    return io.gatehouse.policy.spi.Policy.DONE;
                }
                if (s.untouched()) {
                    return send(new BackendRequest(settings, target, r.method(), uri, 0, streamResponse, s));
                }
                if (s.hasBody()) {
                    return CompletableFuture.failedFuture(FailureKind.REQUEST_BODY_NOT_BUFFERED.exception(
                            "the request body was already streamed to the backend and cannot be sent again"
                                    + " (forward-request buffer-request-body=\"true\" keeps it for a retry)"));
                }
            } else if (s != null && s.untouched()) {
                s.drop(); // a policy replaced the body: the client's is not wanted
            }
            return send(new BackendRequest(settings, target, r.method(), uri, 0, streamResponse, null));
        }

        /**
         * One request to the backend; with {@code follow-redirects}, a 301/302/303/307/308 with a
         * Location is followed (up to five times; 303 turns into a GET without a body).
         */
        private CompletionStage<Void> send(BackendRequest b) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            Request r = x.context().request();
            boolean get = b.method().equals("GET") || b.method().equals("HEAD");
            HttpRequest req;
            RequestStream body = b.clientBody();
            if (body != null) {
                req = head(r, b.target(), b.uri(), b.method(), body.contentLength());
            } else {
                MessageBody mb = r.body();
                byte[] bytes = mb == null || (b.redirects() > 0 && get) ? new byte[0] : mb.bytes();
                req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(b.method()), b.uri(),
                        Unpooled.wrappedBuffer(bytes));
                copyHeaders(r.headers(), req.headers(), b.target());
                if (bytes.length > 0 || !get) {
                    req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
                }
            }
            UpstreamCollector collector = new UpstreamCollector(runtime, b.target(), loop, b.timeout(),
                    b.streamResponse() ? STREAM_ABOVE_BYTES : -1, MAX_BODY, "the most a route with policies buffers",
                    body); // the timeout runs from the end of the upload
            long started = System.nanoTime();
            in.observer().calling(b.target(), req); // the access log, the trace, the call's CLIENT span
            runtime.pool.acquire(b.target(), loop).addListener(f -> {
                if (!f.isSuccess()) {
                    ReferenceCountUtil.release(req);
                    if (body != null) {
                        body.drop();
                    }
                    in.observer().failed(f.cause());
                    done.completeExceptionally(UpstreamCollector.failure(f.cause(), b.target()));
                    return;
                }
                Channel up = (Channel) f.getNow();
                in.observer().connected(b.target(), b.method(), b.uri(), up, started);
                collector.send(up, req).whenComplete((got, t) -> {
                    if (t != null) {
                        in.observer().failed(t);
                        done.completeExceptionally(t);
                    } else {
                        long took = System.nanoTime() - started;
                        in.observer().answered(b.target(), up, got.status().code(), started);
                        runtime.metrics.backend(in.match().api().config().id(), in.match().operation() == null ? ""
                                : in.match().operation().config().id(), got.status().code(), took);
                        into(x, got);
                        done.complete(null);
                    }
                });
            });
            if (!b.settings().followRedirects()) {
                return done;
            }
            return done.thenCompose(v -> {
                BackendRequest next = redirect(b);
                return next == null ? CompletableFuture.<Void>completedFuture(null) : send(next);
            });
        }

        /** The request a redirect in the backend's answer asks for, or null when there is none to follow. */
        private BackendRequest redirect(BackendRequest b) {
            Response resp = x.context().response();
            int status = resp.statusCode();
            String location = resp.headers().getValueOrDefault("Location", null);
            if (b.redirects() >= MAX_REDIRECTS || location == null
                    || !(status == 301 || status == 302 || status == 303 || status == 307 || status == 308)) {
                return null;
            }
            UpstreamTarget target = b.target();
            java.net.URI next = target.url().resolve(b.uri()).resolve(location);
            boolean sameOrigin = next.getScheme().equalsIgnoreCase(target.url().getScheme())
                    && next.getHost().equalsIgnoreCase(target.host()) && UpstreamTarget.port(next) == target.port();
            UpstreamTarget nextTarget = sameOrigin ? target
                    : snap.forBaseUrl(next.getScheme() + "://" + next.getRawAuthority());
            if (!sameOrigin && target.proxy() != null) {
                nextTarget = snap.viaProxy(nextTarget, target.proxy()); // a redirect goes through the same proxy
            }
            for (String name : List.copyOf(resp.headers().keys())) {
                resp.headers().remove(name);
            }
            String nextUri = (next.getRawPath() == null || next.getRawPath().isEmpty() ? "/" : next.getRawPath())
                    + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery());
            if (nextTarget.absoluteForm()) {
                nextUri = "http://" + nextTarget.authority() + nextUri;
            }
            String nextMethod = status == 303 ? "GET" : b.method();
            return new BackendRequest(b.settings(), nextTarget, nextMethod, nextUri, b.redirects() + 1, false, null);
        }
    }

    /** The query of a request target, "" or starting with '?'. */
    private static String rawQuery(String received) {
        int q = received.indexOf('?');
        return q >= 0 ? received.substring(q) : "";
    }

    /** The backend's answer into {@code context.Response}: status, headers, and the body or its placeholder. */
    private static void into(Exchange x, UpstreamCollector.Collected got) {
        Response response = x.context().response();
        response.statusCode(got.status().code());
        response.statusReason(got.status().reasonPhrase());
        Headers out = response.headers();
        for (Map.Entry<String, String> e : got.headers()) {
            if (!e.getKey().equalsIgnoreCase("transfer-encoding") && !e.getKey().equalsIgnoreCase("content-length")) {
                out.add(e.getKey(), e.getValue());
            }
        }
        String contentType = got.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (got.rest() != null) {
            MessageBody placeholder = new MessageBody(new byte[0], contentType);
            response.body(placeholder);
            x.streamedResponseBody(placeholder);
            x.attachment(new Streamed(got, placeholder));
        } else {
            response.body(new MessageBody(got.body(), contentType));
        }
    }

    /** The head of a request whose body streams: the context's request, framed as the client framed it. */
    private static HttpRequest head(Request r, UpstreamTarget target, String uri, String method, long length) {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri);
        copyHeaders(r.headers(), req.headers(), target);
        return framed(req, method, length);
    }

    /**
     * {@link #head} for a request handed to the plain path when nothing can read the context's
     * request any more (no policy runs after the forward, and no response hook is waiting): if no
     * policy changed the headers, the client's own go on as they are, not copied. They were stripped
     * of hop-by-hop and identity headers, and given X-Forwarded-*, when the request came; only the
     * framing and Host change here, as on a plain route.
     */
    private static HttpRequest handOn(Request r, UpstreamTarget target, String uri, String method, long length) {
        Headers from = r.headers();
        if (!(from.sameAsSeed() && from.seedSource() instanceof HttpHeaders received)) {
            return head(r, target, uri, method, length);
        }
        received.remove(HttpHeaderNames.TRANSFER_ENCODING);
        received.remove(HttpHeaderNames.CONTENT_LENGTH);
        received.set(HttpHeaderNames.HOST, target.authority());
        proxyAuthorization(received, target);
        return framed(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri, received), method, length);
    }

    private static HttpRequest framed(HttpRequest req, String method, long length) {
        if (length < 0) {
            req.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (length > 0 || !(method.equals("GET") || method.equals("HEAD"))) {
            req.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        }
        return req;
    }

    /** The context's request headers onto the backend request, without hop-by-hop headers and framing. */
    private static void copyHeaders(Headers from, HttpHeaders h, UpstreamTarget target) {
        if (from.sameAsSeed() && from.seedSource() instanceof HttpHeaders received) {
            h.set(received); // no policy changed them: Netty's own copy, without the per-name lists
        } else {
            for (Map.Entry<String, List<String>> e : from.entries()) {
                for (String v : e.getValue()) {
                    h.add(e.getKey(), v);
                }
            }
        }
        ForwardedHeaders.stripHopByHop(h);
        h.remove(HttpHeaderNames.TRANSFER_ENCODING);
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        h.remove(HttpHeaderNames.EXPECT);
        h.set(HttpHeaderNames.HOST, target.authority());
        proxyAuthorization(h, target);
    }

    /**
     * A request to a proxy in absolute form carries the proxy's credentials itself
     * ({@code Proxy-Authorization: Basic}); through a CONNECT tunnel they went with the CONNECT.
     */
    private static void proxyAuthorization(HttpHeaders h, UpstreamTarget target) {
        if (target.absoluteForm()) {
            String auth = target.proxy().basicAuthorization();
            if (auth != null) {
                h.set(HttpHeaderNames.PROXY_AUTHORIZATION, auth);
            }
        }
    }

    /**
     * The path sent to the backend: the context URL's path (which {@code rewrite-uri} may have
     * changed) without the API's public prefix.
     */
    static String backendRelativePath(String path, String apiPrefix) {
        if (path == null || path.isEmpty()) {
            return "";
        }
        if (!apiPrefix.isEmpty() && path.startsWith(apiPrefix)
                && (path.length() == apiPrefix.length() || path.charAt(apiPrefix.length()) == '/')) {
            return path.substring(apiPrefix.length());
        }
        return path.charAt(0) == '/' ? path : "/" + path;
    }

    private static UpstreamTarget resolveTarget(GatewaySnapshot snap, Inbound in, Exchange x) {
        UpstreamTarget t;
        if (x.baseUrl() != null) {
            t = snap.forBaseUrl(x.baseUrl());
        } else if (x.backendId() != null) {
            t = snap.backends.get(x.backendId());
            if (t == null) {
                throw new IllegalStateException("backend '" + x.backendId() + "' is not configured");
            }
        } else {
            t = in.target();
        }
        if (x.clientCertificate() != null) {
            t = snap.withClientCertificate(t, x.clientCertificate());
        }
        if (x.proxy() != null) {
            t = snap.viaProxy(t, x.proxy());
        }
        return t;
    }
}
