package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x509.Certificate;
import org.junit.jupiter.api.Test;

import io.gatehouse.common.x509.DotNetNames;

/** DotNetNames on real certificates: fingerprints and serials checked against independent computations. */
class DotNetNamesCertificateTest {

    static final Pki.Issued CA = Pki.ca("CN=Contoso Root,O=Contoso,C=US", Duration.ofDays(10));

    @Test
    void thumbprintIsUpperCaseSha1OfDer() throws Exception {
        Pki.Issued leaf = Pki.issue(CA, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US"));
        String expected = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-1").digest(leaf.certificate().getEncoded())).toUpperCase();
        assertThat(DotNetNames.thumbprint(leaf.certificate())).isEqualTo(expected).hasSize(40).matches("[0-9A-F]+");
        assertThat(DotNetNames.sha256(leaf.certificate())).hasSize(64).matches("[0-9A-F]+");
        assertThat(DotNetNames.normalizeThumbprint(expected.toLowerCase().replaceAll("(..)", "$1 ")))
                .isEqualTo(DotNetNames.thumbprint(leaf.certificate()));
    }

    @Test
    void subjectAndIssuerReadAsDotNetShowsThem() {
        Pki.Issued leaf = Pki.issue(CA, Pki.IssueRequest.client("CN=clinic-app,OU=Lab,O=Contoso,ST=Washington,C=US"));
        assertThat(DotNetNames.format(leaf.certificate().getSubjectX500Principal()))
                .isEqualTo("CN=clinic-app, OU=Lab, O=Contoso, S=Washington, C=US");
        assertThat(DotNetNames.format(leaf.certificate().getIssuerX500Principal()))
                .isEqualTo("CN=Contoso Root, O=Contoso, C=US");
    }

    @Test
    void serialNumberKeepsTheDerLeadingZero() throws Exception {
        boolean sawLeadingZero = false;
        for (int i = 0; i < 40; i++) {
            Pki.Issued leaf = Pki.issue(CA, Pki.IssueRequest.client("CN=s" + i));
            ASN1Integer serial = Certificate.getInstance(leaf.certificate().getEncoded()).getSerialNumber();
            byte[] der = serial.getEncoded(); // 02 len bytes...
            String contentHex = HexFormat.of().withUpperCase().formatHex(der, 2, der.length);
            assertThat(DotNetNames.serialNumber(leaf.certificate())).isEqualTo(contentHex);
            sawLeadingZero |= contentHex.startsWith("00");
        }
        assertThat(sawLeadingZero).as("some random serial had its top bit set").isTrue();
    }

    @Test
    void inspectionShowsApimValues() {
        Pki.Issued leaf = Pki.issue(CA, Pki.IssueRequest.server("api.contoso.local", "api.contoso.local", "127.0.0.1"));
        Pki.Inspection in = Pki.inspect(leaf.certificate());
        assertThat(in.subject()).isEqualTo("CN=api.contoso.local");
        assertThat(in.issuer()).isEqualTo("CN=Contoso Root, O=Contoso, C=US");
        assertThat(in.dnsNames()).containsExactly("api.contoso.local");
        assertThat(in.ipAddresses()).containsExactly("127.0.0.1");
        assertThat(in.thumbprint()).isEqualTo(DotNetNames.thumbprint(leaf.certificate()));
        assertThat(in.extendedKeyUsages()).containsExactly("serverAuth");
        assertThat(in.toText()).contains("Thumbprint:    " + in.thumbprint()).contains("Subject:       CN=api.contoso.local");
    }
}
