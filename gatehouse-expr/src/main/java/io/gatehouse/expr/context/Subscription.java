package io.gatehouse.expr.context;

import io.gatehouse.common.Secret;

/** {@code context.Subscription}; null until Gatehouse has subscriptions. Keys are secrets. */
public record Subscription(String id, String name, Secret primaryKey, Secret secondaryKey) {
}
