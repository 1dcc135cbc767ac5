package io.gatehouse.policy.api;

import java.util.Map;

/**
 * An operation's declared request body.
 *
 * @param required whether a request must have a body
 * @param content by media type as written ({@code application/json}, {@code application/*+json},
 *     {@code *}{@code /*}), in document order
 */
public record RequestBodyDefinition(boolean required, Map<String, MediaTypeDefinition> content) {
    public RequestBodyDefinition {
        content = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(content));
    }
}
