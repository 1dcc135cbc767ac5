package io.gatehouse.expr;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;

/** Test PKI made in code: a CA-signed client certificate with chosen names and validity. */
final class TestCerts {
    private static final KeyPair CA_KEYS = keys();
    private static final KeyPair LEAF_KEYS = keys();

    private TestCerts() {
    }

    private static KeyPair keys() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate for {@code subject} issued by {@code issuer} (BouncyCastle X.500 syntax, most significant first). */
    static X509Certificate issue(String subject, String issuer, BigInteger serial, Instant notBefore, Instant notAfter,
            String... dnsNames) {
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), serial,
                    Date.from(notBefore), Date.from(notAfter), new X500Name(subject), LEAF_KEYS.getPublic());
            if (dnsNames.length > 0) {
                GeneralName[] names = new GeneralName[dnsNames.length];
                for (int i = 0; i < dnsNames.length; i++) {
                    names[i] = dnsNames[i].startsWith("mailto:")
                            ? new GeneralName(GeneralName.rfc822Name, dnsNames[i].substring(7))
                            : dnsNames[i].startsWith("https://") ? new GeneralName(GeneralName.uniformResourceIdentifier, dnsNames[i])
                            : new GeneralName(GeneralName.dNSName, dnsNames[i]);
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA_KEYS.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
