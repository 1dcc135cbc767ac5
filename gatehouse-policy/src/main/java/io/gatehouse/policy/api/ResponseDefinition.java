package io.gatehouse.policy.api;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One declared response of an operation.
 *
 * @param status as written: {@code "200"}, {@code "4XX"} or {@code "default"}
 * @param headers declared headers by name as written
 * @param content by media type as written, in document order
 */
public record ResponseDefinition(String status, Map<String, HeaderDefinition> headers, Map<String, MediaTypeDefinition> content) {
    public ResponseDefinition {
        requireNonNull(status, "status");
        headers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
        content = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(content));
    }
}
