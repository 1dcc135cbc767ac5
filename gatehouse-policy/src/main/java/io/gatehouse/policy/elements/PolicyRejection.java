package io.gatehouse.policy.elements;

import io.gatehouse.policy.GatewayException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A policy refused the request on purpose (check-header, ip-filter, rate-limit, quota...): a
 * {@link GatewayException} whose client-facing message is the one APIM shows for that policy
 * (for check-header, the author's {@code failed-check-error-message}) and which may carry response
 * headers such as {@code Retry-After}.
 *
 * <p>The message and headers must never carry secrets: they go to the client.
 */
public class PolicyRejection extends GatewayException {
    private final String publicMessage;
    private final Map<String, String> responseHeaders;
    private final String jsonBody;

    public PolicyRejection(int status, String source, String reason, String message, String publicMessage,
                           Map<String, String> responseHeaders) {
        this(status, source, reason, message, publicMessage, responseHeaders, null);
    }

    /**
     * @param jsonBody a JSON document to answer with instead of the usual {@code {"statusCode", "message"}}
     *     (validate-graphql-request answers GraphQL's {@code {"errors": [...]}}); null for the usual one
     */
    public PolicyRejection(int status, String source, String reason, String message, String publicMessage,
                           Map<String, String> responseHeaders, String jsonBody) {
        super(status, source, reason, message);
        this.publicMessage = publicMessage == null ? GatewayException.publicMessage(status) : publicMessage;
        this.responseHeaders = Map.copyOf(new LinkedHashMap<>(responseHeaders));
        this.jsonBody = jsonBody;
    }

    public PolicyRejection(int status, String source, String reason, String message) {
        this(status, source, reason, message, message, Map.of());
    }

    @Override
    public String publicMessage() {
        return publicMessage;
    }

    /**
     * Headers the error response should carry (e.g. {@code Retry-After}); the engine's error
     * response has to copy them after it resets the response headers.
     */
    public Map<String, String> responseHeaders() {
        return responseHeaders;
    }

    /** The JSON body the error response carries instead of the usual one, or null. */
    public String jsonBody() {
        return jsonBody;
    }
}
