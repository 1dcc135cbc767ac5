package io.gatehouse.policy;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides whether a client certificate chains to a trusted CA (and, when asked, is not revoked),
 * for {@code validate-client-certificate}. The gateway builds it from its CA store and revocation
 * mode; see {@link PolicyEnvironment.Builder#chainCheck}.
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
    }

    /**
     * The gateway's chain check: the CA store's Root certificates as anchors, for the
     * client-authentication purpose. With {@code checkRevocation} the configured mode applies (a
     * certificate on a CRL fails unless the mode is OFF); without it CRLs are not consulted.
     */
    static ChainCheck of(CaStore store, RevocationMode mode) {
        ChainVerifier withRevocation = new ChainVerifier(store, mode);
        ChainVerifier withoutRevocation = new ChainVerifier(store, RevocationMode.OFF);
        List<X509Certificate> candidates = new ArrayList<>(store.roots());
        candidates.addAll(store.intermediates());
        List<X509Certificate> issuers = List.copyOf(candidates);
        return (chain, checkRevocation, at) -> {
            VerificationResult r = (checkRevocation ? withRevocation : withoutRevocation)
                    .verify(chain, ChainVerifier.Purpose.CLIENT_AUTH, at);
            if (r.valid()) {
                return Result.trusted(issuers);
            }
            return new Result(false, "revoked".equals(r.failedCheck()), r.failedCheck() + ": " + r.reason(), issuers);
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
        return (chain, checkRevocation, at) -> {
            Key key = new Key(List.copyOf(chain), checkRevocation);
            Entry e = cache.get(key);
            if (e != null && Math.abs(Duration.between(e.at(), at).toNanos()) < ttlNanos) {
                return e.result();
            }
            Result r = inner.check(chain, checkRevocation, at);
            if (cache.size() >= maxEntries) {
                cache.clear();
            }
            cache.put(key, new Entry(r, at));
            return r;
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
