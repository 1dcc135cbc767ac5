package io.gatehouse.expr.context;

/** {@code context.User}: the owner of the request's subscription ({@code subscriptions[].owner}); null without one. */
public record User(String id, String email, String firstName, String lastName) {
}
