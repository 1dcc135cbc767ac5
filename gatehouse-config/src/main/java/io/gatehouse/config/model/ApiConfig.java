package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.net.URI;
import java.util.List;

/**
 * One API.
 *
 * @param path URL suffix without leading or trailing slash ("" is the root)
 * @param backendId the backend entity, or null when serviceUrl is used
 * @param serviceUrl the backend URL when no backend entity is named
 * @param policy null when the API has no policy of its own
 * @param operations empty means every method and path under the API
 */
public record ApiConfig(
        String id,
        String path,
        String backendId,
        URI serviceUrl,
        PolicyRef policy,
        List<OperationConfig> operations,
        Position position) {

    public ApiConfig {
        operations = List.copyOf(operations);
    }
}
