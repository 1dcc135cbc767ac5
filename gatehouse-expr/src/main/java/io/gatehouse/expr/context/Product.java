package io.gatehouse.expr.context;

/** {@code context.Product}; null until Gatehouse has products. */
public record Product(String id, String name) {
}
