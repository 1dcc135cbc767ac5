package io.gatehouse.policy.elements.cache;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The store behind {@code cache-lookup-value}, {@code cache-store-value} and
 * {@code cache-remove-value}: values by key with a time to live. {@link #local()} is the bounded
 * in-process cache; the shared one ({@code gateway.externalCache}, Redis) implements
 * {@link AsyncValueCache} only. Implementations are thread-safe.
 */
public interface ValueCache extends AsyncValueCache {
    /** The value stored under {@code key}, or null when absent or expired. */
    Object get(String key);

    /** Stores {@code value} (not null) under {@code key} for {@code ttl}, replacing what was there. */
    void put(String key, Object value, Duration ttl);

    void remove(String key);

    @Override
    default CompletionStage<Object> getAsync(String key) {
        return CompletableFuture.completedFuture(get(key));
    }

    @Override
    default CompletionStage<Void> putAsync(String key, Object value, Duration ttl) {
        put(key, value, ttl);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    default CompletionStage<Void> removeAsync(String key) {
        remove(key);
        return CompletableFuture.completedFuture(null);
    }

    /** The process-wide bounded in-memory cache. */
    static ValueCache local() {
        return InMemoryValueCache.PROCESS;
    }
}
