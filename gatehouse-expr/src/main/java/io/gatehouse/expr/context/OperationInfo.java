package io.gatehouse.expr.context;

/** {@code context.Operation}. */
public record OperationInfo(String id, String name, String method, String urlTemplate) {
}
