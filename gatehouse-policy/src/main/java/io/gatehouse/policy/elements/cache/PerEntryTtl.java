package io.gatehouse.policy.elements.cache;

import com.github.benmanes.caffeine.cache.Expiry;

import java.util.function.ToLongFunction;

/**
 * Caffeine expiry for caches whose entries each carry their own time to live (APIM's
 * {@code duration} is per store): set when written, unchanged by reads.
 */
final class PerEntryTtl<V> implements Expiry<String, V> {
    private final ToLongFunction<V> ttlNanos;

    PerEntryTtl(ToLongFunction<V> ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    @Override
    public long expireAfterCreate(String key, V value, long now) {
        return ttlNanos.applyAsLong(value);
    }

    @Override
    public long expireAfterUpdate(String key, V value, long now, long current) {
        return ttlNanos.applyAsLong(value);
    }

    @Override
    public long expireAfterRead(String key, V value, long now, long current) {
        return current;
    }
}
