package io.gatehouse.policy.api;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * One media type of a request or response body.
 *
 * @param contentType the media type as written
 * @param schema the body's JSON schema, or null when the document gives none
 */
public record MediaTypeDefinition(String contentType, JsonNode schema) {
    public MediaTypeDefinition {
        requireNonNull(contentType, "contentType");
    }
}
