package io.gatehouse.policy;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.RevocationSources;
import io.gatehouse.tls.VerificationResult;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether a client certificate chains to a trusted CA (and, when asked, is not revoked),
 * for {@code validate-client-certificate}. The gateway builds it from its CA store and revocation
 * mode; see {@link PolicyEnvironment.Builder#chainCheck}.
 *
 * <p><b>Revocation without blocking the event loop.</b> {@link #check} is synchronous and is
 * called where requests run (on the connection's event loop: {@code validate-client-certificate},
 * {@code Verify()}, {@code clientCertificate: required}). There it only reads what
 * {@link RevocationSources} has cached: an OCSP answer or CRL not cached yet counts as no answer
 * (and its download starts), so a hard-fail check would say "revocation-unknown". To make the
 * answer be there, the gateway calls {@link #prepare} once per connection right after the TLS
 * handshake, on a background thread where the download may be waited for, and holds the
 * connection's first request until it completes (the proxy's {@code DownstreamInitializer}); the
 * cache then serves every request of the connection, and {@link RevocationSources} refreshes what
 * is in use before it expires. A "revocation-unknown" result is never kept by {@link #cached}, so
 * the next check (after the download) decides afresh.
 */
@FunctionalInterface
public interface ChainCheck {
    /**
     * @param chain the client's certificate first, then what it sent along
     * @param checkRevocation whether to consult CRLs/OCSP
     * @param at the time to judge validity at
     */
    Result check(List<X509Certificate> chain, boolean checkRevocation, Instant at);

    /**
     * Makes the revocation information {@code chain} needs available to {@link #check} without
     * waiting: downloads it off the calling thread. Completes (never exceptionally) when the
     * answers are cached or their downloads failed or timed out; on some other thread, so callers
     * hop back to their own. Completed at once when there is nothing to fetch.
     */
    default CompletionStage<Void> prepare(List<X509Certificate> chain) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * @param trusted the chain ends in a trusted CA and every signature and constraint holds
     * @param revoked a certificate in the chain is revoked (implies not trusted)
     * @param reason what failed, in plain words, for logs and LastError.Message
     * @param path certificates that may have issued the client's certificate beyond those it sent:
     *     the validated path or the CA store (lets {@code issuer-thumbprint} match an issuer the
     *     client did not send; a signature check decides); may be empty
     */
    record Result(boolean trusted, boolean revoked, String reason, List<X509Certificate> path) {
        public static final Result TRUSTED = new Result(true, false, "trusted", List.of());

        public Result {
            path = path == null ? List.of() : List.copyOf(path);
        }

        public Result(boolean trusted, boolean revoked, String reason) {
            this(trusted, revoked, reason, List.of());
        }

        public static Result trusted(List<X509Certificate> path) {
            return new Result(true, false, "trusted", path);
        }

        /** Whether the chain failed only because its revocation status could not be determined (hard-fail mode). */
        public boolean revocationUnknown() {
            return !trusted && reason != null && reason.startsWith("revocation-unknown:");
        }
    }

    /**
     * The gateway's chain check: the CA store's Root certificates as anchors, for the
     * client-authentication purpose. With {@code checkRevocation} the configured mode applies (a
     * certificate on a CRL fails unless the mode is OFF); without it CRLs are not consulted.
     */
    static ChainCheck of(CaStore store, RevocationMode mode) {
        return of(store, mode, RevocationSources.shared());
    }

    /** As {@link #of(CaStore, RevocationMode)} with these revocation sources ({@link RevocationSources#NONE}: configured CRLs only). */
    static ChainCheck of(CaStore store, RevocationMode mode, RevocationSources sources) {
        ChainVerifier withRevocation = new ChainVerifier(store, mode, sources);
        ChainVerifier withoutRevocation = new ChainVerifier(store, RevocationMode.OFF);
        List<X509Certificate> candidates = new ArrayList<>(store.roots());
        candidates.addAll(store.intermediates());
        List<X509Certificate> issuers = List.copyOf(candidates);
        boolean fetches = mode != RevocationMode.OFF && sources.fetches();
        return new ChainCheck() {
            @Override
            public Result check(List<X509Certificate> chain, boolean checkRevocation, Instant at) {
                VerificationResult r = (checkRevocation ? withRevocation : withoutRevocation)
                        .verify(chain, ChainVerifier.Purpose.CLIENT_AUTH, at);
                if (r.valid()) {
                    return Result.trusted(issuers);
                }
                return new Result(false, "revoked".equals(r.failedCheck()), r.failedCheck() + ": " + r.reason(),
                        issuers);
            }

            @Override
            public CompletionStage<Void> prepare(List<X509Certificate> chain) {
                if (!fetches || chain.isEmpty()) {
                    return CompletableFuture.completedFuture(null);
                }
                long now = System.nanoTime();
                Prepared last = prepared.get(chain.get(0));
                if (last != null && now - last.startedNanos() < PREPARED_NANOS) {
                    // prepared (or being prepared) moments ago: the same downloads, cached and refreshed while in
                    // use; a client opening a connection per request is not path-validated again for each
                    return last.done();
                }
                if (prepared.size() >= MAX_PREPARED) {
                    prepared.clear();
                }
                List<X509Certificate> copy = List.copyOf(chain);
                // on a thread that may wait: the verifier downloads what the chain needs into the shared cache
                CompletableFuture<Void> done = CompletableFuture.runAsync(
                        () -> withRevocation.verify(copy, ChainVerifier.Purpose.CLIENT_AUTH, Instant.now()),
                        sources.taskExecutor()).exceptionally(e -> null);
                prepared.put(chain.get(0), new Prepared(now, done));
                return done;
            }

            /** The last preparation per leaf certificate: when it started and its outcome. */
            private record Prepared(long startedNanos, CompletableFuture<Void> done) {
            }

            private static final long PREPARED_NANOS = Duration.ofSeconds(30).toNanos();
            private static final int MAX_PREPARED = 10_000;
            private final ConcurrentHashMap<X509Certificate, Prepared> prepared = new ConcurrentHashMap<>();
        };
    }

    /**
     * This check with results remembered per (chain, revocation flag) for {@code ttl}, so a client
     * sending many requests is not re-validated on each one. A revocation published meanwhile takes
     * effect within {@code ttl}. At most {@code maxEntries} results are kept.
     */
    default ChainCheck cached(Duration ttl, int maxEntries) {
        ChainCheck inner = this;
        long ttlNanos = ttl.toNanos();
        record Key(List<X509Certificate> chain, boolean revocation) {
        }
        record Entry(Result result, Instant at) {
        }
        ConcurrentHashMap<Key, Entry> cache = new ConcurrentHashMap<>();
        return new ChainCheck() {
            @Override
            public Result check(List<X509Certificate> chain, boolean checkRevocation, Instant at) {
                Key key = new Key(List.copyOf(chain), checkRevocation);
                Entry e = cache.get(key);
                if (e != null && Math.abs(Duration.between(e.at(), at).toNanos()) < ttlNanos) {
                    return e.result();
                }
                Result r = inner.check(chain, checkRevocation, at);
                if (r.revocationUnknown()) {
                    return r; // not kept: the information may be downloaded by the next check
                }
                if (cache.size() >= maxEntries) {
                    cache.clear();
                }
                cache.put(key, new Entry(r, at));
                return r;
            }

            @Override
            public CompletionStage<Void> prepare(List<X509Certificate> chain) {
                Entry e = cache.get(new Key(List.copyOf(chain), true));
                if (e != null && Math.abs(Duration.between(e.at(), Instant.now()).toNanos()) < ttlNanos) {
                    return CompletableFuture.completedFuture(null);
                }
                // once downloaded, judge the chain there (every source is cached now) and keep the
                // result, so the connections that follow find it here and need no hop at all
                List<X509Certificate> copy = List.copyOf(chain);
                return inner.prepare(copy).thenRun(() -> check(copy, true, Instant.now()));
            }
        };
    }

    /**
     * Implemented by a certificate's verifier ({@code X509Certificate2}'s) when the certificate
     * came with its own trust, such as the CA certificates of the hostname its connection is on:
     * {@code validate-client-certificate} then judges it with this check rather than the
     * environment's.
     */
    interface Scoped {
        ChainCheck chainCheck();
    }

    /** Trusts nothing: the safe default when no CA certificates are configured. */
    ChainCheck NONE = (chain, rev, at) -> new Result(false, false, "no CA certificates are configured");
}
