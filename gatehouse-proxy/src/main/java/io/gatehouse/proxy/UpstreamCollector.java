package io.gatehouse.proxy;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@link UpstreamReader} sink that collects a backend's response whole: one request sent on
 * an acquired upstream connection, and a future completed with the response or failed with a
 * {@link FailureKind}'s {@code GatewayException}, within a deadline. The connection goes back to
 * the pool (or is closed) when the response has been read.
 *
 * <p>Used by {@code forward-request} on routes with policies. For a caller with a whole request
 * (the policies' outbound calls: {@code send-request}, managed identity tokens, OpenID keys, through
 * {@code OutboundClient}), {@link #call} acquires the connection too and, as its {@link Call} asks,
 * lets the timeout cover the whole call and sends an idempotent request once more when a reused
 * kept-alive connection turns out to be closed.
 *
 * <p>Optionally ({@link #streamAbove} at or above 0) a response body larger than that, or of
 * unknown length, is not read: the future completes with the head, and {@link Collected#rest()}
 * holds the body on the connection until it is {@link #handOver handed over} to another sink or
 * {@link #abandon abandoned}. Everything runs on the connection's event loop.
 */
final class UpstreamCollector implements UpstreamReader.Sink {
    /** The largest response body collected whole, by default. */
    static final int MAX_BODY = 16 * 1024 * 1024;
    /** How much of a streamed body may arrive before its hand-over without pausing the connection. */
    private static final int MAX_EARLY_BYTES = 256 * 1024;
    /** Methods {@link Call#retryStale} sends again on a new connection: RFC 9110 section 9.2.2's idempotent ones. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

    /** Whether a request of {@code method} may be sent again on a new connection when a reused one closed before any answer. */
    static boolean idempotent(io.netty.handler.codec.http.HttpMethod method) {
        return IDEMPOTENT.contains(method.name());
    }

    /**
     * How {@link #call} goes about one whole request.
     *
     * @param timeout    how long the backend may take to answer, from the end of the request; with
     *                   {@code wholeCall}, how long the whole call may take
     * @param wholeCall  the timeout covers the whole call: acquiring the connection (connecting and
     *                   the TLS handshake included), sending, and reading the whole response
     * @param retryStale an idempotent request sent on a reused kept-alive connection that closes
     *                   before any byte of the response goes once more, on a new connection (the
     *                   backend timed the idle connection out as the request went)
     * @param maxBodyIs  what the body limit is, for the message when a response is over it
     */
    record Call(Duration timeout, boolean wholeCall, boolean retryStale, String maxBodyIs) {
    }

    /**
     * A backend's response: its status, its headers without hop-by-hop ones, whether the connection
     * could carry another request, and the body whole, or null when it stays on the connection
     * ({@code rest}, with its Content-Length or -1).
     */
    record Collected(HttpResponseStatus status, HttpHeaders headers, boolean keepAlive, byte[] body,
                     long contentLength, UpstreamCollector rest) {
    }

    private final GatewayRuntime runtime;
    private final UpstreamTarget target;
    private final EventLoop loop;
    private final Duration timeout;
    private final long streamAbove;
    private final int maxBody;
    private final String maxBodyIs;                  // what maxBody is, for the too-large message
    private final PolicyPath.RequestStream request;  // the client's body streaming to the backend, or null
    private final Call how;                          // a whole request's call ({@link #call}), or null
    private final CompletableFuture<Collected> done = new CompletableFuture<>();
    private Channel channel;
    private CompositeByteBuf body;
    private HttpResponse head;
    private boolean reusable;
    private boolean answered;            // a response byte came (a 1xx head, or the final one)
    private FullHttpRequest again;       // kept to send once more if the reused connection is stale, or null
    private long sentNanos;              // when the request went on the reused connection (UpstreamReader.staleClose)
    private long callDeadline;           // System.nanoTime() by which a whole call ends (Call.wholeCall), else 0
    private ScheduledFuture<?> connecting; // fails a whole call still connecting at its deadline, or null
    // the body left on the connection (streamAbove)
    private boolean streaming;
    private ArrayDeque<HttpContent> early;
    private long earlyBytes;
    private boolean finished;        // the streamed body was handed over, abandoned or broke off
    private FailureKind brokenKind;  // it broke off before the hand-over
    private String brokenMessage;
    private List<io.gatehouse.policy.ResponseBodyTap> taps = List.of(); // who sees the streamed body as it is relayed

    /**
     * @param timeout     how long the backend may take to answer, from the end of the request
     * @param streamAbove -1 to collect every body whole; else the body length above which (or when
     *                    unknown) it stays on the connection
     * @param maxBody     the largest body collected; a larger one fails with {@link FailureKind#RESPONSE_TOO_LARGE}
     * @param maxBodyIs   what that limit is, for the message (such as "the most a route with policies buffers")
     * @param request     the client's body, streamed to the backend after the head; null when the
     *                    request carries its body whole
     */
    UpstreamCollector(GatewayRuntime runtime, UpstreamTarget target, EventLoop loop, Duration timeout, long streamAbove,
                      int maxBody, String maxBodyIs, PolicyPath.RequestStream request) {
        this(runtime, target, loop, timeout, streamAbove, maxBody, maxBodyIs, request, null);
    }

    private UpstreamCollector(GatewayRuntime runtime, UpstreamTarget target, EventLoop loop, Duration timeout,
                              long streamAbove, int maxBody, String maxBodyIs, PolicyPath.RequestStream request,
                              Call how) {
        this.runtime = runtime;
        this.target = target;
        this.loop = loop;
        this.timeout = timeout;
        this.streamAbove = streamAbove;
        this.maxBody = maxBody;
        this.maxBodyIs = maxBodyIs;
        this.request = request;
        this.how = how;
    }

    /**
     * Acquires a connection to {@code target} on {@code loop}, sends {@code request} (its body
     * whole; the request is released once written, or when the call ends) and collects the whole
     * response, up to {@link #MAX_BODY}, within {@code how.timeout()}. May be called from any
     * thread; the future completes on {@code loop}, with {@link Collected} (its {@code rest} null)
     * or a {@link FailureKind}'s {@code GatewayException} whose cause, when there is one, is what
     * failed: the pool's {@link UpstreamException} (connecting, the TLS handshake, a TLS alert) or
     * what the connection threw; none when it closed early or the time ran out.
     */
    static CompletableFuture<Collected> call(GatewayRuntime runtime, UpstreamTarget target, EventLoop loop,
                                             FullHttpRequest request, Call how) {
        UpstreamCollector c = new UpstreamCollector(runtime, target, loop, how.timeout(), -1, MAX_BODY, how.maxBodyIs(),
                null, how);
        if (how.wholeCall()) {
            c.callDeadline = System.nanoTime() + how.timeout().toNanos() | 1; // never 0
        }
        if (loop.inEventLoop()) {
            c.acquireAndSend(request);
        } else {
            loop.execute(() -> c.acquireAndSend(request));
        }
        return c.done;
    }

    private void acquireAndSend(FullHttpRequest request) {
        Channel idle;
        try {
            idle = runtime.pool.idle(target, loop);
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(request);
            done.completeExceptionally(failure(e));
            return;
        }
        if (idle == null) {
            connectAndSend(request);
        } else if (how.retryStale() && idempotent(request.method())) {
            again = request; // kept until the response begins: the connection may turn out stale
            sentNanos = System.nanoTime();
            sendWhole(idle, request.retainedDuplicate());
        } else {
            sendWhole(idle, request);
        }
    }

    /** A new connection for {@code request}; a whole call still connecting at its deadline fails then. */
    private void connectAndSend(FullHttpRequest request) {
        Future<Channel> connected;
        try {
            connected = runtime.pool.connect(target, loop);
        } catch (RuntimeException e) {
            ReferenceCountUtil.release(request);
            fail(failure(e));
            return;
        }
        if (callDeadline != 0 && !connected.isDone()) {
            connecting = loop.schedule(() -> {
                ReferenceCountUtil.release(request);
                fail(FailureKind.TIMEOUT.exception(wholeCallTimeout(), null));
            }, Math.max(1, callDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        connected.addListener(f -> {
            if (connecting != null) {
                connecting.cancel(false);
                connecting = null;
            }
            if (done.isDone()) { // the call ended meanwhile (its deadline): the new connection serves the next one
                if (f.isSuccess()) {
                    runtime.pool.giveBack((Channel) f.getNow(), null, true);
                }
                return;
            }
            if (f.isSuccess()) {
                sendWhole((Channel) f.getNow(), request);
            } else {
                ReferenceCountUtil.release(request);
                fail(failure(f.cause()));
            }
        });
    }

    /** Sends a whole request on {@code up}; a write that fails before any answer fails like a broken connection. */
    private void sendWhole(Channel up, FullHttpRequest request) {
        channel = up;
        UpstreamReader.attach(up, this);
        armTimeout(); // before the write: a write failing at once may already have ended the call
        up.writeAndFlush(request).addListener(w -> {
            if (!w.isSuccess() && up == channel && !answered && !done.isDone()) {
                failed(up, FailureKind.BACKEND_CONNECTION_FAILURE, "backend '" + target.id()
                        + "': the request could not be sent: " + w.cause(), w.cause());
            }
        });
    }

    /** A whole call's timeout message: the whole call, in milliseconds as the caller gave it. */
    private String wholeCallTimeout() {
        return "backend '" + target.id() + "': no response within " + timeout.toMillis() + " ms";
    }

    /** Acquiring a connection failed: the pool's own failure kind, else a connection failure. */
    static io.gatehouse.policy.GatewayException failure(Throwable cause, UpstreamTarget target) {
        if (cause instanceof UpstreamException ue) {
            return ue.kind.exception(ue.getMessage());
        }
        return FailureKind.BACKEND_CONNECTION_FAILURE.exception("backend '" + target.id() + "': " + cause);
    }

    /** {@link #failure(Throwable, UpstreamTarget)}; a whole request's call keeps the cause for its caller. */
    private io.gatehouse.policy.GatewayException failure(Throwable cause) {
        if (how == null) {
            return failure(cause, target);
        }
        if (cause instanceof UpstreamException ue) {
            return ue.kind.exception(ue.getMessage(), ue);
        }
        return FailureKind.BACKEND_CONNECTION_FAILURE.exception("backend '" + target.id() + "': " + cause, cause);
    }

    /**
     * Sends {@code head} on {@code up}, a connection acquired for this collector's target, and then
     * the client's body if this collector has one; the deadline runs from the end of the request.
     * Call on the connection's event loop.
     */
    CompletableFuture<Collected> send(Channel up, HttpRequest head) {
        channel = up;
        UpstreamReader.attach(up, this);
        if (request == null) {
            up.writeAndFlush(head);
            armTimeout();
        } else {
            up.write(head);
            request.streamTo(up, this::armTimeout);
        }
        return done;
    }

    /** The connection this collector uses (set by {@link #send}). */
    Channel channel() {
        return channel;
    }

    /**
     * The request is out: the deadline runs (the reader's, ended by the final head; for a whole
     * call, what is left of its timeout, until the response has been read).
     */
    private void armTimeout() {
        if (head == null && !done.isDone() && channel != null) {
            if (callDeadline != 0) {
                UpstreamReader.arm(channel, this, Duration.ofNanos(Math.max(1, callDeadline - System.nanoTime())), null, true);
            } else {
                UpstreamReader.arm(channel, this, timeout, null);
            }
        }
    }

    /** The backend has answered in full or failed: if the upload has not ended, the rest is not wanted. */
    private boolean requestSent() {
        if (request == null || request.sent()) {
            return true;
        }
        request.drop();
        return false;
    }

    @Override
    public void writabilityChanged(Channel up) {
        if (request != null && up.isWritable()) {
            request.upstreamWritable();
        }
    }

    @Override
    public void informational(Channel up, HttpResponse r) {
        responseBegins();
    }

    /** A response byte came: the connection was not stale, the request is not sent again. */
    private void responseBegins() {
        answered = true;
        if (again != null) {
            again.release();
            again = null;
        }
    }

    @Override
    public void head(Channel up, HttpResponse r) {
        responseBegins();
        if (done.isDone()) {
            return;
        }
        // decided from the response as received, as the relay does: stripping the hop-by-hop
        // headers removes its Connection header, and with it a backend's "close"
        reusable = HttpUtil.isKeepAlive(r);
        HttpHeaders h = r.headers();
        ForwardedHeaders.stripHopByHop(h);
        head = r;
        long length = HttpUtil.getContentLength(r, -1L);
        if (streamAbove >= 0 && (length < 0 || length > streamAbove) && !(r instanceof io.netty.handler.codec.http.LastHttpContent)) {
            // the caller sees status and headers; the body waits on the connection
            streaming = true;
            early = new ArrayDeque<>(2);
            done.complete(new Collected(r.status(), h, reusable, null, length, this));
            return;
        }
        body = up.alloc().compositeBuffer(1024);
    }

    @Override
    public void content(Channel up, HttpContent c, boolean last) {
        if (streaming) {
            if (finished) {
                c.release();
                return;
            }
            // a small body usually arrives in the same read as the head: hold it without pausing the
            // connection (each pause and resume is a syscall); a large one waits on the connection
            early.add(c);
            earlyBytes += c.content().readableBytes();
            if (earlyBytes > MAX_EARLY_BYTES) {
                up.config().setAutoRead(false);
            }
            return;
        }
        if (done.isDone() || body == null) {
            c.release();
            return;
        }
        if (body.readableBytes() + c.content().readableBytes() > maxBody) {
            c.release();
            fail(FailureKind.RESPONSE_TOO_LARGE, "backend '" + target.id() + "' answered with more than " + maxBody
                    + " bytes, " + maxBodyIs, null);
            return;
        }
        body.addComponent(true, c.content().retain());
        c.release();
        if (last) {
            byte[] bytes = ByteBufUtil.getBytes(body);
            body.release();
            body = null;
            runtime.pool.giveBack(up, this, requestSent() && reusable);
            done.complete(new Collected(head.status(), head.headers(), reusable, bytes, bytes.length, null));
        }
    }

    @Override
    public void failed(Channel up, FailureKind kind, String message, Throwable cause) {
        if (streaming) {
            if (!finished) { // broke off before the hand-over: the new owner hears of it then
                finished = true;
                brokenKind = kind;
                brokenMessage = message;
                releaseEarly();
            }
            return;
        }
        if (again != null && up == channel && !answered && !done.isDone() && UpstreamReader.staleClose(kind, cause, sentNanos)) {
            // the reused connection was closed (or reset) before any answer: once more on a new one
            FullHttpRequest r = again;
            again = null;
            runtime.pool.giveBack(up, this, false);
            runtime.metrics.upstreamSentAgain(target.id());
            channel = null;
            connectAndSend(r);
            return;
        }
        if (kind == FailureKind.TIMEOUT && callDeadline != 0) {
            message = wholeCallTimeout();
        }
        fail(kind, message, cause);
    }

    private void fail(FailureKind kind, String message, Throwable cause) {
        fail(how == null ? kind.exception(message) : kind.exception(message, cause));
    }

    /** Ends the call with {@code failure} (once); the connection, if there is one, is closed. */
    private void fail(io.gatehouse.policy.GatewayException failure) {
        if (done.isDone()) {
            return;
        }
        if (body != null) {
            body.release();
            body = null;
        }
        if (again != null) {
            again.release();
            again = null;
        }
        if (connecting != null) {
            connecting.cancel(false);
            connecting = null;
        }
        requestSent();
        if (channel != null) {
            runtime.pool.giveBack(channel, this, false);
        }
        done.completeExceptionally(failure);
    }

    /**
     * Hands the body left on the connection to {@code to}: what arrived meanwhile first, then the
     * rest as the connection reads it. If the connection broke off meanwhile, {@code to} is told so.
     */
    void handOver(UpstreamReader.Sink to, boolean autoRead) {
        if (finished) {
            endTaps();
            if (brokenKind != null) {
                to.failed(channel, brokenKind, brokenMessage, null);
            }
            return;
        }
        finished = true;
        UpstreamReader.attach(channel, to);
        boolean ended = false;
        for (HttpContent c; (c = early.poll()) != null; ) {
            ended = c instanceof io.netty.handler.codec.http.LastHttpContent;
            to.content(channel, c, ended);
        }
        if (!ended && channel.config().isAutoRead() != autoRead) {
            channel.config().setAutoRead(autoRead);
        }
    }

    /** Policies' taps on the streamed body ({@code Exchange.tapResponseBody}): whoever it is handed over to feeds them. */
    void taps(List<io.gatehouse.policy.ResponseBodyTap> t) {
        this.taps = List.copyOf(t);
    }

    List<io.gatehouse.policy.ResponseBodyTap> taps() {
        return taps;
    }

    /** Nobody wants the body left on the connection: drop it and the connection. */
    void abandon() {
        if (!streaming || finished) {
            return;
        }
        finished = true;
        endTaps();
        releaseEarly();
        runtime.pool.giveBack(channel, this, false);
    }

    /** The taps will see no body (it broke off or nobody wants it). */
    private void endTaps() {
        List<io.gatehouse.policy.ResponseBodyTap> t = taps;
        taps = List.of();
        for (io.gatehouse.policy.ResponseBodyTap tap : t) {
            tap.end(false);
        }
    }

    private void releaseEarly() {
        for (HttpContent c; (c = early.poll()) != null; ) {
            c.release();
        }
    }
}
