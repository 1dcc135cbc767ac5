package io.gatehouse.policy.spi;

import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.policy.elements.LimitCounters;
import io.gatehouse.policy.elements.cache.AsyncValueCache;
import io.gatehouse.policy.elements.cache.ValueCache;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import static java.util.Objects.requireNonNull;

/**
 * The cache several gateways share ({@code gateway.externalCache}: Redis), as APIM's "external
 * cache": the counters of rate-limit, rate-limit-by-key, quota and quota-by-key, and the values of
 * the {@code *-value} cache policies with {@code caching-type} external or prefer-external. The
 * gateway implements it (gatehouse-proxy's {@code RedisExternalCache}); policies are compiled
 * against a {@link Deferred} the gateway binds once it has connected.
 */
public interface ExternalCache {
    /** Where the limit policies count. */
    LimitCounters counters();

    /** Where the {@code *-value} cache policies keep values. */
    AsyncValueCache values();

    /**
     * The response {@code cache-store} stored under {@code key} (serialized by
     * {@link io.gatehouse.policy.elements.cache.ResponseCache.Entry#toBytes}), or null when absent,
     * expired or unreachable: a failure is a miss.
     */
    CompletionStage<byte[]> getResponse(String key);

    /** Stores a serialized response for {@code ttl}; a failure is logged by the store, not thrown. */
    CompletionStage<Void> putResponse(String key, byte[] entry, Duration ttl);

    /**
     * The external cache of a config whose policies compile before the gateway has a connection:
     * until {@link #bind} (and in tools that never bind one, such as {@code gatehouse validate}),
     * counters and values stay in this process's memory, and responses are not cached.
     */
    final class Deferred implements ExternalCache {
        private volatile ExternalCache bound;
        private final LimitCounters counters = new LimitCounters() {
            @Override
            public CompletionStage<CounterStore.Count> tryAddAsync(String key, long amount, long limit, Duration period) {
                ExternalCache b = bound;
                return (b == null ? CounterStore.local() : b.counters()).tryAddAsync(key, amount, limit, period);
            }

            @Override
            public CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
                ExternalCache b = bound;
                return (b == null ? CounterStore.local() : b.counters()).tryAddSlidingAsync(key, amount, limit, period);
            }
        };
        private final AsyncValueCache values = new AsyncValueCache() {
            private AsyncValueCache target() {
                ExternalCache b = bound;
                return b == null ? ValueCache.local() : b.values();
            }

            @Override
            public CompletionStage<Object> getAsync(String key) {
                return target().getAsync(key);
            }

            @Override
            public CompletionStage<Void> putAsync(String key, Object value, Duration ttl) {
                return target().putAsync(key, value, ttl);
            }

            @Override
            public CompletionStage<Void> removeAsync(String key) {
                return target().removeAsync(key);
            }
        };

        @Override
        public CompletionStage<byte[]> getResponse(String key) {
            ExternalCache b = bound;
            return b == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : b.getResponse(key);
        }

        @Override
        public CompletionStage<Void> putResponse(String key, byte[] entry, Duration ttl) {
            ExternalCache b = bound;
            return b == null ? java.util.concurrent.CompletableFuture.completedFuture(null) : b.putResponse(key, entry, ttl);
        }

        /** From now on, counters and values go to {@code cache}. */
        public void bind(ExternalCache cache) {
            this.bound = requireNonNull(cache, "cache");
        }

        /** What {@link #bind} gave, or null. */
        public ExternalCache bound() {
            return bound;
        }

        @Override
        public LimitCounters counters() {
            return counters;
        }

        @Override
        public AsyncValueCache values() {
            return values;
        }
    }
}
