package io.gatehouse.tls;

import static io.gatehouse.tls.ChainVerifier.quote;

import java.net.IDN;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.DSAKey;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraintValidatorException;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.PKIXNameConstraintValidator;

/**
 * The checks {@link ChainVerifier} runs on one candidate path (leaf first, trusted root apart).
 * RFC 5280 section 6 path validation (signatures, name chaining, basic constraints and path length,
 * key usage of CA certificates, unknown critical extensions, certificate policies and intermediate
 * name constraints) is BouncyCastle's PKIX {@link CertPathValidator}, used through an explicit
 * provider instance (BouncyCastle is not registered as a JCA provider, so TLS and everything else
 * keep the JDK's providers). Around it, rules that validator does not enforce and that browsers, Go,
 * pyca/cryptography and webpki do:
 * <ul>
 * <li>the trusted root's own validity, basic constraints (a CA certificate), critical extensions and
 * name constraints;</li>
 * <li>no CA certificate (basicConstraints cA) and no keyCertSign key usage in the leaf, and no name
 * constraints in it;</li>
 * <li>the RFC 5280 profile rules that decide how a certificate is read: key identifiers not
 * critical, a well-formed Authority Information Access,
 * no DNS name constraint with a leading period, and a root's key usage allowing keyCertSign;</li>
 * <li>no SHA-1, MD5 or MD2 signature on any certificate but the trust anchor, no DSA key, no RSA key
 * under 2048 bits (or not a whole number of bytes) and no elliptic curve under 256 bits;</li>
 * <li>name constraints of every CA on the path (the root's included) applied to every certificate's
 * subject and SANs read from their bytes by BouncyCastle, with wildcard DNS SANs that could match an
 * excluded name refused (CVE-2025-61727), malformed SANs refused under constraints, empty
 * NameConstraints refused, and a bound on names times constraints against denial of service;</li>
 * <li>the purpose: an intermediate whose extended key usage leaves out the leaf's purpose refuses
 * the path (as browsers, Go and pyca do), then the leaf's own extended key usage.</li>
 * </ul>
 * The JDK's CertPathValidator and CertPathBuilder are not used: their name-constraint check adds a
 * leaf's subject CN to the certificate object's cached SAN list (and the JDK hands out the same
 * object for the same bytes), so later readers of the SANs saw the CN as a SAN; and a SAN the JDK
 * cannot parse skipped its name-constraint check.
 */
final class PathChecks {

    /** Most (name, constraint) comparisons per path; pyca/cryptography's budget is of the same order. */
    static final int MAX_NAME_CONSTRAINT_CHECKS = 1 << 16;

    private static final Set<String> WEAK_SIGNATURES = Set.of(
            "1.2.840.113549.1.1.2", // md2WithRSAEncryption
            "1.2.840.113549.1.1.4", // md5WithRSAEncryption
            "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
            "1.3.14.3.2.29", // sha1WithRSA (OIW)
            "1.2.840.10040.4.3", // dsa-with-sha1
            "1.2.840.10045.4.1"); // ecdsa-with-SHA1

    /** Extensions a trust anchor may mark critical: the ones path validation understands. */
    private static final Set<String> KNOWN_ANCHOR_EXTENSIONS = Set.of("2.5.29.15", "2.5.29.19", "2.5.29.30",
            "2.5.29.32", "2.5.29.33", "2.5.29.36", "2.5.29.37", "2.5.29.54", "2.5.29.17", "2.5.29.14", "2.5.29.35");

    private static final String ANY_EKU = "2.5.29.37.0";

    /**
     * What {@link #pkix} returns when a signature on the path does not verify: the candidate was
     * an issuer by name only. ChainVerifier then explains the chain link by link.
     */
    static final VerificationResult SIGNATURE = VerificationResult.failed("chain", "a signature on the path does not verify");

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private PathChecks() {
    }

    /** The trusted root's own checks: dates, a CA certificate, no unknown critical extension, key strength. */
    static VerificationResult anchor(X509Certificate anchor, Instant at) {
        VerificationResult dates = ChainVerifier.checkDates(anchor, at, "trusted CA certificate");
        if (!dates.valid()) {
            return dates;
        }
        if (anchor.getBasicConstraints() < 0) {
            return VerificationResult.failed("chain", "the trusted certificate " + quote(anchor)
                    + " is not a CA certificate (no basicConstraints with cA), so it cannot vouch for others");
        }
        Set<String> critical = anchor.getCriticalExtensionOIDs();
        if (critical != null) {
            for (String oid : critical) {
                if (!KNOWN_ANCHOR_EXTENSIONS.contains(oid)) {
                    return VerificationResult.failed("chain", "the trusted CA certificate " + quote(anchor)
                            + " has a critical extension " + oid + " that path validation does not know");
                }
            }
        }
        boolean[] ku = anchor.getKeyUsage();
        if (ku != null && (ku.length < 6 || !ku[5])) {
            return VerificationResult.failed("chain", "the trusted CA certificate " + quote(anchor)
                    + " has a key usage that does not allow signing certificates (keyCertSign)");
        }
        VerificationResult p = profile(anchor, "the trusted CA certificate");
        return p.valid() ? key(anchor, "trusted CA certificate") : p;
    }

    /** The leaf's own rules: not a CA certificate, no keyCertSign, no name constraints, known signature and key. */
    static VerificationResult leaf(X509Certificate leaf) {
        if (leaf.getBasicConstraints() >= 0) {
            return VerificationResult.failed("not-end-entity", "certificate " + quote(leaf)
                    + " is a CA certificate (basicConstraints cA), not an end-entity certificate");
        }
        boolean[] ku = leaf.getKeyUsage();
        if (ku != null && ku.length > 5 && ku[5]) {
            return VerificationResult.failed("not-end-entity", "certificate " + quote(leaf)
                    + " may sign certificates (key usage keyCertSign) but is not a CA certificate");
        }
        if (leaf.getExtensionValue("2.5.29.30") != null) {
            return VerificationResult.failed("not-end-entity", "certificate " + quote(leaf)
                    + " carries name constraints, which only CA certificates may (RFC 5280 4.2.1.10)");
        }
        return VerificationResult.ok();
    }

    /**
     * RFC 5280 profile rules that decide how a certificate may be read: authority and subject key
     * identifiers are never critical (4.2.1.1, 4.2.1.2); an Authority Information Access extension
     * holds at least one access description (4.2.2.1). Non-critical name and policy constraints in
     * CA certificates are accepted (RFC 5280 wants them critical, but NIST PKITS and webpki accept
     * them, and private CAs mark name constraints non-critical for old clients).
     */
    static VerificationResult profile(X509Certificate c, String what) {
        Set<String> critical = c.getCriticalExtensionOIDs() == null ? Set.of() : c.getCriticalExtensionOIDs();
        String problem = null;
        if (critical.contains("2.5.29.35") || critical.contains("2.5.29.14")) {
            problem = "a critical key identifier extension (RFC 5280 4.2.1.1 and 4.2.1.2 forbid it)";
        } else {
            byte[] aia = c.getExtensionValue("1.3.6.1.5.5.7.1.1");
            if (aia != null) {
                try {
                    if (AuthorityInformationAccess.getInstance(ASN1OctetString.getInstance(aia).getOctets())
                            .getAccessDescriptions().length == 0) {
                        problem = "an empty Authority Information Access extension";
                    }
                } catch (RuntimeException e) {
                    problem = "a malformed Authority Information Access extension";
                }
            }
        }
        return problem == null ? VerificationResult.ok()
                : VerificationResult.failed("chain", what + " " + quote(c) + " has " + problem);
    }

    /** Signature algorithm (not for trust anchors) and key of a certificate on the path. */
    static VerificationResult crypto(X509Certificate c, String what) {
        if (WEAK_SIGNATURES.contains(c.getSigAlgOID())) {
            return VerificationResult.failed("weak-crypto", what + " " + quote(c) + " is signed with "
                    + c.getSigAlgName() + ", a broken hash (SHA-1 or older) that is refused");
        }
        return key(c, what);
    }

    private static VerificationResult key(X509Certificate c, String what) {
        PublicKey key = c.getPublicKey();
        String problem = null;
        if (key instanceof RSAKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < 2048 || bits % 8 != 0) {
                problem = "an RSA key of " + bits + " bits (at least 2048, a whole number of bytes, are required)";
            }
        } else if (key instanceof DSAKey || "DSA".equals(key.getAlgorithm())) {
            problem = "a DSA key (DSA is refused)";
        } else if (key instanceof ECKey ec && ec.getParams() != null
                && ec.getParams().getCurve().getField().getFieldSize() < 256) {
            problem = "an elliptic-curve key of " + ec.getParams().getCurve().getField().getFieldSize()
                    + " bits (at least 256 are required)";
        }
        return problem == null ? VerificationResult.ok()
                : VerificationResult.failed("weak-crypto", what + " " + quote(c) + " has " + problem);
    }

    /** RFC 5280 section 6 validation of the path by BouncyCastle, with the policy inputs of 6.1.1 (c) to (f). */
    static VerificationResult pkix(List<X509Certificate> path, TrustAnchor anchor, Instant at,
            ChainVerifier.PolicyInputs policy) {
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setRevocationEnabled(false); // revocation is CrlChecks', per mode
            params.setDate(Date.from(at));
            if (!policy.initialPolicies().isEmpty()) {
                params.setInitialPolicies(policy.initialPolicies());
            }
            params.setExplicitPolicyRequired(policy.explicitPolicyRequired());
            params.setPolicyMappingInhibited(policy.policyMappingInhibited());
            params.setAnyPolicyInhibited(policy.anyPolicyInhibited());
            CertPathValidator.getInstance("PKIX", Bc.PROVIDER).validate(certPath, params);
            return VerificationResult.ok();
        } catch (CertPathValidatorException e) {
            if (signatureFailure(e)) {
                return SIGNATURE;
            }
            int index = e.getIndex();
            String where = index >= 0 && index < path.size()
                    ? (index == 0 ? "" : "at CA certificate " + quote(path.get(index)) + ": ") : "";
            return VerificationResult.failed("chain", "the path from " + quote(path.get(0)) + " to the trusted CA "
                    + quote(anchor.getTrustedCert()) + " is not valid: " + where + words(e));
        } catch (CertificateException | InvalidAlgorithmParameterException | RuntimeException e) {
            return VerificationResult.failed("chain", "the path from " + quote(path.get(0))
                    + " could not be checked: " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("BouncyCastle's PKIX validator is not available", e);
        }
    }

    /** BouncyCastle's words for a signature that does not verify, with the anchor's key or a CA's. */
    private static boolean signatureFailure(CertPathValidatorException e) {
        if (e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("TrustAnchor found but certificate validation failed")
                    || m.contains("Could not validate certificate signature") || t instanceof java.security.SignatureException) {
                return true;
            }
        }
        return false;
    }

    private static String words(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t.getMessage() != null && message == null) {
                message = t.getMessage();
            }
        }
        return message == null ? "no valid path" : message;
    }

    /**
     * Name constraints of every CA on the path, the trust anchor's included, applied from the top
     * down to each later certificate's subject and SANs (self-issued intermediates excepted, RFC 5280
     * 6.1.3 (b)), all read from the certificates' bytes.
     */
    static VerificationResult nameConstraints(List<X509Certificate> path, X509Certificate anchor) {
        List<X509Certificate> top = new ArrayList<>(path.reversed());
        top.add(0, anchor);
        PKIXNameConstraintValidator validator = new PKIXNameConstraintValidator();
        List<GeneralSubtree> excluded = new ArrayList<>();
        int subtrees = 0;
        int checks = 0;
        boolean constrained = false;
        try {
            for (int i = 0; i < top.size(); i++) {
                X509Certificate c = top.get(i);
                boolean isLeaf = i == top.size() - 1;
                if (i > 0 && constrained && (isLeaf || !selfIssued(c))) {
                    List<GeneralName> names = names(c);
                    checks += names.size() * Math.max(1, subtrees);
                    if (checks > MAX_NAME_CONSTRAINT_CHECKS) {
                        return VerificationResult.failed("chain", "the chain of " + quote(path.get(0))
                                + " has too many names and name constraints to check (more than "
                                + MAX_NAME_CONSTRAINT_CHECKS + " comparisons)");
                    }
                    for (GeneralName name : names) {
                        VerificationResult syntax = wellFormed(name, c);
                        if (!syntax.valid()) {
                            return syntax;
                        }
                        validator.checkPermitted(name);
                        validator.checkExcluded(name);
                        if (name.getTagNo() == GeneralName.dNSName) {
                            VerificationResult w = wildcardAgainstExcluded(name, excluded, c);
                            if (!w.valid()) {
                                return w;
                            }
                        }
                    }
                }
                if (isLeaf) {
                    break;
                }
                byte[] ext = c.getExtensionValue("2.5.29.30");
                if (ext == null) {
                    continue;
                }
                NameConstraints nc = NameConstraints.getInstance(ASN1OctetString.getInstance(ext).getOctets());
                GeneralSubtree[] permitted = nc.getPermittedSubtrees();
                GeneralSubtree[] excludedHere = nc.getExcludedSubtrees();
                if ((permitted == null || permitted.length == 0) && (excludedHere == null || excludedHere.length == 0)) {
                    return VerificationResult.failed("chain", "CA certificate " + quote(c)
                            + " has an empty NameConstraints extension (RFC 5280 4.2.1.10 forbids it)");
                }
                for (GeneralSubtree[] list : new GeneralSubtree[][] {permitted, excludedHere}) {
                    for (GeneralSubtree sub : list == null ? new GeneralSubtree[0] : list) {
                        if (sub.getBase().getTagNo() == GeneralName.dNSName
                                && ASN1IA5String.getInstance(sub.getBase().getName()).getString().startsWith(".")) {
                            return VerificationResult.failed("chain", "CA certificate " + quote(c)
                                    + " has a DNS name constraint with a leading period, which RFC 5280 4.2.1.10"
                                    + " does not allow (only URI and email constraints take one)");
                        }
                    }
                }
                constrained = true;
                if (permitted != null) {
                    validator.intersectPermittedSubtree(permitted);
                    subtrees += permitted.length;
                }
                if (excludedHere != null) {
                    for (GeneralSubtree s : excludedHere) {
                        validator.addExcludedSubtree(s);
                        excluded.add(s);
                    }
                    subtrees += excludedHere.length;
                }
            }
            return VerificationResult.ok();
        } catch (NameConstraintValidatorException e) {
            return VerificationResult.failed("name-constraints", "a name in the chain of " + quote(path.get(0))
                    + " is outside the names its CAs may vouch for (name constraints: " + e.getMessage() + ")");
        } catch (RuntimeException e) {
            return VerificationResult.failed("name-constraints", "the names or name constraints in the chain of "
                    + quote(path.get(0)) + " are unreadable");
        }
    }

    private static boolean selfIssued(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
    }

    /** The subject (when not empty) and the SANs, parsed by BouncyCastle from the certificate's bytes. */
    private static List<GeneralName> names(X509Certificate c) {
        List<GeneralName> names = new ArrayList<>();
        X500Name subject = X500Name.getInstance(c.getSubjectX500Principal().getEncoded());
        if (subject.getRDNs().length > 0) {
            names.add(new GeneralName(subject));
        }
        byte[] san = c.getExtensionValue("2.5.29.17");
        if (san != null) {
            names.addAll(List.of(GeneralNames.getInstance(ASN1OctetString.getInstance(san).getOctets()).getNames()));
        }
        return names;
    }

    /** A SAN that name constraints cannot be judged against is refused rather than let through. */
    private static VerificationResult wellFormed(GeneralName name, X509Certificate c) {
        String problem = null;
        switch (name.getTagNo()) {
            case GeneralName.dNSName -> {
                String dns = ASN1IA5String.getInstance(name.getName()).getString();
                if (!validDnsName(dns)) {
                    problem = "DNS name '" + dns + "'";
                }
            }
            case GeneralName.iPAddress -> {
                int length = ASN1OctetString.getInstance(name.getName()).getOctets().length;
                if (length != 4 && length != 16) {
                    problem = "IP address of " + length + " bytes";
                }
            }
            case GeneralName.rfc822Name -> {
                String mail = ASN1IA5String.getInstance(name.getName()).getString();
                int at = mail.lastIndexOf('@');
                if (at <= 0 || mail.indexOf('@') != at || !validDnsName(mail.substring(at + 1))) {
                    problem = "email address '" + mail + "'";
                }
            }
            default -> {
                // other name forms are compared as they are
            }
        }
        return problem == null ? VerificationResult.ok() : VerificationResult.failed("name-constraints", "certificate "
                + quote(c) + " has a malformed " + problem + " under name constraints");
    }

    private static boolean validDnsName(String dns) {
        String d = dns.toLowerCase(Locale.ROOT);
        if (d.startsWith("*.")) {
            d = d.substring(2);
        }
        if (d.isEmpty() || d.length() > 253 || !d.equals(IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT))) {
            return false;
        }
        for (String label : d.split("\\.", -1)) {
            if (!DNS_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /**
     * A wildcard DNS SAN {@code *.D} matches every {@code x.D}; when an excluded subtree is itself
     * such a name, the wildcard covers an excluded name even though its text is not under it
     * (CVE-2025-61727).
     */
    private static VerificationResult wildcardAgainstExcluded(GeneralName name, List<GeneralSubtree> excluded,
            X509Certificate c) {
        String dns = ASN1IA5String.getInstance(name.getName()).getString().toLowerCase(Locale.ROOT);
        if (!dns.startsWith("*.")) {
            return VerificationResult.ok();
        }
        String domain = dns.substring(2);
        for (GeneralSubtree s : excluded) {
            if (s.getBase().getTagNo() != GeneralName.dNSName) {
                continue;
            }
            String e = ASN1IA5String.getInstance(s.getBase().getName()).getString().toLowerCase(Locale.ROOT);
            if (e.startsWith(".")) {
                e = e.substring(1);
            }
            int dot = e.indexOf('.');
            if (e.equals(domain) || (dot > 0 && e.substring(dot + 1).equals(domain))) {
                return VerificationResult.failed("name-constraints", "certificate " + quote(c) + " has the wildcard name '"
                        + dns + "', which covers the excluded name '" + e + "'");
            }
        }
        return VerificationResult.ok();
    }

    /**
     * Whether the CA certificates on the path may issue for the purpose: the EKU of every CA certificate below the root
     * that has one must allow it (or any purpose). The leaf's own EKU is ChainVerifier's check.
     */
    static VerificationResult intermediatePurposes(List<X509Certificate> path, String purposeOid, String words) {
        if (purposeOid == null) {
            return VerificationResult.ok();
        }
        for (int i = 1; i < path.size(); i++) {
            X509Certificate c = path.get(i);
            List<String> ekus;
            try {
                ekus = c.getExtendedKeyUsage();
            } catch (java.security.cert.CertificateParsingException e) {
                return VerificationResult.failed("purpose", "the extended key usage of CA certificate " + quote(c)
                        + " is unreadable");
            }
            if (ekus != null && !ekus.contains(purposeOid) && !ekus.contains(ANY_EKU)) {
                return VerificationResult.failed("purpose", "CA certificate " + quote(c)
                        + " may only issue certificates for " + ChainVerifier.ekuWords(ekus) + ", not for " + words);
            }
        }
        return VerificationResult.ok();
    }
}
