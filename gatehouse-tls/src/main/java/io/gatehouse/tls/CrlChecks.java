package io.gatehouse.tls;

import static io.gatehouse.tls.ChainVerifier.quote;

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
 * Revocation by CRL for {@link ChainVerifier}: which of a store's CRLs may be relied on for a
 * certificate (signer allowed to sign CRLs, within the CRL's issuingDistributionPoint scope, a
 * complete CRL with a CRL number, current at the time of the check) and whether one of them
 * revokes it. Immutable; built once per {@link CaStore}.
 */
final class CrlChecks {

    /** Whether a certificate that signed a CRL in place of the issuer has a trusted path itself. */
    @FunctionalInterface
    interface SignerPaths {
        boolean chainsToRoot(X509Certificate signer, List<X509Certificate> peerCertificates, Instant at);
    }

    private final CaStore store;
    private final Map<X500Principal, List<X509CRL>> crlsByIssuer;

    CrlChecks(CaStore store) {
        this.store = store;
        Map<X500Principal, List<X509CRL>> byIssuer = new HashMap<>();
        for (X509CRL crl : store.crls()) {
            byIssuer.computeIfAbsent(crl.getIssuerX500Principal(), k -> new ArrayList<>()).add(crl);
        }
        byIssuer.replaceAll((k, v) -> List.copyOf(v));
        this.crlsByIssuer = Map.copyOf(byIssuer);
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
     * Whether {@code cert}, issued by {@code issuer} on a path already built, is revoked according
     * to this store's CRLs; with no usable CRL, {@code revocation-unknown} in hard-fail mode.
     */
    VerificationResult check(X509Certificate cert, X509Certificate issuer, Instant at,
            List<X509Certificate> peerCertificates, RevocationMode mode, SignerPaths signerPaths) {
        List<X509CRL> crls = crlsByIssuer.getOrDefault(cert.getIssuerX500Principal(), List.of());
        boolean usable = false;
        List<X509Certificate> otherSigners = null;
        for (X509CRL crl : crls) {
            if (crl.getNextUpdate() != null && at.isAfter(crl.getNextUpdate().toInstant())) {
                continue; // stale
            }
            X509Certificate signer = signedBy(crl, issuer) ? issuer : null;
            if (signer == null) {
                // a CA that rolled its key over, or signs CRLs with a separate key, keeps its name:
                // accept another certificate of that name when it chains to a trusted root itself
                if (otherSigners == null) {
                    otherSigners = crlSignerCandidates(cert.getIssuerX500Principal(), issuer, peerCertificates);
                }
                for (X509Certificate candidate : otherSigners) {
                    if (signedBy(crl, candidate) && signerPaths.chainsToRoot(candidate, peerCertificates, at)) {
                        signer = candidate;
                        break;
                    }
                }
            }
            if (signer == null || !usableCrl(crl, signer) || !crlCovers(crl, cert)) {
                continue;
            }
            usable = true;
            X509CRLEntry entry = crl.getRevokedCertificate(cert);
            if (entry != null && !entry.getRevocationDate().toInstant().isAfter(at)) {
                String reason = entry.getRevocationReason() == null ? ""
                        : " (reason: " + reasonWords(entry.getRevocationReason()) + ")";
                return VerificationResult.failed("revoked", "certificate " + quote(cert) + " was revoked on "
                        + entry.getRevocationDate().toInstant() + reason);
            }
        }
        if (!usable && mode == RevocationMode.HARD_FAIL) {
            return VerificationResult.failed("revocation-unknown", "no current CRL from "
                    + quote(issuer) + " is available to check whether " + quote(cert)
                    + " was revoked (revocation mode hard-fail)");
        }
        return VerificationResult.ok();
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
