package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

class CrlDistributionPointsTest {

    static Pki.Issued ca;
    static X509CRL crl;
    static HttpServer server;
    static String base;

    @BeforeAll
    static void serve() throws Exception {
        ca = Pki.ca("CN=CDP Test CA", Duration.ofDays(2));
        crl = Pki.crl(ca, List.of(BigInteger.valueOf(77)), Instant.now().minus(1, ChronoUnit.MINUTES),
                Instant.now().plus(1, ChronoUnit.DAYS));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/ca.crl", x -> {
            byte[] der;
            try {
                der = crl.getEncoded();
            } catch (java.security.cert.CRLException e) {
                throw new java.io.IOException(e);
            }
            x.sendResponseHeaders(200, der.length);
            x.getResponseBody().write(der);
            x.close();
        });
        server.createContext("/ca.pem", x -> {
            byte[] pem = Pki.pem(crl).getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, pem.length);
            x.getResponseBody().write(pem);
            x.close();
        });
        server.createContext("/html", x -> {
            byte[] b = "<html>login</html>".getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void listsHttpDistributionPointsOnly() throws Exception {
        X509Certificate cert = certWithCdps(base + "/ca.crl", "ldap://dir.contoso.local/cn=CA?certificateRevocationList");
        assertThat(CrlDistributionPoints.of(cert)).containsExactly(URI.create(base + "/ca.crl"));
        assertThat(CrlDistributionPoints.of(ca.certificate())).isEmpty();
    }

    @Test
    void fetchesDerAndPemCrls() {
        assertThat(CrlDistributionPoints.fetch(URI.create(base + "/ca.crl"), Duration.ofSeconds(5))).isEqualTo(crl);
        assertThat(CrlDistributionPoints.fetch(URI.create(base + "/ca.pem"), Duration.ofSeconds(5))).isEqualTo(crl);
    }

    @Test
    void explainsFailedDownloads() {
        assertThatThrownBy(() -> CrlDistributionPoints.fetch(URI.create(base + "/missing.crl"), Duration.ofSeconds(5)))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("CRL download from " + base + "/missing.crl failed: HTTP 404");
        assertThatThrownBy(() -> CrlDistributionPoints.fetch(URI.create(base + "/html"), Duration.ofSeconds(5)))
                .hasMessage("CRL download from " + base + "/html did not return a CRL");
    }

    private static X509Certificate certWithCdps(String... uris) throws Exception {
        DistributionPoint[] points = new DistributionPoint[uris.length];
        for (int i = 0; i < uris.length; i++) {
            points[i] = new DistributionPoint(new DistributionPointName(new GeneralNames(
                    new GeneralName(GeneralName.uniformResourceIdentifier, uris[i]))), null, null);
        }
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(ca.certificate(), BigInteger.TWO, Date.from(now),
                Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Principal("CN=with-cdp"), ca.keyPair().getPublic())
                .addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(points));
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.keyPair().getPrivate())));
    }
}
