package io.gatehouse.policy.api;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One operation of an {@link ApiDefinition}.
 *
 * @param id the operation id ({@code operationId}, or one Gatehouse derived from method and path
 *     when the document has none); the same id as the API's operation in the config
 * @param method the HTTP method, upper case
 * @param urlTemplate the path template relative to the API's path, such as {@code /pets/{petId}}
 * @param parameters path, query, header and cookie parameters (path-level ones merged in; an
 *     operation's parameter overrides a path-level one of the same name and location)
 * @param requestBody the declared request body, or null when the operation declares none
 * @param responses by status as written: {@code "200"}, {@code "4XX"} or {@code "default"}
 */
public record OperationDefinition(String id, String method, String urlTemplate, List<ParameterDefinition> parameters,
                                  RequestBodyDefinition requestBody, Map<String, ResponseDefinition> responses) {
    public OperationDefinition {
        requireNonNull(id, "id");
        requireNonNull(method, "method");
        requireNonNull(urlTemplate, "urlTemplate");
        parameters = List.copyOf(parameters);
        responses = Map.copyOf(responses);
    }
}
