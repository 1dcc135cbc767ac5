package io.gatehouse.policy.elements.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;

/**
 * A {@link ValueCache} in this process's memory (Caffeine): at most {@code maxEntries} entries,
 * each expiring after the duration it was stored with; when full, the least useful entries are
 * evicted first, as APIM's internal cache may evict before expiry.
 */
public final class InMemoryValueCache implements ValueCache {
    /** Entries kept per process before eviction starts. */
    public static final long DEFAULT_MAX_ENTRIES = 100_000;

    static final InMemoryValueCache PROCESS = new InMemoryValueCache(DEFAULT_MAX_ENTRIES, Ticker.systemTicker());

    private record Entry(Object value, long ttlNanos) {
    }

    private final Cache<String, Entry> cache;

    /** A cache of its own (tests, or a gateway that wants one per tenant); {@code ticker} reads nanoseconds. */
    public InMemoryValueCache(long maxEntries, Ticker ticker) {
        this.cache = Caffeine.newBuilder().maximumSize(maxEntries).ticker(ticker).executor(Runnable::run)
                .expireAfter(new PerEntryTtl<>(Entry::ttlNanos)).build();
    }

    @Override
    public Object get(String key) {
        Entry e = cache.getIfPresent(key);
        return e == null ? null : e.value();
    }

    @Override
    public void put(String key, Object value, Duration ttl) {
        cache.put(key, new Entry(value, Math.max(1, ttl.toNanos())));
    }

    @Override
    public void remove(String key) {
        cache.invalidate(key);
    }

    /** Entries currently held (approximate: expired entries may still count until cleaned up). */
    public long size() {
        return cache.estimatedSize();
    }
}
