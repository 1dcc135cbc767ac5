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
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;

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
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.ChainVerifier.Purpose;
import io.gatehouse.tls.HostnameMatcher;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/**
 * Validation must not change what a certificate object says about itself. The JDK's PKIX
 * name-constraint check added a leaf's subject CN to the certificate's own SAN list when the leaf
 * had SANs but no DNS or IP one; the JDK's CertificateFactory hands out the same object for the same
 * bytes, so a policy reading the SANs after a handshake (validate-client-certificate, the
 * client-certificate headers, context.Request.Certificate) saw the CN as a DNS SAN. ChainVerifier no
 * longer runs the JDK's validator; this proves the SANs read after a verification are the real ones.
 */
class SubjectAltNamesUntouchedTest {

    @Test
    void sansReadAfterVerificationAreOnlyTheCertificatesOwn() throws Exception {
        Instant now = Instant.now();
        KeyPair rootKey = ecKey();
        KeyPair caKey = ecKey();
        KeyPair leafKey = ecKey();
        X509Certificate root = sign(builder("CN=SAN Test Root", "CN=SAN Test Root", rootKey, now)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)),
                rootKey);
        NameConstraints constraints = new NameConstraints(
                new GeneralSubtree[] {new GeneralSubtree(new GeneralName(GeneralName.dNSName, "contoso.local"))}, null);
        X509Certificate ca = sign(builder("CN=SAN Test Root", "CN=SAN Test Issuing CA", caKey, now)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.nameConstraints, true, constraints), rootKey);
        X509Certificate leaf = sign(builder("CN=SAN Test Issuing CA", "CN=app.contoso.local", leafKey, now)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.rfc822Name, "ops@contoso.local"))), caKey);

        // what a handshake hands over: certificates parsed from their bytes by the JDK's factory
        X509Certificate peerLeaf = parse(leaf.getEncoded());
        X509Certificate peerCa = parse(ca.getEncoded());
        ChainVerifier verifier = new ChainVerifier(CaStore.of(List.of(root), List.of(), List.of()), RevocationMode.OFF);

        VerificationResult r = verifier.verify(List.of(peerLeaf, peerCa), Purpose.CLIENT_AUTH, now);
        assertThat(r).isEqualTo(VerificationResult.ok());

        List<List<?>> expected = List.of(List.of(1, "ops@contoso.local"));
        assertThat(sans(peerLeaf)).as("SANs of the verified object").isEqualTo(expected);
        assertThat(sans(parse(leaf.getEncoded()))).as("SANs of the same bytes parsed again").isEqualTo(expected);
        assertThat(HostnameMatcher.names(peerLeaf)).as("DNS and IP names").isEmpty();
        assertThat(HostnameMatcher.matches(peerLeaf, "app.contoso.local")).isFalse();

        // and a second verification of the same objects sees the same names
        assertThat(verifier.verify(List.of(peerLeaf, peerCa), Purpose.CLIENT_AUTH, now).valid()).isTrue();
        assertThat(sans(peerLeaf)).isEqualTo(expected);
    }

    private static List<List<?>> sans(X509Certificate c) throws Exception {
        Collection<List<?>> names = c.getSubjectAlternativeNames();
        return names == null ? List.of() : new ArrayList<>(names);
    }

    private static X509Certificate parse(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static JcaX509v3CertificateBuilder builder(String issuer, String subject, KeyPair subjectKey, Instant now) {
        return new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli() ^ subject.hashCode())
                .abs().add(BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))),
                new X500Name(subject), subjectKey.getPublic());
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder b, KeyPair issuerKey) throws Exception {
        byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())).getEncoded();
        return parse(der);
    }
}
