package io.gatehouse.tls;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CertificateParsingException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import io.gatehouse.common.x509.DotNetNames;

/**
 * Checks certificate chains against a {@link CaStore}: the path to a trusted root (built with
 * the JDK's PKIX builder from the peer's certificates and the store's intermediates), validity
 * dates of every certificate on it, the leaf's purpose (extended key usage) and revocation
 * through the store's CRLs according to the {@link RevocationMode}.
 *
 * <p>Dates, purpose and revocation are checked here rather than by PKIX so that each failure
 * gets its own {@link VerificationResult#failedCheck()} and a precise reason. On top of the JDK
 * this also enforces the trust anchor's own name constraints and the expiry of the trust anchor,
 * and uses a CRL only within its issuingDistributionPoint scope, when it carries a CRL number and
 * when its signer may sign CRLs (the issuing CA's key, or another trusted, unrevoked key of the
 * same CA after a key rollover). Delta and indirect CRLs are not used.
 *
 * <p>Conformance (tests under {@code conformance/}): NIST PKITS 219 of 247 with revocation
 * hard-fail; a 664-case slice of x509-limbo 586 agree; the differences are listed by reason.
 *
 * <p>Immutable and thread-safe: build one per CA store and call {@link #verify} from any thread,
 * per handshake (about 0.1 ms for a two-level chain with CRLs).
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

    /** Longest path built: leaf, intermediates, root. */
    static final int MAX_CHAIN = 10;

    /** Most certificates accepted from a peer (candidates for the path, in any order). */
    static final int MAX_PEER_CERTIFICATES = 50;

    private final CaStore store;
    private final RevocationMode mode;
    private final Set<TrustAnchor> anchors;
    private final Set<X509Certificate> rootSet;
    private final CertStore storeIntermediates;
    /** Anchors, intermediates and options, built once; each call clones it and adds its target. */
    private final PKIXBuilderParameters baseParameters;
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
        Set<TrustAnchor> a = new HashSet<>();
        for (X509Certificate root : store.roots()) {
            a.add(new TrustAnchor(root, null));
        }
        this.anchors = Set.copyOf(a);
        this.rootSet = Set.copyOf(new HashSet<>(store.roots()));
        try {
            this.storeIntermediates = CertStore.getInstance("Collection",
                    new CollectionCertStoreParameters(List.copyOf(store.intermediates())));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Collection CertStore", e);
        }
        this.baseParameters = anchors.isEmpty() ? null : baseParameters(anchors, storeIntermediates);
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
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(at, "at");
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
        List<X509Certificate> path;
        X509Certificate anchorCert;
        if (rootSet.contains(leaf)) {
            path = List.of(leaf);
            anchorCert = leaf;
        } else {
            PKIXCertPathBuilderResult built;
            try {
                built = build(chainLeafFirst, at);
            } catch (CertPathBuilderException e) {
                return diagnose(chainLeafFirst, at, e);
            }
            path = new ArrayList<>();
            for (var c : built.getCertPath().getCertificates()) {
                path.add((X509Certificate) c);
            }
            anchorCert = built.getTrustAnchor().getTrustedCert();
        }
        for (int i = 1; i < path.size(); i++) {
            VerificationResult r = checkDates(path.get(i), at, "CA certificate");
            if (!r.valid()) {
                return r;
            }
        }
        if (anchorCert != leaf) {
            VerificationResult r = checkDates(anchorCert, at, "trusted CA certificate");
            if (!r.valid()) {
                return r;
            }
            VerificationResult nc = checkAnchorNameConstraints(anchorCert, path);
            if (!nc.valid()) {
                return nc;
            }
        }
        VerificationResult p = checkPurpose(leaf, purpose);
        if (!p.valid()) {
            return p;
        }
        if (mode != RevocationMode.OFF && anchorCert != leaf) {
            for (int i = 0; i < path.size(); i++) {
                X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchorCert;
                VerificationResult r = crls.check(path.get(i), issuer, at, chainLeafFirst, mode, this::chainsToRoot);
                if (!r.valid()) {
                    return r;
                }
            }
        }
        return VerificationResult.ok();
    }

    /**
     * Applies the trust anchor's own NameConstraints extension to the path: the JDK's PKIX never
     * reads the anchor certificate's extensions (and refuses anchor constraints), so without
     * this a root limited to, say, {@code .contoso.local} could vouch for any name.
     */
    private static VerificationResult checkAnchorNameConstraints(X509Certificate anchor, List<X509Certificate> path) {
        byte[] ext = anchor.getExtensionValue("2.5.29.30");
        if (ext == null) {
            return VerificationResult.ok();
        }
        try {
            org.bouncycastle.asn1.x509.NameConstraints nc = org.bouncycastle.asn1.x509.NameConstraints.getInstance(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
            org.bouncycastle.asn1.x509.PKIXNameConstraintValidator validator =
                    new org.bouncycastle.asn1.x509.PKIXNameConstraintValidator();
            if (nc.getPermittedSubtrees() != null) {
                validator.intersectPermittedSubtree(nc.getPermittedSubtrees());
            }
            if (nc.getExcludedSubtrees() != null) {
                for (org.bouncycastle.asn1.x509.GeneralSubtree subtree : nc.getExcludedSubtrees()) {
                    validator.addExcludedSubtree(subtree);
                }
            }
            for (int i = path.size() - 1; i >= 0; i--) {
                X509Certificate c = path.get(i);
                boolean selfIssued = c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
                if (selfIssued && i > 0) {
                    continue; // RFC 5280 6.1.3 (b): self-issued intermediates are not checked
                }
                org.bouncycastle.asn1.x500.X500Name subject =
                        org.bouncycastle.asn1.x500.X500Name.getInstance(c.getSubjectX500Principal().getEncoded());
                if (subject.getRDNs().length > 0) {
                    validator.checkPermitted(new org.bouncycastle.asn1.x509.GeneralName(subject));
                    validator.checkExcluded(new org.bouncycastle.asn1.x509.GeneralName(subject));
                }
                byte[] san = c.getExtensionValue("2.5.29.17");
                if (san != null) {
                    org.bouncycastle.asn1.x509.GeneralNames names = org.bouncycastle.asn1.x509.GeneralNames.getInstance(
                            org.bouncycastle.asn1.ASN1OctetString.getInstance(san).getOctets());
                    for (org.bouncycastle.asn1.x509.GeneralName name : names.getNames()) {
                        validator.checkPermitted(name);
                        validator.checkExcluded(name);
                    }
                }
            }
            return VerificationResult.ok();
        } catch (org.bouncycastle.asn1.x509.NameConstraintValidatorException e) {
            return VerificationResult.failed("chain", "a name in " + quote(path.get(0)) + "'s chain is outside the"
                    + " names the trusted CA " + quote(anchor) + " may vouch for (name constraints: " + e.getMessage()
                    + ")");
        } catch (RuntimeException e) {
            return VerificationResult.failed("chain", "the name constraints of the trusted CA " + quote(anchor)
                    + " are unreadable");
        }
    }

    private static PKIXBuilderParameters baseParameters(Set<TrustAnchor> anchors, CertStore intermediates) {
        try {
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, new X509CertSelector());
            params.setRevocationEnabled(false); // revocation is checked by CrlChecks, per mode
            params.setMaxPathLength(MAX_CHAIN - 2);
            params.addCertStore(intermediates);
            return params;
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(e);
        }
    }

    private PKIXCertPathBuilderResult build(List<X509Certificate> chain, Instant at) throws CertPathBuilderException {
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(chain.get(0));
            PKIXBuilderParameters params = (PKIXBuilderParameters) baseParameters.clone();
            params.setTargetCertConstraints(target);
            params.setDate(Date.from(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
            if (chain.size() > 1) {
                params.addCertStore(CertStore.getInstance("Collection",
                        new CollectionCertStoreParameters(List.copyOf(chain.subList(1, chain.size())))));
            }
            return (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
        } catch (CertPathBuilderException e) {
            throw e;
        } catch (InvalidAlgorithmParameterException e) {
            throw new CertPathBuilderException(e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK PKIX builder is not available", e);
        }
    }

    /**
     * Explains why no path was built: walks issuer links by name and signature from the leaf
     * over the peer's certificates, the store's intermediates and roots, and names the first
     * link that breaks.
     */
    private VerificationResult diagnose(List<X509Certificate> chain, Instant at, CertPathBuilderException e) {
        List<X509Certificate> candidates = new ArrayList<>(new LinkedHashSet<>(chain.subList(1, chain.size())));
        candidates.addAll(store.intermediates());
        List<X509Certificate> walked = new ArrayList<>();
        X509Certificate current = chain.get(0);
        while (walked.size() < 10) {
            walked.add(current);
            X500Principal issuerName = current.getIssuerX500Principal();
            X509Certificate root = findSigner(current, store.roots());
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
                        + " to the trusted CA " + quote(root) + " is not valid: " + pkixWords(e));
            }
            List<X509Certificate> others = candidates.stream().filter(c -> !walked.contains(c)).toList();
            X509Certificate next = findSigner(current, others);
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
                + " to a trusted CA certificate: " + pkixWords(e));
    }

    private static X509Certificate findSigner(X509Certificate cert, List<X509Certificate> candidates) {
        for (X509Certificate c : candidates) {
            if (c.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                try {
                    cert.verify(c.getPublicKey());
                    return c;
                } catch (GeneralSecurityException | RuntimeException ignored) {
                    // a different key with the same name: keep looking
                }
            }
        }
        return null;
    }

    private static String pkixWords(CertPathBuilderException e) {
        Throwable t = e;
        String message = e.getMessage();
        while (t.getCause() != null) {
            t = t.getCause();
            if (t.getMessage() != null) {
                message = t.getMessage();
            }
        }
        return message == null ? "no valid path" : message;
    }

    private static VerificationResult checkDates(X509Certificate c, Instant instant, String what) {
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
            List<String> names = ekus.stream().map(o -> switch (o) {
                case "1.3.6.1.5.5.7.3.1" -> "server authentication";
                case "1.3.6.1.5.5.7.3.2" -> "client authentication";
                case "1.3.6.1.5.5.7.3.4" -> "email protection";
                case "1.3.6.1.5.5.7.3.3" -> "code signing";
                default -> o;
            }).toList();
            return VerificationResult.failed("purpose", "certificate " + quote(leaf) + " is not meant for "
                    + purpose.words + " (its extended key usage allows: " + String.join(", ", names) + ")");
        }
        return VerificationResult.ok();
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
        PKIXCertPathBuilderResult built;
        try {
            built = build(chain, at);
        } catch (CertPathBuilderException e) {
            return false;
        }
        List<? extends java.security.cert.Certificate> path = built.getCertPath().getCertificates();
        X509Certificate itsIssuer = path.size() > 1 ? (X509Certificate) path.get(1)
                : built.getTrustAnchor().getTrustedCert();
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
