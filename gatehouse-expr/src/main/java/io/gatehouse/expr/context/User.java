package io.gatehouse.expr.context;

/** {@code context.User}; null until Gatehouse has users. */
public record User(String id, String email, String firstName, String lastName) {
}
