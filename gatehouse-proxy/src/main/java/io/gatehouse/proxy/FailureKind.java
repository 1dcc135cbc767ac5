package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way the data plane fails a request, with its HTTP status and the {@code LastError} source
 * and reason APIM users know (docs/http-behaviour.md). This table is the one place where a
 * failure becomes a status code.
 */
enum FailureKind {
    OPERATION_NOT_FOUND(HttpResponseStatus.NOT_FOUND, "configuration", "OperationNotFound", "Resource not found"),
    MISDIRECTED(HttpResponseStatus.MISDIRECTED_REQUEST, "configuration", "MisdirectedRequest", "Misdirected request"),
    /**
     * {@code clientCertificate: required} and the connection has no client certificate that
     * verifies against its hostname's CA certificates; the body never says which check failed.
     */
    CLIENT_CERTIFICATE_REQUIRED(HttpResponseStatus.FORBIDDEN, "configuration", "ClientCertificateRequired", "Forbidden"),
    /** A request without a subscription key to an API that requires one (and is in no open product). */
    SUBSCRIPTION_KEY_MISSING(HttpResponseStatus.UNAUTHORIZED, "authorization", "SubscriptionKeyNotFound",
            "Access denied due to missing subscription key. Make sure to include subscription key when making requests "
                    + "to an API."),
    /**
     * A request whose subscription key opens no active subscription that covers the API (unknown,
     * suspended or other non-active state, or scoped elsewhere); the body never says which.
     */
    SUBSCRIPTION_KEY_INVALID(HttpResponseStatus.UNAUTHORIZED, "authorization", "SubscriptionKeyInvalid",
            "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."),
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "configuration", "BadRequest", "Bad request"),
    VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "configuration", "HttpVersionNotSupported",
            "HTTP version not supported"),
    /**
     * RFC 9112 section 6.1: a request with a transfer coding the gateway does not decode (anything
     * but {@code chunked} alone) is refused with 501; its body cannot be framed for the backend.
     */
    UNSUPPORTED_TRANSFER_CODING(HttpResponseStatus.NOT_IMPLEMENTED, "configuration", "UnsupportedTransferCoding",
            "Not implemented"),
    /** An HTTP/2 request body with no DATA for {@code gateway.timeouts.bodyIdle} (HTTP/1.1 connections are closed instead). */
    REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "configuration", "RequestTimeout", "Request timeout"),
    PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "configuration", "RequestEntityTooLarge",
            "Request entity too large"),
    /** {@code forward-request buffer-request-body="true"} and a body over the policy route's limit. */
    FORWARD_PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "forward-request", "RequestEntityTooLarge",
            "Request entity too large"),
    BACKEND_CONNECTION_FAILURE(HttpResponseStatus.BAD_GATEWAY, "forward-request", "BackendConnectionFailure", "Bad gateway"),
    /** A second forward-request (a retry) when the first already streamed the body away. */
    REQUEST_BODY_NOT_BUFFERED(HttpResponseStatus.BAD_GATEWAY, "forward-request", "RequestBodyNotBuffered", "Bad gateway"),
    /** A backend's body over what the gateway reads whole (a route with policies, a policy's outbound call). */
    RESPONSE_TOO_LARGE(HttpResponseStatus.BAD_GATEWAY, "forward-request", "ResponseTooLarge", "Bad gateway"),
    /** {@code set-backend-service backend-id} naming a backend the config does not have. */
    BACKEND_NOT_FOUND(HttpResponseStatus.INTERNAL_SERVER_ERROR, "set-backend-service", "BackendNotFound",
            "Internal server error"),
    TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "forward-request", "Timeout", "Gateway timeout"),
    INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR, "gateway", "InternalError", "Internal server error");

    final HttpResponseStatus status;
    final String source;
    final String reason;
    final String publicMessage;

    FailureKind(HttpResponseStatus status, String source, String reason, String publicMessage) {
        this.status = status;
        this.source = source;
        this.reason = reason;
        this.publicMessage = publicMessage;
    }

    /**
     * This failure as the policies' {@code GatewayException} ({@code context.LastError}, on-error),
     * with {@code message} as its internal detail (never in the response body).
     */
    io.gatehouse.policy.GatewayException exception(String message) {
        return new io.gatehouse.policy.GatewayException(status.code(), source, reason, message);
    }

    /** {@link #exception(String)} keeping what caused it (a caller may tell failures of one kind apart by it). */
    io.gatehouse.policy.GatewayException exception(String message, Throwable cause) {
        return new io.gatehouse.policy.GatewayException(status.code(), source, reason, message, cause);
    }

    /** Whether {@code e} is this kind's failure (made by {@link #exception}). */
    boolean is(io.gatehouse.policy.GatewayException e) {
        return e.status() == status.code() && e.reason().equals(reason) && e.source().equals(source);
    }
}
