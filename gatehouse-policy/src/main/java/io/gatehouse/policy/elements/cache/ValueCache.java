package io.gatehouse.policy.elements.cache;

import java.time.Duration;

/**
 * The store behind {@code cache-lookup-value}, {@code cache-store-value} and
 * {@code cache-remove-value}: values by key with a time to live. {@link #local()} is the bounded
 * in-process cache every policy uses today; a shared store (Redis, a database) can implement this
 * interface later for {@code caching-type="external"}. Implementations are thread-safe.
 */
public interface ValueCache {
    /** The value stored under {@code key}, or null when absent or expired. */
    Object get(String key);

    /** Stores {@code value} (not null) under {@code key} for {@code ttl}, replacing what was there. */
    void put(String key, Object value, Duration ttl);

    void remove(String key);

    /** The process-wide bounded in-memory cache. */
    static ValueCache local() {
        return InMemoryValueCache.PROCESS;
    }
}
