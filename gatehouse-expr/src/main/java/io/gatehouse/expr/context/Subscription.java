package io.gatehouse.expr.context;

import io.gatehouse.common.Secret;

/**
 * {@code context.Subscription}: the subscription whose key the request carried; null without one.
 * Keys are secrets (masked wherever the context is shown).
 *
 * @param key the key the request was made with ({@code context.Subscription.Key}): its primary or
 *     secondary key
 */
public record Subscription(String id, String name, Secret primaryKey, Secret secondaryKey, Secret key) {

    /** A subscription whose request used its primary key. */
    public Subscription(String id, String name, Secret primaryKey, Secret secondaryKey) {
        this(id, name, primaryKey, secondaryKey, primaryKey);
    }
}
