package io.gatehouse.policy.spi;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.tls.KeyMaterial;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static java.util.Objects.requireNonNull;

/**
 * How policies call other services over HTTP: {@code send-request}, {@code send-one-way-request},
 * managed identity tokens ({@code authentication-managed-identity}) and OpenID/JWKS fetches
 * ({@code validate-jwt}, {@code validate-azure-ad-token}). The gateway gives its own to
 * {@code PolicyEnvironment.builder().outboundHttp(...)}: the same TLS stack as its backends
 * (chain, name and revocation checks, per-backend client certificates), on the calling thread's
 * event loop. Compiling policies never needs one; running a call without one fails with a
 * {@link Failure} of kind {@link Failure.Kind#UNAVAILABLE}.
 *
 * <p>{@link #send} must not block: it starts the call and returns. The stage completes with the
 * response (whatever its status; an error status is not a failure) or exceptionally with a
 * {@link Failure} saying what went wrong. It may complete on another thread than the caller's.
 */
@FunctionalInterface
public interface OutboundHttp {

    /** No outbound client: every call fails with {@link Failure.Kind#UNAVAILABLE}. */
    OutboundHttp NONE = request -> CompletableFuture.failedFuture(new Failure(Failure.Kind.UNAVAILABLE,
            request.caller() + ": no outbound HTTP client here (policies compiled without a gateway cannot call out)"));

    /** Starts the call; never blocks. */
    CompletionStage<Response> send(Request request);

    /**
     * One outgoing request.
     *
     * @param method the method, upper case
     * @param uri absolute {@code http} or {@code https} URI
     * @param headers the headers to send (the client sets Host and the body's framing itself and
     *     ignores those and other hop-by-hop headers given here); not changed after sending
     * @param body the body, empty for none
     * @param timeout how long the whole call may take, connecting included
     * @param clientCertificate the certificate to present in the TLS handshake instead of the
     *     default for the URL; null for the default
     * @param caller the element making the call, for failure messages ({@code send-request})
     */
    record Request(String method, URI uri, Headers headers, byte[] body, Duration timeout,
                   KeyMaterial clientCertificate, String caller) {
        public Request {
            requireNonNull(method, "method");
            requireNonNull(uri, "uri");
            headers = headers == null ? new Headers() : headers;
            body = body == null ? new byte[0] : body;
            requireNonNull(timeout, "timeout");
            requireNonNull(caller, "caller");
        }

        /** A GET with no body and no client certificate. */
        public static Request get(URI uri, Headers headers, Duration timeout, String caller) {
            return new Request("GET", uri, headers, new byte[0], timeout, null, caller);
        }

        @Override
        public String toString() {
            // headers may carry credentials and the body anything: neither is shown
            return "OutboundHttp.Request[" + method + " " + uri + " from " + caller + "]";
        }
    }

    /**
     * A response, read whole.
     *
     * @param status the status code
     * @param reason the reason phrase as the server sent it (may be empty)
     * @param headers the response headers without hop-by-hop and framing headers
     * @param body the body, empty for none
     */
    record Response(int status, String reason, Headers headers, byte[] body) {
        public Response {
            reason = reason == null ? "" : reason;
            headers = headers == null ? new Headers() : headers;
            body = body == null ? new byte[0] : body;
        }

        /** The body as UTF-8 text. */
        public String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "OutboundHttp.Response[" + status + " " + reason + ", " + body.length + " bytes]";
        }
    }

    /** Why a call produced no response; its message says so in words and never holds a key or token. */
    final class Failure extends RuntimeException {
        /** What went wrong. */
        public enum Kind {
            /** No response within the request's timeout (connecting, the TLS handshake or the answer). */
            TIMEOUT,
            /** The connection could not be opened (refused, unreachable, unknown host). */
            CONNECTION,
            /** The TLS handshake failed; the message names the check that refused (chain, name, revocation). */
            TLS,
            /** The server's answer was not usable HTTP, or the connection closed before it was complete. */
            PROTOCOL,
            /** The response body was over what the gateway reads. */
            TOO_LARGE,
            /** The request cannot be made: a bad URL, or no outbound client here. */
            UNAVAILABLE
        }

        private final Kind kind;

        public Failure(Kind kind, String message) {
            this(kind, message, null);
        }

        public Failure(Kind kind, String message, Throwable cause) {
            super(requireNonNull(message, "message"), cause, false, false);
            this.kind = requireNonNull(kind, "kind");
        }

        public Kind kind() {
            return kind;
        }

        /**
         * What made a policy's outbound call fail, for {@code policy} to report: {@code failure}
         * without its {@link java.util.concurrent.CompletionException} wrappers. A
         * {@link io.gatehouse.policy.GatewayException} inside is rethrown as it is, and a call that
         * could not be made ({@link Kind#UNAVAILABLE}: not the service's fault but the gateway's,
         * which {@code ignore-error} does not cover) is thrown as a 500 {@code OutboundUnavailable}.
         */
        public static Throwable cause(Throwable failure, String policy) {
            Throwable c = failure;
            while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof io.gatehouse.policy.GatewayException g) {
                throw g;
            }
            if (c instanceof Failure f && f.kind == Kind.UNAVAILABLE) {
                throw new io.gatehouse.policy.GatewayException(500, policy, "OutboundUnavailable", String.valueOf(c.getMessage()), c);
            }
            return c;
        }

        /** The kind of a {@link #cause}: a {@link Failure}'s own, else {@link Kind#CONNECTION}. */
        public static Kind kindOf(Throwable cause) {
            return cause instanceof Failure f ? f.kind : Kind.CONNECTION;
        }
    }

    /**
     * An {@link OutboundHttp} bound after the policies are compiled: a config is loaded (and its
     * policies compiled) before the gateway that will run them exists, so the loader gives the
     * environment one of these and the gateway {@link #bind}s its client when it takes the config
     * into service. Until then, and when nothing binds it (checking a config), calls fail as
     * {@link #NONE}'s do.
     */
    final class Deferred implements OutboundHttp {
        private volatile OutboundHttp target;

        /** Makes every call from now on go to {@code http}; a later bind replaces it. */
        public void bind(OutboundHttp http) {
            this.target = requireNonNull(http, "http");
        }

        public boolean isBound() {
            return target != null;
        }

        /** The client bound now, or null. */
        public OutboundHttp bound() {
            return target;
        }

        @Override
        public CompletionStage<Response> send(Request request) {
            OutboundHttp t = target;
            return (t == null ? NONE : t).send(request);
        }

        @Override
        public String toString() {
            return "OutboundHttp.Deferred[" + (target == null ? "unbound" : target) + "]";
        }
    }
}
