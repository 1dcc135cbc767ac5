package io.gatehouse.policy.api;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A declared parameter of an operation.
 *
 * @param name the parameter's name as declared (header names compare without case)
 * @param in where it is carried
 * @param required whether a request must carry it (path parameters always are)
 * @param schema its JSON schema, or null when the document gives none
 * @param style the serialization style ({@code form}, {@code simple}, ...), or null for the default of its location
 * @param explode the {@code explode} flag, or null for the default of its style
 */
public record ParameterDefinition(String name, In in, boolean required, JsonNode schema, String style, Boolean explode) {
    /** OpenAPI's parameter locations. */
    public enum In {
        PATH, QUERY, HEADER, COOKIE
    }

    public ParameterDefinition {
        requireNonNull(name, "name");
        requireNonNull(in, "in");
    }
}
