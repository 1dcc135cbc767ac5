package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/**
 * One operation of an API: a method ("*" for any) and a URL template such as {@code /{id}} or
 * {@code /files/*}.
 */
public record OperationConfig(String id, String method, String urlTemplate, PolicyRef policy, Position position) {
}
