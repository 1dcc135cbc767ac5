package io.gatehouse.policy.elements.cache;

import static java.util.Objects.requireNonNull;

/**
 * What {@code cache-lookup} leaves on the exchange after a miss, for {@code cache-store} in
 * outbound: where to store, under which key, and what to tell downstream caches.
 *
 * @param cache the environment's response cache
 * @param key the digest the lookup used
 * @param downstream {@code none}, {@code private} or {@code public}: the {@code Cache-Control}
 *     the gateway's response gets ({@code none}: left as the backend sent it)
 * @param mustRevalidate whether that {@code Cache-Control} says {@code must-revalidate}
 * @param external the external cache to store in instead of {@code cache} ({@code caching-type}
 *     external, or prefer-external with {@code gateway.externalCache}); null for the internal one
 */
public record Pending(ResponseCache cache, String key, String downstream, boolean mustRevalidate,
                      io.gatehouse.policy.spi.ExternalCache external) {
    public Pending(ResponseCache cache, String key, String downstream, boolean mustRevalidate) {
        this(cache, key, downstream, mustRevalidate, null);
    }

    public Pending {
        requireNonNull(cache, "cache");
        requireNonNull(key, "key");
        requireNonNull(downstream, "downstream");
    }

    /** The {@code Cache-Control} value for a response that lives {@code seconds} more, or null for {@code none}. */
    public String cacheControl(long seconds) {
        if (downstream.equals("none")) {
            return null;
        }
        return downstream + ", max-age=" + seconds + (mustRevalidate ? ", must-revalidate" : "");
    }
}
