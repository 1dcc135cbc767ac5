package io.gatehouse.policy.api;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A declared response header.
 *
 * @param name as written (compared without case)
 * @param required whether the response must carry it
 * @param schema its JSON schema, or null when the document gives none
 */
public record HeaderDefinition(String name, boolean required, JsonNode schema) {
    public HeaderDefinition {
        requireNonNull(name, "name");
    }
}
