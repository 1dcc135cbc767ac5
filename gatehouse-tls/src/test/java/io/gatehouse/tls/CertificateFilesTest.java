package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.PKCS8Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateFilesTest {

    static Pki.Issued root;
    static Pki.Issued intermediate;
    static Pki.Issued server;
    static Pki.Issued rsaClient;

    @TempDir
    Path dir;

    @BeforeAll
    static void pki() {
        root = Pki.ca("CN=Test Root,O=Contoso", Duration.ofDays(30));
        intermediate = Pki.intermediate(root, "CN=Test Issuing CA,O=Contoso", Duration.ofDays(30));
        server = Pki.issue(intermediate, Pki.IssueRequest.server("gw.contoso.local"));
        rsaClient = Pki.issue(root, Pki.IssueRequest.client("CN=clinic-app,O=Contoso")
                .withKeyAlgorithm(Pki.KeyAlgorithm.RSA_2048));
    }

    @Test
    void readsPemChainInOrder() throws Exception {
        Path f = dir.resolve("chain.pem");
        Files.writeString(f, "leading text is ignored\n" + Pki.pem(server.chain().toArray(X509Certificate[]::new)));
        List<X509Certificate> certs = CertificateFiles.readCertificates(f);
        assertThat(certs).containsExactly(server.certificate(), intermediate.certificate());
    }

    @Test
    void readsDerCertificate() throws Exception {
        Path f = dir.resolve("root.cer");
        Files.write(f, root.certificate().getEncoded());
        assertThat(CertificateFiles.readCertificates(f)).containsExactly(root.certificate());
    }

    @Test
    void explainsFilesWithoutCertificates() throws Exception {
        Path f = dir.resolve("x.pem");
        Files.writeString(f, "hello");
        assertThatThrownBy(() -> CertificateFiles.readCertificates(f))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("no certificate found in " + f + " (expected PEM 'BEGIN CERTIFICATE' or DER)");
        assertThatThrownBy(() -> CertificateFiles.readCertificates(dir.resolve("missing.pem")))
                .hasMessage("file not found: " + dir.resolve("missing.pem"));
    }

    @Test
    void readsPkcs8Key() {
        Path f = dir.resolve("k.pem");
        Pki.writePem(f, server.keyPair().getPrivate());
        PrivateKey key = CertificateFiles.readPrivateKey(f, null);
        assertThat(key.getEncoded()).isEqualTo(server.keyPair().getPrivate().getEncoded());
    }

    @Test
    void writesKeyFilesOwnerOnly() throws Exception {
        Path f = dir.resolve("k.pem");
        Pki.writePem(f, server.keyPair().getPrivate());
        assertThat(Files.getPosixFilePermissions(f))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void readsDerPkcs8Key() throws Exception {
        Path f = dir.resolve("k.der");
        Files.write(f, server.keyPair().getPrivate().getEncoded());
        assertThat(CertificateFiles.keyMatches(CertificateFiles.readPrivateKey(f, null), server.certificate())).isTrue();
    }

    @Test
    void readsPkcs1RsaAndSec1EcKeys() throws Exception {
        Path rsa = dir.resolve("rsa.pem");
        Files.writeString(rsa, legacyPem(rsaClient));
        assertThat(Files.readString(rsa)).contains("BEGIN RSA PRIVATE KEY");
        assertThat(CertificateFiles.keyMatches(CertificateFiles.readPrivateKey(rsa, null), rsaClient.certificate()))
                .isTrue();

        Path ec = dir.resolve("ec.pem");
        Files.writeString(ec, legacyPem(server));
        assertThat(Files.readString(ec)).contains("BEGIN EC PRIVATE KEY");
        assertThat(CertificateFiles.keyMatches(CertificateFiles.readPrivateKey(ec, null), server.certificate()))
                .isTrue();
    }

    @Test
    void readsEncryptedPkcs8KeyAndRejectsWrongPassword() throws Exception {
        Path f = dir.resolve("enc.pem");
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(new JcaPKCS8Generator(server.keyPair().getPrivate(),
                    new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(Bc.PROVIDER)
                            .setPassword("s3cret-pw".toCharArray()).build()));
        }
        Files.writeString(f, out.toString());
        assertThat(out.toString()).contains("BEGIN ENCRYPTED PRIVATE KEY");

        PrivateKey key = CertificateFiles.readPrivateKey(f, "s3cret-pw".toCharArray());
        assertThat(CertificateFiles.keyMatches(key, server.certificate())).isTrue();
        assertThatThrownBy(() -> CertificateFiles.readPrivateKey(f, "nope-guess".toCharArray()))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("wrong password for the private key in " + f)
                .hasMessageNotContaining("nope-guess");
        assertThatThrownBy(() -> CertificateFiles.readPrivateKey(f, null))
                .hasMessageContaining("is encrypted and no password is configured");
    }

    @Test
    void readsKeyPairAndRejectsMismatchedKey() {
        Path cert = dir.resolve("gw.pem");
        Path key = dir.resolve("gw.key");
        Path otherKey = dir.resolve("other.key");
        Pki.writePem(cert, server.chain().toArray());
        Pki.writePem(key, server.keyPair().getPrivate());
        Pki.writePem(otherKey, rsaClient.keyPair().getPrivate());

        KeyMaterial km = CertificateFiles.readKeyPair(cert, key, null);
        assertThat(km.leaf()).isEqualTo(server.certificate());
        assertThat(km.chain()).hasSize(2);
        assertThatThrownBy(() -> CertificateFiles.readKeyPair(cert, otherKey, null))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("does not match the certificate 'CN=gw.contoso.local'");
    }

    @Test
    void keyMatchesDetectsSameAlgorithmDifferentKey() {
        Pki.Issued other = Pki.issue(root, Pki.IssueRequest.server("other"));
        assertThat(CertificateFiles.keyMatches(other.keyPair().getPrivate(), server.certificate())).isFalse();
        assertThat(CertificateFiles.keyMatches(rsaClient.keyPair().getPrivate(), server.certificate())).isFalse();
        assertThat(CertificateFiles.keyMatches(server.keyPair().getPrivate(), server.certificate())).isTrue();
    }

    @Test
    void readsPfxAndRejectsWrongPassword() throws Exception {
        Path f = dir.resolve("client.pfx");
        Files.write(f, Pki.pfx(server.keyMaterial(), "pfx-pass".toCharArray()));
        KeyMaterial km = CertificateFiles.readPfx(f, "pfx-pass".toCharArray());
        assertThat(km.chain()).containsExactly(server.certificate(), intermediate.certificate());
        assertThat(CertificateFiles.keyMatches(km.key(), km.leaf())).isTrue();

        assertThatThrownBy(() -> CertificateFiles.readPfx(f, "wrong-pass".toCharArray()))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageStartingWith("wrong PFX password")
                .hasMessageNotContaining("wrong-pass");
    }

    @Test
    void refusesPfxWithoutPrivateKey() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", root.certificate());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ks.store(out, "pw".toCharArray());
        Path f = dir.resolve("certonly.pfx");
        Files.write(f, out.toByteArray());
        assertThatThrownBy(() -> CertificateFiles.readPfx(f, "pw".toCharArray()))
                .hasMessageStartingWith("no private key found in PFX");
    }

    @Test
    void readsPemAndDerCrls() throws Exception {
        X509CRL crl = Pki.crl(root, List.of(BigInteger.TEN), Instant.now(), Instant.now().plus(1, ChronoUnit.DAYS));
        Path pem = dir.resolve("ca.crl.pem");
        Path der = dir.resolve("ca.crl");
        Files.writeString(pem, Pki.pem(crl));
        Files.write(der, crl.getEncoded());
        assertThat(CertificateFiles.readCrls(pem)).containsExactly(crl);
        assertThat(CertificateFiles.readCrls(der)).containsExactly(crl);
        assertThat(CertificateFiles.readCrls(der).get(0).getRevokedCertificate(BigInteger.TEN)).isNotNull();
    }

    @Test
    void keyMaterialToStringNeverShowsTheKey() {
        KeyMaterial km = server.keyMaterial();
        String text = km.toString();
        assertThat(text).contains("CN=gw.contoso.local").contains("******");
        String keyPem = Pki.pem(km.key());
        String base64Line = keyPem.lines().skip(1).findFirst().orElseThrow();
        assertThat(text).doesNotContain(base64Line.substring(0, 20));
    }

    @Test
    void readsFilesMadeByOpenssl() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Tools.has("openssl"), "openssl not on PATH");
        Path key = dir.resolve("o.key");
        Path cert = dir.resolve("o.pem");
        Path pfx = dir.resolve("o.pfx");
        Tools.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-subj", "/C=US/O=Contoso/CN=openssl-made", "-days", "2");
        Tools.run(dir, "openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(),
                "-out", pfx.toString(), "-passout", "pass:pw123");
        KeyMaterial pair = CertificateFiles.readKeyPair(cert, key, null);
        KeyMaterial fromPfx = CertificateFiles.readPfx(pfx, "pw123".toCharArray());
        assertThat(fromPfx.leaf()).isEqualTo(pair.leaf());
        assertThat(io.gatehouse.common.x509.DotNetNames.format(pair.leaf().getSubjectX500Principal()))
                .isEqualTo("CN=openssl-made, O=Contoso, C=US");
        // and openssl reads the PFX we write
        Path ours = dir.resolve("ours.pfx");
        Files.write(ours, Pki.pfx(server.keyMaterial(), "pw456".toCharArray()));
        String info = Tools.run(dir, "openssl", "pkcs12", "-in", ours.toString(), "-passin", "pass:pw456",
                "-nokeys");
        assertThat(info).contains("gw.contoso.local").contains("BEGIN CERTIFICATE");
    }

    /** PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY" (with its curve, as openssl writes it). */
    private static String legacyPem(Pki.Issued issued) throws Exception {
        StringWriter out = new StringWriter();
        if (issued.keyPair().getPrivate().getAlgorithm().equals("EC")) {
            var info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(issued.keyPair().getPrivate().getEncoded());
            var inner = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
            var pub = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(issued.keyPair().getPublic().getEncoded());
            var sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, inner.getKey(), pub.getPublicKeyData(),
                    info.getPrivateKeyAlgorithm().getParameters());
            try (JcaPEMWriter w = new JcaPEMWriter(out)) {
                w.writeObject(new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            }
            return out.toString();
        }
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(issued.keyPair()); // PKCS#1 for RSA, SEC1 for EC
        }
        return out.toString();
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
