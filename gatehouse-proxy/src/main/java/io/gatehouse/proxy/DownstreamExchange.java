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
final class DownstreamExchange {

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
    /** What the policies see of the head: routes with policies ({@code match.policy()}) only. */
    PolicyPath.Head head;
    /** The request's OpenTelemetry SERVER span: null when telemetry is off (then no hook does anything). */
    io.gatehouse.proxy.telemetry.ExchangeSpan span;

    // --- where the exchange is -------------------------------------------------------------
    private Phase phase = Phase.READING_HEAD;
    /** The client's connection stays open after this exchange (false once anything went wrong with it). */
    boolean keepAlive;
    /** The status counted for the metrics. */
    int status;

    // --- the client's body -------------------------------------------------------------------
    /** The last of the body has arrived from the client (a pipelined next request waits in the backlog). */
    boolean requestComplete;
    /** Body parts held until a backend connection (or forward-request) takes them. */
    ArrayDeque<HttpContent> pending;
    long pendingBytes;
    /** The body being collected whole for policies that read it. */
    CompositeByteBuf policyBody;
    /** The body not read yet when the policies ran on the head: forward-request decides what happens to it. */
    DownstreamHandler.StreamedRequest request;

    // --- the backend's side ------------------------------------------------------------------
    UpstreamTarget target;
    HttpRequest upstreamHead;
    Channel upstream;
    /** The upstream connection may go back to the pool once the exchange ends cleanly. */
    boolean upstreamReusable = true;
    /** When the request left for the backend on the relay path (connecting included), for the backend latency; 0 before. */
    long backendStartNanos;
    /** forward-request's own timeout, else null for the backend's. */
    java.time.Duration responseTimeout;
    /** Inbound policies' additions to the backend's response headers, or null. */
    io.gatehouse.expr.context.Headers responseHeaders;

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
