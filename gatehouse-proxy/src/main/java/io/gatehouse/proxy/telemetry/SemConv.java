package io.gatehouse.proxy.telemetry;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attribute names spans carry: the stable HTTP, network, client/server and URL semantic
 * conventions, the TLS ones, and Gatehouse's own ({@code gatehouse.*}). Written out here rather
 * than taken from the (incubating) semconv artifact: a few names, fixed by the specification.
 */
final class SemConv {
    private SemConv() {
    }

    static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> HTTP_REQUEST_METHOD_ORIGINAL = AttributeKey.stringKey("http.request.method_original");
    static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
    static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<Long> CLIENT_PORT = AttributeKey.longKey("client.port");
    static final AttributeKey<String> NETWORK_PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    static final AttributeKey<Long> NETWORK_PEER_PORT = AttributeKey.longKey("network.peer.port");
    static final AttributeKey<String> NETWORK_PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    static final AttributeKey<String> USER_AGENT_ORIGINAL = AttributeKey.stringKey("user_agent.original");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    static final AttributeKey<String> TLS_PROTOCOL_NAME = AttributeKey.stringKey("tls.protocol.name");
    static final AttributeKey<String> TLS_PROTOCOL_VERSION = AttributeKey.stringKey("tls.protocol.version");
    static final AttributeKey<String> TLS_CIPHER = AttributeKey.stringKey("tls.cipher");
    static final AttributeKey<Boolean> TLS_ESTABLISHED = AttributeKey.booleanKey("tls.established");
    static final AttributeKey<String> TLS_NEXT_PROTOCOL = AttributeKey.stringKey("tls.next_protocol");
    static final AttributeKey<String> TLS_SERVER_NAME = AttributeKey.stringKey("tls.server_name");
    static final AttributeKey<String> TLS_CLIENT_SUBJECT = AttributeKey.stringKey("tls.client.subject");
    static final AttributeKey<String> TLS_CLIENT_ISSUER = AttributeKey.stringKey("tls.client.issuer");
    static final AttributeKey<String> TLS_CLIENT_HASH_SHA256 = AttributeKey.stringKey("tls.client.hash.sha256");

    static final AttributeKey<String> GATEHOUSE_REQUEST_ID = AttributeKey.stringKey("gatehouse.request.id");
    static final AttributeKey<String> GATEHOUSE_API_ID = AttributeKey.stringKey("gatehouse.api.id");
    static final AttributeKey<String> GATEHOUSE_OPERATION_ID = AttributeKey.stringKey("gatehouse.operation.id");
    static final AttributeKey<String> GATEHOUSE_BACKEND_ID = AttributeKey.stringKey("gatehouse.backend.id");
    /** The policy element that made an outgoing call ({@code send-request}, {@code send-one-way-request}). */
    static final AttributeKey<String> GATEHOUSE_POLICY = AttributeKey.stringKey("gatehouse.policy");

    /** The methods HTTP semconv knows; any other is reported as {@code _OTHER} (and the span named {@code HTTP}). */
    static String knownMethod(String method) {
        return switch (method) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" -> method;
            default -> null;
        };
    }
}
