package io.gatehouse.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import io.gatehouse.common.x509.DotNetNames;

/**
 * Checks certificate chains against a {@link CaStore}: a path to a trusted root, the validity
 * dates of every certificate on it, the purpose (extended key usage of the leaf and of the CAs
 * above it) and revocation through the store's CRLs according to the {@link RevocationMode}.
 *
 * <p>Paths come from {@link PathBuilder}, a depth-first search over the peer's certificates, the
 * store's intermediates and roots that goes back to the next candidate path whenever one fails a
 * check (an expired or EKU-restricted intermediate, a name constraint, a weak key, a signature), so
 * a bad cross-signed path does not hide a good one. Each candidate path is checked by
 * {@link PathChecks}: RFC 5280 validation by BouncyCastle's PKIX validator (explicit provider
 * instance, never registered globally) plus the rules browsers, Go and pyca/cryptography add (see
 * there). The JDK's CertPathBuilder and CertPathValidator are not used: their name-constraint check
 * wrote the leaf's CN into the certificate object's SAN list, which the JDK shares between
 * everything that parses the same bytes.
 *
 * <p>Dates, purpose and revocation each get their own {@link VerificationResult#failedCheck()}
 * and a precise reason. The first path that passes everything is used; otherwise the result is the
 * first path's failure, or the purpose failure of a path sound in everything else (after its
 * revocation check, so a revoked certificate says so first). CRLs are used only within their
 * issuingDistributionPoint scope, when they carry a CRL number and when their signer may sign CRLs
 * (see {@link CrlChecks}). Delta and indirect CRLs are not used.
 *
 * <p>Conformance (tests under {@code conformance/}, {@code -Dgatehouse.sharedDir=/work/shared}):
 * x509-limbo, all 9,780 cases: backend role (serverAuth + peer name) 9,740 agree, 35 listed
 * differences, 5 skipped; client-certificate role (clientAuth, no peer name) 9,743 counted as in
 * {@code LimboConformanceTest}. pyca/cryptography agrees on 9,719. NIST PKITS with its policy
 * inputs: 226 of 247 (the rest: deliberate refusals of DSA/SHA-1 and CA leaves, and CRL features not
 * supported, failing closed). Measured on the same machine, same harness (backend role agreement,
 * wall time for 9,780 cases on a shared 2-CPU machine, PKITS): the JDK's CertPathBuilder as used
 * before, 9,562, 38.0 s, 219; BouncyCastle's CertPathBuilder in its place, 9,706, 27.4 s, 219 (no
 * backtracking past a path its own checks accept, no policy inputs); this search with the JDK's
 * CertPathValidator per path, 9,599, 26.7 s, 225 (and the CN-as-SAN pollution); this search with
 * BouncyCastle's validator, 9,740, 34.4 s, 226. Times vary by a third from run to run there.
 *
 * <p>Immutable and thread-safe: build one per CA store and call {@link #verify} from any thread,
 * per handshake: {@code ChainVerifierTimingTest} measured 21 to 50 µs per call for one- and
 * two-level chains with and without CRLs (the JDK-builder version before it: 8 to 85 µs, on the same
 * loaded machine; both are mostly signature checks, which the JDK caches per certificate object).
 */
public final class ChainVerifier {

    /** What the leaf certificate must be meant for. */
    public enum Purpose {
        CLIENT_AUTH("1.3.6.1.5.5.7.3.2", "client authentication"),
        SERVER_AUTH("1.3.6.1.5.5.7.3.1", "server authentication"),
        ANY(null, "any purpose");

        private final String oid;
        private final String words;

        Purpose(String oid, String words) {
            this.oid = oid;
            this.words = words;
        }
    }

    private static final String ANY_EKU = "2.5.29.37.0";

    /**
     * The certificate-policy inputs of RFC 5280 6.1.1: the initial policy set (empty for any
     * policy), and whether an explicit policy is required, policy mapping is inhibited and
     * anyPolicy is inhibited from the start.
     */
    public record PolicyInputs(Set<String> initialPolicies, boolean explicitPolicyRequired,
            boolean policyMappingInhibited, boolean anyPolicyInhibited) {

        /** Any policy, none required: what the gateway's handshakes use. */
        public static final PolicyInputs DEFAULT = new PolicyInputs(Set.of(), false, false, false);

        public PolicyInputs {
            initialPolicies = Set.copyOf(initialPolicies);
        }
    }

    /** Longest path built: leaf, intermediates, root. */
    static final int MAX_CHAIN = 10;

    /** Most certificates accepted from a peer (candidates for the path, in any order). */
    static final int MAX_PEER_CERTIFICATES = 50;

    private final CaStore store;
    private final RevocationMode mode;
    /** Each trusted root with its TrustAnchor, built once. */
    private final Map<X509Certificate, TrustAnchor> anchors;
    private final Set<X509Certificate> rootSet;
    private final Map<X500Principal, List<X509Certificate>> rootsBySubject;
    private final CrlChecks crls;

    /** Revocation from the store's CRLs only: nothing is downloaded. */
    public ChainVerifier(CaStore store, RevocationMode mode) {
        this(store, mode, RevocationSources.NONE);
    }

    /**
     * Revocation from the store's CRLs and from what {@code sources} download (OCSP responders and
     * CRL distribution points the certificates name), as {@link CrlChecks} describes.
     */
    public ChainVerifier(CaStore store, RevocationMode mode, RevocationSources sources) {
        this.store = Objects.requireNonNull(store, "store");
        this.mode = Objects.requireNonNull(mode, "mode");
        Map<X509Certificate, TrustAnchor> a = new LinkedHashMap<>();
        Map<X500Principal, List<X509Certificate>> bySubject = new HashMap<>();
        for (X509Certificate root : store.roots()) {
            if (!a.containsKey(root)) {
                a.put(root, new TrustAnchor(root, null));
                bySubject.computeIfAbsent(root.getSubjectX500Principal(), k -> new ArrayList<>()).add(root);
            }
        }
        this.anchors = Collections.unmodifiableMap(a);
        this.rootSet = Set.copyOf(a.keySet());
        bySubject.replaceAll((k, v) -> List.copyOf(v));
        this.rootsBySubject = Map.copyOf(bySubject);
        this.crls = new CrlChecks(store, sources);
        if (mode != RevocationMode.OFF) {
            crls.prefetch();
        }
    }

    public CaStore store() {
        return store;
    }

    public RevocationMode revocationMode() {
        return mode;
    }

    /** {@link #verify(List, Purpose, Instant)} at the current time. */
    public VerificationResult verify(List<X509Certificate> chainLeafFirst, Purpose purpose) {
        return verify(chainLeafFirst, purpose, Instant.now());
    }

    /**
     * Verifies a chain as the peer sent it (leaf first; further certificates are candidate
     * intermediates, in any order, and may include a root).
     */
    public VerificationResult verify(List<X509Certificate> chainLeafFirst, Purpose purpose, Instant at) {
        return verify(chainLeafFirst, purpose, at, PolicyInputs.DEFAULT);
    }

    /**
     * {@link #verify(List, Purpose, Instant)} with the certificate-policy inputs of RFC 5280 6.1.1
     * (the gateway's callers use {@link PolicyInputs#DEFAULT}: any policy, none required).
     */
    public VerificationResult verify(List<X509Certificate> chainLeafFirst, Purpose purpose, Instant at,
            PolicyInputs policy) {
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(policy, "policy");
        if (chainLeafFirst == null || chainLeafFirst.isEmpty()) {
            return VerificationResult.failed("missing", "no certificate was presented");
        }
        X509Certificate leaf = chainLeafFirst.get(0);
        if (chainLeafFirst.size() > MAX_PEER_CERTIFICATES) {
            return VerificationResult.failed("chain", "the peer sent " + chainLeafFirst.size()
                    + " certificates with " + quote(leaf) + " (at most " + MAX_PEER_CERTIFICATES + " are accepted)");
        }
        VerificationResult dates = checkDates(leaf, at, "certificate");
        if (!dates.valid()) {
            return dates;
        }
        if (anchors.isEmpty()) {
            return VerificationResult.failed("chain", "no trusted CA certificates (store 'Root') are configured to check "
                    + quote(leaf) + " against");
        }
        Instant when = at.truncatedTo(ChronoUnit.SECONDS);
        if (rootSet.contains(leaf)) {
            // a certificate trusted as it is (a pinned, self-signed client): its dates and purpose only
            VerificationResult p = checkPurpose(leaf, purpose);
            if (!p.valid()) {
                return p;
            }
            return VerificationResult.ok();
        }
        Search search = new Search(chainLeafFirst, purpose, when, policy, true);
        PathBuilder builder = new PathBuilder(rootsBySubject, rootSet, search.candidates);
        builder.search(leaf, search);
        if (search.accepted != null) {
            return revocation(search.accepted, search.acceptedAnchor, chainLeafFirst, when);
        }
        if (search.purposeOnly != null) {
            // the path is sound but not meant for this purpose: a revoked certificate still says so first
            VerificationResult r = revocation(search.purposeOnly, search.purposeOnlyAnchor, chainLeafFirst, when);
            return r.valid() ? search.purposeFailure : r;
        }
        if (search.firstFailure != null) {
            return search.firstFailure;
        }
        if (builder.exhausted()) {
            return VerificationResult.failed("chain", "no path from " + quote(leaf) + " to a trusted CA certificate"
                    + " was found within " + PathBuilder.MAX_STEPS + " steps");
        }
        return diagnose(chainLeafFirst, when, "no path to a trusted CA certificate");
    }

    private VerificationResult revocation(List<X509Certificate> path, X509Certificate anchorCert,
            List<X509Certificate> chainLeafFirst, Instant at) {
        if (mode == RevocationMode.OFF) {
            return VerificationResult.ok();
        }
        for (int i = 0; i < path.size(); i++) {
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchorCert;
            VerificationResult r = crls.check(path.get(i), issuer, at, chainLeafFirst, mode, this::chainsToRoot);
            if (!r.valid()) {
                return r;
            }
        }
        return VerificationResult.ok();
    }

    /**
     * Checks each candidate path as {@link PathBuilder} offers it, and keeps the first that passes
     * every check, else the first failure (the shortest path's) and a path failing only its purpose.
     */
    private final class Search implements PathBuilder.Visitor {
        final List<X509Certificate> candidates;
        private final Purpose purpose;
        private final Instant at;
        private final PolicyInputs policy;
        private final VerificationResult leafRules;
        List<X509Certificate> accepted;
        X509Certificate acceptedAnchor;
        List<X509Certificate> purposeOnly;
        X509Certificate purposeOnlyAnchor;
        VerificationResult purposeFailure;
        VerificationResult firstFailure;

        /** {@code endEntity}: the first certificate is a leaf (false for a CRL signer's own path). */
        Search(List<X509Certificate> chain, Purpose purpose, Instant at, PolicyInputs policy, boolean endEntity) {
            this.purpose = purpose;
            this.at = at;
            this.policy = policy;
            List<X509Certificate> c = new ArrayList<>(chain.subList(1, chain.size()));
            c.addAll(store.intermediates());
            this.candidates = c;
            X509Certificate first = chain.get(0);
            VerificationResult rules = endEntity ? PathChecks.leaf(first) : VerificationResult.ok();
            if (rules.valid()) {
                rules = PathChecks.crypto(first, "certificate");
            }
            if (rules.valid()) {
                rules = PathChecks.profile(first, "certificate");
            }
            this.leafRules = rules;
        }

        @Override
        public PathBuilder.Next visit(List<X509Certificate> path, X509Certificate anchor) {
            VerificationResult r = check(path, anchor);
            if (!r.valid()) {
                if (firstFailure == null && r != PathChecks.SIGNATURE) {
                    firstFailure = r;
                }
                return PathBuilder.Next.CONTINUE;
            }
            VerificationResult p = PathChecks.intermediatePurposes(path, purpose.oid, purpose.words);
            if (!p.valid()) {
                if (purposeOnly == null) {
                    purposeOnly = path;
                    purposeOnlyAnchor = anchor;
                    purposeFailure = p;
                }
                return PathBuilder.Next.CONTINUE;
            }
            p = checkPurpose(path.get(0), purpose);
            if (!p.valid()) {
                // the leaf itself is not meant for the purpose: no other path can change that, and
                // this one is sound otherwise, so it is the one to report (and check revocation on)
                purposeOnly = path;
                purposeOnlyAnchor = anchor;
                purposeFailure = p;
                return PathBuilder.Next.STOP;
            }
            accepted = path;
            acceptedAnchor = anchor;
            return PathBuilder.Next.STOP;
        }

        private VerificationResult check(List<X509Certificate> path, X509Certificate anchor) {
            // RFC 5280 validation first, so that a candidate issuer whose signature does not verify
            // (a name match only) is not reported for its dates; its own date checks word the rest
            VerificationResult pkix = PathChecks.pkix(path, anchors.get(anchor), at, policy);
            if (pkix == PathChecks.SIGNATURE) {
                return pkix;
            }
            for (int i = 1; i < path.size(); i++) {
                VerificationResult r = checkDates(path.get(i), at, "CA certificate");
                if (!r.valid()) {
                    return r;
                }
            }
            VerificationResult r = PathChecks.anchor(anchor, at);
            if (!r.valid()) {
                return r;
            }
            if (!pkix.valid()) {
                return pkix;
            }
            if (!leafRules.valid()) {
                return leafRules;
            }
            for (int i = 1; i < path.size(); i++) {
                r = PathChecks.crypto(path.get(i), "CA certificate");
                if (r.valid()) {
                    r = PathChecks.profile(path.get(i), "CA certificate");
                }
                if (!r.valid()) {
                    return r;
                }
            }
            return PathChecks.nameConstraints(path, anchor);
        }
    }

    /**
     * Explains why no path was built: walks issuer links by name and signature from the leaf
     * over the peer's certificates, the store's intermediates and roots, and names the first
     * link that breaks.
     */
    private VerificationResult diagnose(List<X509Certificate> chain, Instant at, String why) {
        List<X509Certificate> candidates = new ArrayList<>(new LinkedHashSet<>(chain.subList(1, chain.size())));
        candidates.addAll(store.intermediates());
        List<X509Certificate> walked = new ArrayList<>();
        X509Certificate current = chain.get(0);
        while (walked.size() < 10) {
            walked.add(current);
            X500Principal issuerName = current.getIssuerX500Principal();
            X509Certificate root = PathBuilder.findSigner(current, store.roots());
            if (root != null) {
                for (int i = 1; i < walked.size(); i++) {
                    VerificationResult r = checkDates(walked.get(i), at, "CA certificate");
                    if (!r.valid()) {
                        return r;
                    }
                }
                VerificationResult r = checkDates(root, at, "trusted CA certificate");
                if (!r.valid()) {
                    return r;
                }
                return VerificationResult.failed("chain", "the path from " + quote(chain.get(0))
                        + " to the trusted CA " + quote(root) + " is not valid: " + why);
            }
            List<X509Certificate> others = candidates.stream().filter(c -> !walked.contains(c)).toList();
            X509Certificate next = PathBuilder.findSigner(current, others);
            if (next == null) {
                boolean impostor = store.roots().stream().anyMatch(r -> r.getSubjectX500Principal().equals(issuerName))
                        || store.intermediates().stream().anyMatch(r -> r.getSubjectX500Principal().equals(issuerName));
                String who = current == chain.get(0) ? quote(current) : "CA certificate " + quote(current);
                if (current.getSubjectX500Principal().equals(issuerName) && walked.size() > 1) {
                    return VerificationResult.failed("chain", "the chain of " + quote(chain.get(0))
                            + " ends at the self-signed " + quote(current)
                            + (impostor ? ", which has the name of a trusted CA certificate but is a different certificate"
                                    : ", which is not among the trusted CA certificates"));
                }
                if (impostor) {
                    return VerificationResult.failed("chain", "issuer '" + DotNetNames.format(issuerName) + "' of "
                            + who + " has the name of a trusted CA certificate, but that CA did not sign it"
                            + " (the signature does not verify with the trusted certificate's key)");
                }
                return VerificationResult.failed("chain", "issuer '" + DotNetNames.format(issuerName) + "' of " + who
                        + " is not among the trusted CA certificates");
            }
            current = next;
        }
        return VerificationResult.failed("chain", "no path from " + quote(chain.get(0))
                + " to a trusted CA certificate: " + why);
    }

    static VerificationResult checkDates(X509Certificate c, Instant instant, String what) {
        // X.509 validity has one-second granularity and is inclusive at both ends (RFC 5280 4.1.2.5)
        Instant at = instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant notBefore = c.getNotBefore().toInstant();
        Instant notAfter = c.getNotAfter().toInstant();
        if (at.isAfter(notAfter)) {
            return VerificationResult.failed("expired", what + " " + quote(c) + " expired on " + notAfter);
        }
        if (at.isBefore(notBefore)) {
            return VerificationResult.failed("not-yet-valid", what + " " + quote(c) + " is not valid before "
                    + notBefore);
        }
        return VerificationResult.ok();
    }

    private static VerificationResult checkPurpose(X509Certificate leaf, Purpose purpose) {
        if (purpose == Purpose.ANY) {
            return VerificationResult.ok();
        }
        List<String> ekus;
        try {
            ekus = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return VerificationResult.failed("purpose", "the extended key usage of " + quote(leaf) + " is unreadable");
        }
        if (ekus != null && !ekus.contains(purpose.oid) && !ekus.contains(ANY_EKU)) {
            return VerificationResult.failed("purpose", "certificate " + quote(leaf) + " is not meant for "
                    + purpose.words + " (its extended key usage allows: " + ekuWords(ekus) + ")");
        }
        return VerificationResult.ok();
    }

    static String ekuWords(List<String> ekus) {
        return String.join(", ", ekus.stream().map(o -> switch (o) {
            case "1.3.6.1.5.5.7.3.1" -> "server authentication";
            case "1.3.6.1.5.5.7.3.2" -> "client authentication";
            case "1.3.6.1.5.5.7.3.4" -> "email protection";
            case "1.3.6.1.5.5.7.3.3" -> "code signing";
            default -> o;
        }).toList());
    }

    /**
     * Whether a CRL-signing certificate may be relied on: a trusted root, or a certificate with a
     * valid path to one that its own issuer's CRLs (signed by that issuer's key) do not revoke.
     */
    private boolean chainsToRoot(X509Certificate c, List<X509Certificate> peerCertificates, Instant at) {
        if (rootSet.contains(c)) {
            return true;
        }
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(c);
        for (X509Certificate p : peerCertificates) {
            if (p != c && chain.size() < MAX_PEER_CERTIFICATES) {
                chain.add(p);
            }
        }
        Search search = new Search(chain, Purpose.ANY, at.truncatedTo(ChronoUnit.SECONDS), PolicyInputs.DEFAULT,
                false);
        new PathBuilder(rootsBySubject, rootSet, search.candidates).search(c, search);
        if (search.accepted == null) {
            return false;
        }
        List<X509Certificate> path = search.accepted;
        X509Certificate itsIssuer = path.size() > 1 ? path.get(1) : search.acceptedAnchor;
        return !crls.listedAsRevoked(c, itsIssuer);
    }

    static String quote(X509Certificate c) {
        return "'" + DotNetNames.format(c.getSubjectX500Principal()) + "'";
    }

    @Override
    public String toString() {
        return "ChainVerifier[" + store + ", revocation " + mode + "]";
    }
}
