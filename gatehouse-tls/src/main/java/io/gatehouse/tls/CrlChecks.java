package io.gatehouse.tls;

import static io.gatehouse.tls.ChainVerifier.quote;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

/**
 * Revocation for {@link ChainVerifier}, once a path to a trusted root is built: for each
 * certificate on it, with its issuer on the path.
 *
 * <p>Sources, all consulted when available (decided: a revocation any trustworthy source shows
 * counts; the status is known when at least one source gave a current answer):
 * <ol>
 * <li>the configured CRLs ({@code caCertificates[].crlFile}) of the certificate's issuer;</li>
 * <li>the OCSP responder the certificate names (authorityInfoAccess, http only), when
 *     {@link RevocationSources} fetch: an answer good or revoked settles OCSP;</li>
 * <li>when no responder is named or it gave no answer (down, unknown status, bad or stale
 *     response): the CRLs at the certificate's cRLDistributionPoints (http only; LDAP and other
 *     schemes are ignored).</li>
 * </ol>
 *
 * <p>A CRL, configured or fetched, counts only when its signer may sign CRLs (the issuing CA's
 * key, or another trusted, unrevoked key of the same CA after a key rollover; keyUsage cRLSign),
 * it carries a non-critical CRL number, it is a complete CRL within its issuingDistributionPoint
 * scope, and it is current (not past its nextUpdate). A fetched CRL signed by the wrong key, or
 * stale, is ignored like a configured one, and the reason is named when the status stays unknown.
 * What an OCSP response must satisfy is in {@link OcspChecks}.
 *
 * <p>Modes: {@code OFF} is never asked. {@code SOFT_FAIL}: revoked fails ("revoked"); no source,
 * or none answering, passes. {@code HARD_FAIL}: revoked fails, and so does a certificate whose
 * status no source gave ("revocation-unknown", naming each source tried and why it gave nothing).
 * On a Netty event loop nothing waits: a source not cached yet counts as not answering and its
 * download starts (see {@link RevocationSources#mayWait()}).
 *
 * <p>Immutable; built once per {@link CaStore}.
 */
final class CrlChecks {

    /** Whether a certificate that signed a CRL in place of the issuer has a trusted path itself. */
    @FunctionalInterface
    interface SignerPaths {
        boolean chainsToRoot(X509Certificate signer, List<X509Certificate> peerCertificates, Instant at);
    }

    private final CaStore store;
    private final Map<X500Principal, List<X509CRL>> crlsByIssuer;
    private final RevocationSources sources;

    CrlChecks(CaStore store) {
        this(store, RevocationSources.NONE);
    }

    CrlChecks(CaStore store, RevocationSources sources) {
        this.store = store;
        this.sources = sources == null ? RevocationSources.NONE : sources;
        Map<X500Principal, List<X509CRL>> byIssuer = new HashMap<>();
        for (X509CRL crl : store.crls()) {
            byIssuer.computeIfAbsent(crl.getIssuerX500Principal(), k -> new ArrayList<>()).add(crl);
        }
        byIssuer.replaceAll((k, v) -> List.copyOf(v));
        this.crlsByIssuer = Map.copyOf(byIssuer);
    }

    /**
     * Starts downloading the CRLs the store's intermediate CA certificates name (their issuers'
     * CRLs, which the intermediates are checked against on every path through them), so the first
     * handshakes find them cached. Roots are trust anchors, never checked for revocation.
     */
    void prefetch() {
        sources.prefetchCrls(store.intermediates());
    }

    /** Whether a CRL of {@code cert}'s issuer, signed by {@code itsIssuer}'s key, lists it. */
    boolean listedAsRevoked(X509Certificate cert, X509Certificate itsIssuer) {
        for (X509CRL crl : crlsByIssuer.getOrDefault(cert.getIssuerX500Principal(), List.of())) {
            if (signedBy(crl, itsIssuer) && crl.getRevokedCertificate(cert) != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * What one CRL says about a certificate: revoked (the result), usable and not listing it, or
     * not usable (why; {@code notFromTheCa} when it is not a CRL the CA signed for use, as opposed
     * to a stale one or one for other certificates).
     */
    private record CrlVerdict(VerificationResult revoked, boolean usable, String whyNot, boolean notFromTheCa) {
        CrlVerdict(VerificationResult revoked, boolean usable, String whyNot) {
            this(revoked, usable, whyNot, false);
        }
    }

    /**
     * Whether {@code cert}, issued by {@code issuer} on a path already built, is revoked according
     * to the sources above; with no source answering, {@code revocation-unknown} in hard-fail mode.
     */
    VerificationResult check(X509Certificate cert, X509Certificate issuer, Instant at,
            List<X509Certificate> peerCertificates, RevocationMode mode, SignerPaths signerPaths) {
        boolean known = false;
        List<String> notes = new ArrayList<>();
        SignerCandidates candidates = new SignerCandidates(cert, issuer, peerCertificates);
        for (X509CRL crl : crlsByIssuer.getOrDefault(cert.getIssuerX500Principal(), List.of())) {
            CrlVerdict v = judge(crl, cert, issuer, at, peerCertificates, signerPaths, candidates, "configured CRL");
            if (v.revoked() != null) {
                return v.revoked();
            }
            known |= v.usable();
        }
        if (!known && crlsByIssuer.containsKey(cert.getIssuerX500Principal())) {
            notes.add("the configured CRLs of " + quote(issuer) + " are not current or not usable");
        }
        if (sources.fetches()) {
            boolean ocspAnswered = false;
            for (URI responder : OcspChecks.responders(cert)) {
                RevocationSources.Fetched<OcspChecks.Answer> f = sources.await(sources.ocsp(responder, cert, issuer));
                if (f == null) {
                    notes.add("OCSP responder " + responder + ": no answer yet (asked in the background)");
                    continue;
                }
                if (!f.ok()) {
                    notes.add("OCSP responder " + responder + ": " + f.failure());
                    continue;
                }
                OcspChecks.Answer a = f.value();
                if (!a.currentAt(at)) {
                    notes.add("OCSP responder " + responder + ": the cached answer is not current at " + at);
                    continue;
                }
                if (a.status() == OcspChecks.Status.REVOKED && !a.revokedAt().isAfter(at)) {
                    return VerificationResult.failed("revoked", "certificate " + quote(cert) + " was revoked on "
                            + a.revokedAt() + (a.revocationReason() == null ? ""
                                    : " (reason: " + a.revocationReason() + ")")
                            + " according to the OCSP responder " + responder);
                }
                if (a.status() == OcspChecks.Status.UNKNOWN) {
                    notes.add("OCSP responder " + responder + ": status unknown");
                    continue;
                }
                ocspAnswered = true;
                break;
            }
            known |= ocspAnswered;
            if (!ocspAnswered) {
                for (URI url : distributionPoints(cert, notes)) {
                    RevocationSources.Fetched<X509CRL> f = sources.await(sources.crl(url));
                    if (f == null) {
                        notes.add("CRL " + url + ": not downloaded yet (fetching in the background)");
                        continue;
                    }
                    if (!f.ok()) {
                        notes.add("CRL " + url + ": " + f.failure());
                        continue;
                    }
                    CrlVerdict v = judge(f.value(), cert, issuer, at, peerCertificates, signerPaths, candidates,
                            "CRL " + url);
                    if (v.revoked() != null) {
                        return v.revoked();
                    }
                    if (v.usable()) {
                        known = true;
                        break;
                    }
                    notes.add("CRL " + url + ": " + v.whyNot());
                    if (v.notFromTheCa()) {
                        sources.distrustCrl(url, v.whyNot());
                    }
                }
            }
        }
        if (!known && mode == RevocationMode.HARD_FAIL) {
            return VerificationResult.failed("revocation-unknown", "no current CRL from " + quote(issuer)
                    + (sources.fetches() ? " and no OCSP answer" : "") + " is available to check whether "
                    + quote(cert) + " was revoked (revocation mode hard-fail)"
                    + (notes.isEmpty() ? "" : ": " + String.join("; ", notes)));
        }
        return VerificationResult.ok();
    }

    private static List<URI> distributionPoints(X509Certificate cert, List<String> notes) {
        try {
            return CrlDistributionPoints.of(cert);
        } catch (TlsConfigException e) {
            notes.add(e.getMessage());
            return List.of();
        }
    }

    /** The certificates that might have signed a CRL of the issuer's name besides the issuer, found once per check. */
    private final class SignerCandidates {
        private final X509Certificate cert;
        private final X509Certificate issuer;
        private final List<X509Certificate> peerCertificates;
        private List<X509Certificate> found;

        SignerCandidates(X509Certificate cert, X509Certificate issuer, List<X509Certificate> peerCertificates) {
            this.cert = cert;
            this.issuer = issuer;
            this.peerCertificates = peerCertificates;
        }

        List<X509Certificate> get() {
            if (found == null) {
                found = crlSignerCandidates(cert.getIssuerX500Principal(), issuer, peerCertificates);
            }
            return found;
        }
    }

    private CrlVerdict judge(X509CRL crl, X509Certificate cert, X509Certificate issuer, Instant at,
            List<X509Certificate> peerCertificates, SignerPaths signerPaths, SignerCandidates candidates,
            String source) {
        if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
            return new CrlVerdict(null, false, "issued by '" + io.gatehouse.common.x509.DotNetNames.format(
                    crl.getIssuerX500Principal()) + "', not by the certificate's issuer (indirect CRLs are not used)",
                    true);
        }
        if (crl.getNextUpdate() != null && at.isAfter(crl.getNextUpdate().toInstant())) {
            return new CrlVerdict(null, false, "stale (its nextUpdate was " + crl.getNextUpdate().toInstant() + ")");
        }
        X509Certificate signer = signedBy(crl, issuer) ? issuer : null;
        if (signer == null) {
            // a CA that rolled its key over, or signs CRLs with a separate key, keeps its name:
            // accept another certificate of that name when it chains to a trusted root itself
            for (X509Certificate candidate : candidates.get()) {
                if (signedBy(crl, candidate) && signerPaths.chainsToRoot(candidate, peerCertificates, at)) {
                    signer = candidate;
                    break;
                }
            }
        }
        if (signer == null) {
            return new CrlVerdict(null, false, "not signed by the key of " + quote(issuer)
                    + " or another trusted key of that CA", true);
        }
        if (!usableCrl(crl, signer)) {
            return new CrlVerdict(null, false, "not usable (its signer may not sign CRLs, it has no CRL number,"
                    + " it is a delta CRL or it has an unknown critical extension)");
        }
        if (!crlCovers(crl, cert)) {
            return new CrlVerdict(null, false, "its scope (issuingDistributionPoint) does not cover the certificate");
        }
        X509CRLEntry entry = crl.getRevokedCertificate(cert);
        if (entry != null && !entry.getRevocationDate().toInstant().isAfter(at)) {
            String reason = entry.getRevocationReason() == null ? ""
                    : " (reason: " + reasonWords(entry.getRevocationReason()) + ")";
            String from = source.equals("configured CRL") ? "" : " according to the " + source;
            return new CrlVerdict(VerificationResult.failed("revoked", "certificate " + quote(cert)
                    + " was revoked on " + entry.getRevocationDate().toInstant() + reason + from), true, null);
        }
        return new CrlVerdict(null, true, null);
    }

    static boolean signedBy(X509CRL crl, X509Certificate signer) {
        try {
            crl.verify(signer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private List<X509Certificate> crlSignerCandidates(X500Principal name, X509Certificate issuer,
            List<X509Certificate> peerCertificates) {
        List<X509Certificate> out = new ArrayList<>();
        for (List<X509Certificate> source : List.of(store.roots(), store.intermediates(), peerCertificates)) {
            for (X509Certificate c : source) {
                if (c != issuer && c.getSubjectX500Principal().equals(name) && !out.contains(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }


    /** Extensions a CRL may mark critical that this checker understands. */
    private static final Set<String> KNOWN_CRITICAL_CRL_EXTENSIONS = Set.of(
            "2.5.29.28", // issuingDistributionPoint
            "2.5.29.27"); // deltaCRLIndicator (delta CRLs are then not used: see below)

    /**
     * RFC 5280 5.2: a CRL counts only when its issuer may sign CRLs (keyUsage cRLSign when the
     * extension is present), it carries a non-critical CRL number, it is a complete CRL (not a
     * delta) and it has no critical extension this checker does not understand.
     */
    private static boolean usableCrl(X509CRL crl, X509Certificate issuer) {
        boolean[] ku = issuer.getKeyUsage();
        if (ku != null && (ku.length < 7 || !ku[6])) {
            return false;
        }
        if (crl.getExtensionValue("2.5.29.20") == null) {
            return false; // no cRLNumber
        }
        Set<String> critical = crl.getCriticalExtensionOIDs();
        if (critical != null) {
            if (critical.contains("2.5.29.20") || critical.contains("2.5.29.27")) {
                return false; // cRLNumber must be non-critical; delta CRLs are not supported
            }
            for (String oid : critical) {
                if (!KNOWN_CRITICAL_CRL_EXTENSIONS.contains(oid)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Whether a CRL's issuingDistributionPoint scope covers the certificate (RFC 5280 6.3.3 b):
     * user-only CRLs do not cover CAs and CA-only CRLs do not cover end entities; attribute-only,
     * partial (onlySomeReasons) and indirect CRLs are not used; a CRL for a named distribution
     * point covers only certificates that name that point in their cRLDistributionPoints.
     */
    private static boolean crlCovers(X509CRL crl, X509Certificate cert) {
        byte[] ext = crl.getExtensionValue("2.5.29.28");
        if (ext == null) {
            return true;
        }
        try {
            org.bouncycastle.asn1.x509.IssuingDistributionPoint idp =
                    org.bouncycastle.asn1.x509.IssuingDistributionPoint.getInstance(
                            org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
            boolean isCa = cert.getBasicConstraints() >= 0;
            if ((idp.onlyContainsUserCerts() && isCa) || (idp.onlyContainsCACerts() && !isCa)
                    || idp.onlyContainsAttributeCerts() || idp.getOnlySomeReasons() != null || idp.isIndirectCRL()) {
                return false;
            }
            org.bouncycastle.asn1.x509.DistributionPointName dpName = idp.getDistributionPoint();
            if (dpName == null) {
                return true;
            }
            if (dpName.getType() != org.bouncycastle.asn1.x509.DistributionPointName.FULL_NAME) {
                return false; // names relative to the issuer are not supported
            }
            Set<org.bouncycastle.asn1.x509.GeneralName> crlNames = Set.of(
                    org.bouncycastle.asn1.x509.GeneralNames.getInstance(dpName.getName()).getNames());
            byte[] cdpExt = cert.getExtensionValue("2.5.29.31");
            if (cdpExt == null) {
                return false;
            }
            org.bouncycastle.asn1.x509.CRLDistPoint cdp = org.bouncycastle.asn1.x509.CRLDistPoint.getInstance(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(cdpExt).getOctets());
            for (org.bouncycastle.asn1.x509.DistributionPoint dp : cdp.getDistributionPoints()) {
                if (dp.getCRLIssuer() != null || dp.getDistributionPoint() == null
                        || dp.getDistributionPoint().getType()
                                != org.bouncycastle.asn1.x509.DistributionPointName.FULL_NAME) {
                    continue;
                }
                for (org.bouncycastle.asn1.x509.GeneralName n : org.bouncycastle.asn1.x509.GeneralNames
                        .getInstance(dp.getDistributionPoint().getName()).getNames()) {
                    if (crlNames.contains(n)) {
                        return true;
                    }
                }
            }
            return false;
        } catch (RuntimeException e) {
            return false; // unreadable scope: do not rely on this CRL
        }
    }

    private static String reasonWords(java.security.cert.CRLReason r) {
        return switch (r) {
            case KEY_COMPROMISE -> "keyCompromise";
            case CA_COMPROMISE -> "cACompromise";
            case AFFILIATION_CHANGED -> "affiliationChanged";
            case SUPERSEDED -> "superseded";
            case CESSATION_OF_OPERATION -> "cessationOfOperation";
            case CERTIFICATE_HOLD -> "certificateHold";
            case PRIVILEGE_WITHDRAWN -> "privilegeWithdrawn";
            case AA_COMPROMISE -> "aACompromise";
            case REMOVE_FROM_CRL -> "removeFromCRL";
            case UNSPECIFIED, UNUSED -> "unspecified";
        };
    }
}
