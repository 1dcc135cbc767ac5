package io.gatehouse.tls;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers what a {@link ChainVerifier} said about a chain for a short while, so that a policy
 * calling {@code Verify()} or {@code validate-client-certificate} on every request of a
 * keep-alive connection does not rebuild the certification path each time (PKIX path building
 * costs about as much as the rest of a request). A result is reused for at most {@code ttl}, so
 * expiry and CRL changes are seen within that time; a reload builds a new cache with the new CA
 * store.
 */
public final class CachingChainVerifier {
    private static final int MAX_ENTRIES = 10_000;

    private record Key(List<X509Certificate> chain, ChainVerifier.Purpose purpose) {
    }

    private record Entry(VerificationResult result, long expiresAtNanos) {
    }

    private final ChainVerifier verifier;
    private final long ttlNanos;
    private final Map<Key, Entry> cache = new ConcurrentHashMap<>();

    public CachingChainVerifier(ChainVerifier verifier, Duration ttl) {
        this.verifier = verifier;
        this.ttlNanos = ttl.toNanos();
    }

    public VerificationResult verify(List<X509Certificate> chainLeafFirst, ChainVerifier.Purpose purpose) {
        long now = System.nanoTime();
        Key key = new Key(chainLeafFirst, purpose);
        Entry e = cache.get(key);
        if (e != null && now - e.expiresAtNanos < 0) {
            return e.result;
        }
        VerificationResult r = verifier.verify(chainLeafFirst, purpose);
        if (cache.size() >= MAX_ENTRIES) {
            cache.clear(); // crude but bounded: a flood of distinct chains cannot grow memory
        }
        cache.put(key, new Entry(r, now + ttlNanos));
        return r;
    }
}
