package io.gatehouse.expr;

import io.gatehouse.expr.context.X509Certificate2;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** X509Certificate2 members print exactly as .NET prints them. */
class CertificateFormatTest {
    private static X509Certificate2 cert(String subject, BigInteger serial) {
        return new X509Certificate2(TestCerts.issue(subject, "C=US, O=YourOrg, CN=YourCA", serial,
                Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2027-01-01T00:00:00Z")), List.of(), null);
    }

    @Test
    void subjectUsesReversedOrderAndDotNetAttributeNames() {
        X509Certificate2 c = cert("C=US, ST=Washington, L=Redmond, O=Contoso, OU=Lab, CN=clinic-app, E=ops@contoso.com",
                BigInteger.ONE);
        assertThat(c.subject()).isEqualTo("E=ops@contoso.com, CN=clinic-app, OU=Lab, O=Contoso, L=Redmond, S=Washington, C=US");
    }

    @Test
    void quotesValuesWithSpecialCharactersLikeDotNet() {
        X509Certificate2 c = cert("C=US, O=Contoso\\, Inc., CN=a\\+b", BigInteger.ONE);
        assertThat(c.subject()).isEqualTo("CN=\"a+b\", O=\"Contoso, Inc.\", C=US");
    }

    @Test
    void doublesEmbeddedQuotesInsideQuotedValues() {
        X509Certificate2 c = cert("CN=say \\\"hi\\\"", BigInteger.ONE);
        assertThat(c.subject()).isEqualTo("CN=\"say \"\"hi\"\"\"");
    }

    @Test
    void multiValuedRdnJoinsWithPlus() {
        X509Certificate2 c = cert("C=US, CN=app+OU=Lab", BigInteger.ONE);
        assertThat(c.subject()).isEqualTo("CN=app + OU=Lab, C=US");
    }

    @Test
    void thumbprintIsUpperCaseSha1OfTheDerEncoding() throws Exception {
        X509Certificate2 c = cert("CN=x", BigInteger.TEN);
        String expected = HexFormat.of().withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-1").digest(c.certificate().getEncoded()));
        assertThat(c.thumbprint()).isEqualTo(expected).hasSize(40);
    }

    @Test
    void serialNumberKeepsTheLeadingZeroOfAPositiveHighBitSerial() {
        assertThat(cert("CN=x", new BigInteger("80", 16)).serialNumber()).isEqualTo("0080");
        assertThat(cert("CN=x", new BigInteger("7f01", 16)).serialNumber()).isEqualTo("7F01");
    }

    @Test
    void verifyIsFalseWithoutAVerifier() {
        assertThat(cert("CN=x", BigInteger.ONE).verify()).isFalse();
    }
}
