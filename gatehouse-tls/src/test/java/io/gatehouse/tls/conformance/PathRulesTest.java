package io.gatehouse.tls.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.ChainVerifier.Purpose;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/**
 * The rules ChainVerifier adds on top of RFC 5280 path validation, each on a chain made here: the
 * path search going back past an EKU-restricted or expired cross-certificate, and the refusals
 * (CA or keyCertSign leaf, SHA-1 signature, weak RSA key, root without basicConstraints, wildcard
 * SAN covering an excluded name). x509-limbo covers them too; these name the failed check and reason.
 */
class PathRulesTest {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
    private static Instant now;
    private static KeyPair rootKey;
    private static X509Certificate root;
    private static KeyPair caKey;

    @BeforeAll
    static void pki() throws Exception {
        now = Instant.now();
        rootKey = ec();
        caKey = ec();
        root = sign(builder("CN=Rules Root", "CN=Rules Root", rootKey, now).addExtension(Extension.basicConstraints,
                true, new BasicConstraints(true)).addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)), rootKey, "SHA256withECDSA");
    }

    private static ChainVerifier verifier() {
        return new ChainVerifier(CaStore.of(List.of(root), List.of(), List.of()), RevocationMode.OFF);
    }

    /** The issuing CA (same name and key each time), with extensions of the caller's choice. */
    private static X509Certificate ca(UnaryOperator<X509v3CertificateBuilder> extra, Instant notAfter) throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=Rules Root"),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofDays(1))),
                Date.from(notAfter), new X500Name("CN=Rules Issuing CA"), caKey.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return sign(extra.apply(b), rootKey, "SHA256withECDSA");
    }

    private static X509Certificate leaf(KeyPair key, String algorithm, UnaryOperator<X509v3CertificateBuilder> extra)
            throws Exception {
        X509v3CertificateBuilder b = builder("CN=Rules Issuing CA", "CN=rules-app", key, now)
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return sign(extra.apply(b), caKey, algorithm);
    }

    private static X509Certificate leaf(UnaryOperator<X509v3CertificateBuilder> extra) throws Exception {
        return leaf(ec(), "SHA256withECDSA", extra);
    }

    @Test
    void goesBackPastAnIntermediateRestrictedToAnotherPurpose() throws Exception {
        X509Certificate serverOnly = ca(b -> ext(b, Extension.extendedKeyUsage,
                new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth)), now.plus(Duration.ofDays(10)));
        X509Certificate unrestricted = ca(b -> b, now.plus(Duration.ofDays(10)));
        X509Certificate leaf = leaf(b -> ext(b, Extension.keyUsage, new KeyUsage(KeyUsage.digitalSignature)));

        assertThat(verifier().verify(List.of(leaf, serverOnly, unrestricted), Purpose.CLIENT_AUTH, now))
                .isEqualTo(VerificationResult.ok());
        assertThat(verifier().verify(List.of(leaf, unrestricted, serverOnly), Purpose.CLIENT_AUTH, now))
                .isEqualTo(VerificationResult.ok());
        VerificationResult only = verifier().verify(List.of(leaf, serverOnly), Purpose.CLIENT_AUTH, now);
        assertThat(only.failedCheck()).isEqualTo("purpose");
        assertThat(only.reason()).isEqualTo("CA certificate 'CN=Rules Issuing CA' may only issue certificates for"
                + " server authentication, not for client authentication");
    }

    @Test
    void goesBackPastAnExpiredCrossCertificate() throws Exception {
        X509Certificate expired = ca(b -> b, now.minus(Duration.ofHours(1)));
        X509Certificate current = ca(b -> b, now.plus(Duration.ofDays(10)));
        X509Certificate leaf = leaf(b -> b);
        assertThat(verifier().verify(List.of(leaf, expired, current), Purpose.CLIENT_AUTH, now).valid()).isTrue();
        VerificationResult only = verifier().verify(List.of(leaf, expired), Purpose.CLIENT_AUTH, now);
        assertThat(only.failedCheck()).isEqualTo("expired");
        assertThat(only.reason()).startsWith("CA certificate 'CN=Rules Issuing CA' expired on");
    }

    @Test
    void refusesLeavesThatCouldSignCertificates() throws Exception {
        X509Certificate ca = ca(b -> b, now.plus(Duration.ofDays(10)));
        VerificationResult caLeaf = verifier().verify(List.of(leaf(b -> ext(b, Extension.basicConstraints,
                new BasicConstraints(true))), ca), Purpose.CLIENT_AUTH, now);
        assertThat(caLeaf.failedCheck()).isEqualTo("not-end-entity");
        assertThat(caLeaf.reason()).isEqualTo("certificate 'CN=rules-app' is a CA certificate (basicConstraints cA),"
                + " not an end-entity certificate");
        VerificationResult keyCertSign = verifier().verify(List.of(leaf(b -> ext(b, Extension.keyUsage,
                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign))), ca), Purpose.CLIENT_AUTH, now);
        assertThat(keyCertSign.reason()).contains("keyCertSign");
        assertThat(keyCertSign.failedCheck()).isEqualTo("not-end-entity");
    }

    @Test
    void refusesSha1SignaturesAndWeakRsaKeys() throws Exception {
        X509Certificate ca = ca(b -> b, now.plus(Duration.ofDays(10)));
        VerificationResult sha1 = verifier().verify(List.of(leaf(ec(), "SHA1withECDSA", b -> b), ca),
                Purpose.CLIENT_AUTH, now);
        assertThat(sha1.failedCheck()).isEqualTo("weak-crypto");
        assertThat(sha1.reason()).contains("is signed with SHA1withECDSA");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        VerificationResult weak = verifier().verify(List.of(leaf(rsa.generateKeyPair(), "SHA256withECDSA", b -> b), ca),
                Purpose.CLIENT_AUTH, now);
        assertThat(weak.reason()).contains("has an RSA key of 1024 bits");
        assertThat(weak.failedCheck()).isEqualTo("weak-crypto");
        rsa.initialize(2048);
        assertThat(verifier().verify(List.of(leaf(rsa.generateKeyPair(), "SHA256withECDSA", b -> b), ca),
                Purpose.CLIENT_AUTH, now).valid()).isTrue();
    }

    @Test
    void refusesWildcardSanCoveringAnExcludedName() throws Exception {
        NameConstraints excluded = new NameConstraints(null, new GeneralSubtree[] {
            new GeneralSubtree(new GeneralName(GeneralName.dNSName, "admin.contoso.local"))});
        X509Certificate ca = ca(b -> ext(b, Extension.nameConstraints, excluded), now.plus(Duration.ofDays(10)));
        VerificationResult wildcard = verifier().verify(List.of(leaf(b -> ext(b, Extension.subjectAlternativeName,
                new GeneralNames(new GeneralName(GeneralName.dNSName, "*.contoso.local")))), ca), Purpose.CLIENT_AUTH, now);
        assertThat(wildcard.failedCheck()).isEqualTo("name-constraints");
        assertThat(wildcard.reason()).contains("covers the excluded name 'admin.contoso.local'");
        assertThat(verifier().verify(List.of(leaf(b -> ext(b, Extension.subjectAlternativeName,
                new GeneralNames(new GeneralName(GeneralName.dNSName, "app.contoso.local")))), ca), Purpose.CLIENT_AUTH,
                now).valid()).isTrue();
    }

    @Test
    void refusesRootsThatAreNotCaCertificates() throws Exception {
        KeyPair key = ec();
        X509Certificate notCa = sign(builder("CN=Plain Root", "CN=Plain Root", key, now), key, "SHA256withECDSA");
        X509Certificate leaf = sign(builder("CN=Plain Root", "CN=plain-app", ec(), now), key, "SHA256withECDSA");
        VerificationResult r = new ChainVerifier(CaStore.of(List.of(notCa), List.of(), List.of()), RevocationMode.OFF)
                .verify(List.of(leaf), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).isEqualTo("the trusted certificate 'CN=Plain Root' is not a CA certificate (no"
                + " basicConstraints with cA), so it cannot vouch for others");
    }

    private static X509v3CertificateBuilder ext(X509v3CertificateBuilder b, org.bouncycastle.asn1.ASN1ObjectIdentifier oid,
            org.bouncycastle.asn1.ASN1Encodable value) {
        try {
            if (b.hasExtension(oid)) {
                b.replaceExtension(oid, oid.equals(Extension.basicConstraints) || oid.equals(Extension.keyUsage)
                        || oid.equals(Extension.nameConstraints), value);
            } else {
                b.addExtension(oid, oid.equals(Extension.basicConstraints) || oid.equals(Extension.keyUsage)
                        || oid.equals(Extension.nameConstraints), value);
            }
            return b;
        } catch (org.bouncycastle.cert.CertIOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(String issuer, String subject, KeyPair subjectKey, Instant at) {
        return new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(at.minus(Duration.ofHours(1))), Date.from(at.plus(Duration.ofDays(2))), new X500Name(subject),
                subjectKey.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair issuerKey, String algorithm) throws Exception {
        byte[] der = b.build(new JcaContentSignerBuilder(algorithm).build(issuerKey.getPrivate())).getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }
}
