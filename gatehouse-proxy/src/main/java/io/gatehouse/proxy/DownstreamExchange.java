package io.gatehouse.proxy;

import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayDeque;

/**
 * One client request and its response, owned by the {@link DownstreamHandler} of its connection
 * (or HTTP/2 stream) and touched only on that connection's event loop.
 *
 * <p>Where the exchange is lives in {@link #phase}, changed only through {@link #to}, which
 * refuses to go back: the phases follow one another in the order of {@link Phase}, skipping
 * those a request does not need. The client's body is tracked beside the phase
 * ({@link #requestComplete}): it may still be arriving while the response already flows.
 */
final class DownstreamExchange implements PolicyPath.Observer {

    /** The phases of an exchange, in the only order they can follow one another. */
    enum Phase {
        /** The head is being checked and routed. */
        READING_HEAD,
        /** Policies that read the request body wait for it whole ({@link #policyBody}). */
        READING_BODY,
        /**
         * The route's policies run: inbound, backend (whose {@code forward-request} may call the
         * backend and stream the client's body to it) and outbound.
         */
        POLICIES,
        /** The head, and the body as it arrives, go to the backend: the plain path. */
        FORWARDING,
        /** The request went out whole; the backend's head is due (the deadline is the {@link UpstreamReader}'s). */
        AWAITING_RESPONSE,
        /** A response is going to the client: the backend's, the policies', or an error. */
        RESPONDING,
        /** Counted and over for the client; the connection moves on to its next request. */
        DONE
    }

    // --- facts of the request, fixed once its head is read ---------------------------------
    final String requestId = RequestIds.next();
    final long startNanos = System.nanoTime();
    /** How the client framed the body: the backend gets the same. */
    RequestChecks.Framing framing;
    Router.Match match;
    /** Who the request runs as (subscription, product, user); {@link Subscriptions.Caller#ANONYMOUS} before the key check. */
    Subscriptions.Caller caller = Subscriptions.Caller.ANONYMOUS;
    /** The {@code WWW-Authenticate} challenge of a refusal by the subscription key check, else null. */
    String challenge;
    /** What the policies see of the head: routes with policies ({@code match.policy()}) only. */
    PolicyPath.Head head;
    /** The request trace (Apim-Debug-Authorization with a valid key), else null. */
    RequestTrace trace;
    /** The request's OpenTelemetry SERVER span: null when telemetry is off (then no hook does anything). */
    io.gatehouse.proxy.telemetry.ExchangeSpan span;

    // --- where the exchange is -------------------------------------------------------------
    private Phase phase = Phase.READING_HEAD;
    /** The client's connection stays open after this exchange (false once anything went wrong with it). */
    boolean keepAlive;
    /** The status counted for the metrics. */
    int status;

    // --- what the access log tells of it ------------------------------------------------------
    /** The request line as the client sent it (set with the head). */
    String method;
    String uri;
    /** Body bytes read from the client, and sent to it, while the exchange was open. */
    long bytesIn;
    long bytesOut;
    /** The backend's status, 0 when none answered. */
    int backendStatus;
    /** From the request leaving for the backend to its head arriving; -1 when no backend answered. */
    long backendNanos = -1;
    /** The backend connection's TLS ("TLSv1.3", "failed: unknown_ca"), or null (plain http, or no connection). */
    String backendTls;
    /** Subject of the client certificate presented to the backend, or null. */
    String backendCertificate;
    /** The backend called (its id), or null. */
    String backend;
    /** LastError's source, reason and message when the exchange failed, and the policy that failed. */
    String errorSource;
    String errorReason;
    String errorMessage;
    String errorPolicy;
    /** The policy that produced the response ({@code return-response at file:line:col}), or null. */
    String respondedBy;

    // --- the client's body -------------------------------------------------------------------
    /** The last of the body has arrived from the client (a pipelined next request waits in the backlog). */
    boolean requestComplete;
    /** Body parts held until a backend connection (or forward-request) takes them. */
    ArrayDeque<HttpContent> pending;
    long pendingBytes;
    /** The body being collected whole for policies that read it. */
    CompositeByteBuf policyBody;
    /**
     * A step before the policies refused the request (a subscription key): the policies' on-error
     * alone runs on it, with the body read as the policies would have it, else null.
     */
    io.gatehouse.policy.GatewayException refusedBeforePolicies;
    /** The body not read yet when the policies ran on the head: forward-request decides what happens to it. */
    DownstreamHandler.StreamedRequest request;

    // --- the backend's side ------------------------------------------------------------------
    UpstreamTarget target;
    HttpRequest upstreamHead;
    Channel upstream;
    /** The upstream connection may go back to the pool once the exchange ends cleanly. */
    boolean upstreamReusable = true;
    /** {@link #upstream} was taken from the idle connections, not made for this exchange. */
    boolean upstreamReused;
    /** The request went once more on a new connection after a reused one closed before answering. */
    boolean sentAgain;
    /** When the request's head went to the backend connection it is on ({@code System.nanoTime()}). */
    long sentNanos;
    /** The backend sent an interim (1xx) response on this connection: it has answered, in part. */
    boolean informational;
    /** When the request left for the backend on the relay path (connecting included), for the backend latency; 0 before. */
    long backendStartNanos;
    /** forward-request's own timeout, else null for the backend's. */
    java.time.Duration responseTimeout;
    /** Inbound policies' additions to the backend's response headers, or null. */
    io.gatehouse.expr.context.Headers responseHeaders;
    /** Policies' taps on the backend body relayed after them (llm-token-limit reading the usage); null when none. */
    java.util.List<io.gatehouse.policy.ResponseBodyTap> bodyTaps;

    Phase phase() {
        return phase;
    }

    boolean done() {
        return phase == Phase.DONE;
    }

    /** Moves to {@code next}; a phase never repeats nor goes back. */
    void to(Phase next) {
        if (next.ordinal() <= phase.ordinal()) {
            throw new IllegalStateException("exchange " + requestId + " cannot go from " + phase + " to " + next);
        }
        phase = next;
        if (next == Phase.FORWARDING) {
            backendStartNanos = System.nanoTime();
        }
    }

    /** The exchange failed: LastError's words, for the access log (and the span's error type). */
    void failed(String source, String reason, String message, String policy) {
        if (span != null) {
            span.failed(reason); // the SERVER span's error.type
        }
        if (errorReason == null) {
            errorSource = source;
            errorReason = reason;
            errorMessage = message;
            errorPolicy = policy;
        }
    }

    /** A policy (or the gateway under the policies) failed the exchange. */
    void failed(io.gatehouse.policy.GatewayException g) {
        String where = null;
        if (g.path() != null) {
            where = (g.scope() == null ? "" : g.scope().label() + " ")
                    + (g.section() == null ? "" : g.section().element() + "/") + g.path()
                    + (g.policyId() == null ? "" : " (id " + g.policyId() + ")");
        }
        failed(g.source(), g.reason(), g.getMessage(), where);
    }

    /** The backend answered on {@code up} with {@code status}: what the access log tells of that call. */
    void backendAnswered(Channel up, int status) {
        backendStatus = status;
        UpstreamPool.Setup setup = UpstreamPool.setup(up);
        if (setup != null && setup.protocol != null) {
            backendTls = setup.protocol;
            backendCertificate = setup.presentedSubject;
        }
    }

    /** The OpenTelemetry CLIENT span of the forward-request call in progress, or null. */
    private io.gatehouse.proxy.telemetry.BackendCall spanCall;

    @Override
    public void calling(UpstreamTarget t, io.netty.handler.codec.http.HttpRequest request) {
        backend = t.id();
        backendStatus = 0;
        backendTls = null;
        backendCertificate = null;
        if (span == null) {
            return;
        }
        if (phase == Phase.FORWARDING) {
            Spans.relay(span, t, request); // the plain path's call: its span ends with the exchange
        } else {
            spanCall = Spans.forward(span, t, request); // forward-request's: ends with the answer
        }
    }

    @Override
    public void connected(UpstreamTarget t, String method, String uri, Channel up, long startNanos) {
        if (trace != null) {
            trace.backend(t, method, uri, up, startNanos);
        }
    }

    @Override
    public void answered(UpstreamTarget t, Channel up, int status, long startNanos) {
        backendNanos = System.nanoTime() - startNanos;
        backendAnswered(up, status);
        if (trace != null) {
            trace.backendResponse(t, status, startNanos);
        }
        if (spanCall != null) {
            spanCall.answered(status);
            spanCall = null;
        } else if (span != null) {
            span.relayAnswered(status);
        }
    }

    @Override
    public void respondedBy(io.gatehouse.policy.spi.Block.Item policy) {
        // a string made only for a policy that answered (few requests): element at file:line:col
        respondedBy = policy == null ? null : policy.element() + " at " + policy.at();
    }

    @Override
    public void failed(Throwable cause) {
        if (spanCall != null) {
            spanCall.end(cause instanceof UpstreamException ue ? ue.kind.reason
                    : io.gatehouse.proxy.telemetry.ExchangeSpan.errorType(cause));
            spanCall = null;
        }
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof UpstreamException ue) {
                if (ue.tlsReason != null) {
                    backendTls = "failed: " + ue.tlsReason;
                } else if (ue.getCause() instanceof javax.net.ssl.SSLException tls) {
                    backendTls = "failed: " + io.gatehouse.tls.TlsFailures.reasonLabel(tls);
                }
                return;
            }
        }
    }

    /** Drops the body parts held for a backend connection (or for forward-request) that will not take them. */
    void releasePending() {
        for (HttpContent c; pending != null && (c = pending.poll()) != null; ) {
            c.release();
        }
        pendingBytes = 0;
    }

    void releasePolicyBody() {
        if (policyBody != null) {
            policyBody.release();
            policyBody = null;
        }
    }
}
