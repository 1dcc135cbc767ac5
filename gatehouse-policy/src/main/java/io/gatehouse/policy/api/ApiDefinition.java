package io.gatehouse.policy.api;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An API's definition as its OpenAPI document declares it ({@code apis[].openApi}), built once per
 * load by gatehouse-config and read by the policies bound to it ({@code validate-content},
 * {@code validate-parameters}, {@code validate-headers}, {@code validate-status-code}). Swagger 2.0
 * documents arrive here converted to OpenAPI 3.0.
 *
 * <p>Schemas are Jackson trees as the document writes them: a {@code $ref} such as
 * {@code #/components/schemas/Pet} points into {@link #components()}, so a validator that compiles
 * a schema must make {@code components} reachable from the schema's root.
 *
 * @param apiId the API this definition belongs to
 * @param source the document as shown in diagnostics (the file name)
 * @param dialect the schema dialect of the document's schemas
 * @param components the document's {@code components} object (an empty object when it has none)
 * @param operations every operation, in document order
 */
public record ApiDefinition(String apiId, String source, Dialect dialect, JsonNode components,
                            List<OperationDefinition> operations) {

    /** Which JSON Schema flavour the document's schemas are written in. */
    public enum Dialect {
        /** OpenAPI 3.0's extended subset of JSON Schema draft 4/5 ({@code nullable}, ...); also converted Swagger 2.0. */
        OPENAPI_3_0,
        /** OpenAPI 3.1: JSON Schema 2020-12. */
        OPENAPI_3_1
    }

    public ApiDefinition {
        requireNonNull(apiId, "apiId");
        requireNonNull(source, "source");
        requireNonNull(dialect, "dialect");
        requireNonNull(components, "components");
        operations = List.copyOf(operations);
    }

    /** The operation with this id, or null. */
    public OperationDefinition operation(String operationId) {
        for (OperationDefinition op : operations) {
            if (op.id().equals(operationId)) {
                return op;
            }
        }
        return null;
    }

    /** Operations by id, in document order. */
    public Map<String, OperationDefinition> operationsById() {
        Map<String, OperationDefinition> byId = new LinkedHashMap<>();
        operations.forEach(op -> byId.put(op.id(), op));
        return byId;
    }
}
