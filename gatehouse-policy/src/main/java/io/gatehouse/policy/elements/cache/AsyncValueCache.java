package io.gatehouse.policy.elements.cache;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The store behind {@code cache-lookup-value}, {@code cache-store-value} and
 * {@code cache-remove-value}, asked without blocking. {@link ValueCache} (in memory) answers at
 * once; the external cache ({@code gateway.externalCache}) answers when Redis has, on the calling
 * request's event loop, and a lookup that fails or takes longer than its timeout is a miss.
 */
public interface AsyncValueCache {
    /** The value stored under {@code key}, or null when absent, expired or unreachable. */
    CompletionStage<Object> getAsync(String key);

    /** Stores {@code value} (not null) under {@code key} for {@code ttl}; a failure is logged by the store, not thrown. */
    CompletionStage<Void> putAsync(String key, Object value, Duration ttl);

    /** Removes {@code key}; a failure is logged by the store, not thrown. */
    CompletionStage<Void> removeAsync(String key);
}
