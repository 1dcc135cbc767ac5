package io.gatehouse.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client chains a handshake verifier found valid recently, so a client that opens many
 * connections (one per request, as many EHR integrations do) is not put through path building on
 * every handshake. An entry lasts {@code ttl} at most, and never past the moment the earliest
 * certificate of the chain expires; only valid results are kept, so a refused chain is checked
 * again every time. A config reload builds a new verifier and so a new, empty cache, which is
 * when CA certificates and CRLs change. Bounded: when full, it starts again empty.
 */
final class VerifiedChains {
    private final long ttlNanos;
    private final int maxEntries;
    /** The chain (certificates compare by their encoding) to when its verdict stops counting (System.nanoTime). */
    private final ConcurrentHashMap<List<X509Certificate>, Long> valid = new ConcurrentHashMap<>();

    VerifiedChains(Duration ttl, int maxEntries) {
        this.ttlNanos = ttl.toNanos();
        this.maxEntries = maxEntries;
    }

    /** True when {@code chain} was found valid less than the ttl ago (and none of it has expired since). */
    boolean isKnownValid(List<X509Certificate> chain) {
        Long until = valid.get(chain);
        if (until == null) {
            return false;
        }
        if (System.nanoTime() - until >= 0) {
            valid.remove(chain, until);
            return false;
        }
        return true;
    }

    /** Remembers that {@code chain} was verified valid at {@code now}. */
    void remember(List<X509Certificate> chain, Instant now) {
        long ttl = ttlNanos;
        for (X509Certificate c : chain) {
            long left = Duration.between(now, c.getNotAfter().toInstant()).toNanos();
            ttl = Math.min(ttl, left);
        }
        if (ttl <= 0) {
            return;
        }
        if (valid.size() >= maxEntries) {
            valid.clear();
        }
        valid.put(List.copyOf(chain), System.nanoTime() + ttl);
    }
}
