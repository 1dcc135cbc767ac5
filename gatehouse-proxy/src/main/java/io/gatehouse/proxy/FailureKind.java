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
    BAD_REQUEST(HttpResponseStatus.BAD_REQUEST, "configuration", "BadRequest", "Bad request"),
    VERSION_NOT_SUPPORTED(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "configuration", "HttpVersionNotSupported",
            "HTTP version not supported"),
    NOT_IMPLEMENTED(HttpResponseStatus.NOT_IMPLEMENTED, "configuration", "NotImplemented", "Not implemented"),
    PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "configuration", "RequestEntityTooLarge",
            "Request entity too large"),
    BACKEND_CONNECTION_FAILURE(HttpResponseStatus.BAD_GATEWAY, "forward-request", "BackendConnectionFailure", "Bad gateway"),
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
}
